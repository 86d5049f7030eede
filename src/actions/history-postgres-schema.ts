// The PostgreSQL schema of the sample history, for a profile whose state is shared there: the same
// shape as the SQLite file (history-schema.ts), so a month of 15 s samples stays small. Tables are
// named after the state table, `<table>_history_series|recent|chunk|event` (default
// `rollcall_state_history_*`), shared by every profile on that table: `series` names each profile's
// metric track and split group once; `recent` holds one row per new sample until a series has a
// chunk's worth (history-codec.ts packs them into one `chunk` row); `event` holds no-data answers
// and errors. Times are epoch milliseconds (bigint), as in the file.

import { DEFAULT_STATE_TABLE, derivedTable, quoted, type PostgresStateConfig } from './pg-channel.js';

export interface HistorySql {
  /** `rollcall_state_history_*`, for the operator. */
  tables: string;
  /** The LISTEN channel the connection keeps (nothing is notified on it). */
  channel: string;
  create: string[];
  seriesAll: string;
  seriesAdd: string;
  recentAdd: string;
  recentTake: string;
  chunkAdd: string;
  eventAdd: string;
  prune: string[];
  size: string;
  chunkRange: string;
  recentRange: string;
  eventRange: string;
}

export function historySql(config: PostgresStateConfig): HistorySql {
  const base = `${config.table ?? DEFAULT_STATE_TABLE}_history`;
  const t = (part: string) => quoted(derivedTable(config, `_history_${part}`));
  // An index lives in its table's schema and is named without it.
  const index = derivedTable({ ...config, table: (config.table ?? DEFAULT_STATE_TABLE).split('.').at(-1)! }, '_history_chunk_by_end');
  const eventIndex = derivedTable({ ...config, table: (config.table ?? DEFAULT_STATE_TABLE).split('.').at(-1)! }, '_history_event_by_at');
  const ofProfile = `series IN (SELECT id FROM ${t('series')} WHERE profile = $1)`;
  return {
    tables: `${base}_*`,
    channel: derivedTable(config, '_history'),
    create: [
      `CREATE TABLE IF NOT EXISTS ${t('series')} (id serial PRIMARY KEY, profile text NOT NULL, metric text NOT NULL, track smallint NOT NULL, grp text NOT NULL, UNIQUE (profile, metric, track, grp))`,
      `CREATE TABLE IF NOT EXISTS ${t('recent')} (series integer NOT NULL, at bigint NOT NULL, value float8 NOT NULL, PRIMARY KEY (series, at))`,
      // A packed chunk (about 2.6 KB) stays in its row, three to a page: TOASTing it would add a row and an index entry elsewhere.
      `CREATE TABLE IF NOT EXISTS ${t('chunk')} (series integer NOT NULL, start bigint NOT NULL, "end" bigint NOT NULL, n integer NOT NULL, data bytea NOT NULL) WITH (toast_tuple_target = 8160)`,
      `CREATE INDEX IF NOT EXISTS "${index}" ON ${t('chunk')} (series, "end")`,
      `CREATE TABLE IF NOT EXISTS ${t('event')} (series integer NOT NULL, at bigint NOT NULL, kind smallint NOT NULL, reason text, errkind text)`,
      `CREATE INDEX IF NOT EXISTS "${eventIndex}" ON ${t('event')} (series, at)`,
    ],
    seriesAll: `SELECT s.id, s.metric, s.track, s.grp,
        greatest((SELECT max(at) FROM ${t('recent')} r WHERE r.series = s.id), (SELECT max("end") FROM ${t('chunk')} c WHERE c.series = s.id)) AS max_at,
        (SELECT count(*) FROM ${t('recent')} r WHERE r.series = s.id)::integer AS recent
      FROM ${t('series')} s WHERE s.profile = $1`,
    // DO UPDATE (to itself) so that the id comes back when another writer made the row first.
    seriesAdd: `INSERT INTO ${t('series')} (profile, metric, track, grp) VALUES ($1, $2, $3, $4) ON CONFLICT (profile, metric, track, grp) DO UPDATE SET grp = excluded.grp RETURNING id`,
    recentAdd: `INSERT INTO ${t('recent')} (series, at, value) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::float8[]) ON CONFLICT DO NOTHING`,
    // Taken and deleted in one statement: a second writer sealing the same series gets the rest, never the same rows.
    recentTake: `DELETE FROM ${t('recent')} WHERE series = $1 RETURNING at, value`,
    chunkAdd: `INSERT INTO ${t('chunk')} (series, start, "end", n, data) VALUES ($1, $2, $3, $4, $5)`,
    eventAdd: `INSERT INTO ${t('event')} (series, at, kind, reason, errkind) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::smallint[], $4::text[], $5::text[])`,
    prune: [
      `DELETE FROM ${t('chunk')} WHERE ${ofProfile} AND "end" < $2`,
      `DELETE FROM ${t('recent')} WHERE ${ofProfile} AND at < $2`,
      `DELETE FROM ${t('event')} WHERE ${ofProfile} AND at < $2`,
    ],
    // What this profile's rows take: their data plus PostgreSQL's per-row cost (a tuple header, an
    // item pointer and an index entry, about 60 bytes). An estimate, but one that shrinks as pruning
    // frees rows, unlike the tables' files, which PostgreSQL keeps to reuse.
    size: `SELECT (coalesce((SELECT sum(pg_column_size(data) + 76) FROM ${t('chunk')} WHERE ${ofProfile}), 0)
        + coalesce((SELECT count(*) * 72 FROM ${t('recent')} WHERE ${ofProfile}), 0)
        + coalesce((SELECT sum(coalesce(octet_length(reason), 0) + coalesce(octet_length(errkind), 0) + 80) FROM ${t('event')} WHERE ${ofProfile}), 0))::float8 AS bytes`,
    chunkRange: `SELECT s.metric, s.track, s.grp, c.start, c.data FROM ${t('series')} s JOIN ${t('chunk')} c ON c.series = s.id
      WHERE s.profile = $1 AND c."end" >= $2 AND c.start <= $3 ORDER BY c.series, c.start`,
    recentRange: `SELECT s.metric, s.track, s.grp, r.at, r.value FROM ${t('series')} s JOIN ${t('recent')} r ON r.series = s.id
      WHERE s.profile = $1 AND r.at >= $2 AND r.at <= $3 ORDER BY r.series, r.at`,
    eventRange: `SELECT s.metric, s.track, e.at, e.kind, e.reason, e.errkind FROM ${t('series')} s JOIN ${t('event')} e ON e.series = s.id
      WHERE s.profile = $1 AND e.at >= $2 AND e.at <= $3 ORDER BY e.at`,
  };
}
