// The SQLite schema of the sample history and the statements history-sqlite.ts runs on it.
// `series` names each metric's track and split group once; `recent` holds one row per new sample
// until a series has a chunk's worth; `chunk` holds runs of samples packed by history-codec.ts;
// `event` holds no-data answers and errors. Times are epoch milliseconds.

import type { DatabaseSync, StatementSync } from 'node:sqlite';

export const HISTORY_SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, metric TEXT NOT NULL, track INTEGER NOT NULL, grp TEXT NOT NULL, UNIQUE (metric, track, grp));
  CREATE TABLE IF NOT EXISTS recent (series INTEGER NOT NULL, at INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, at)) WITHOUT ROWID;
  -- A rowid table: a packed chunk (about 2.6 KB) fits its page; in a WITHOUT ROWID table it would spill to overflow pages.
  CREATE TABLE IF NOT EXISTS chunk (id INTEGER PRIMARY KEY, series INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
  CREATE UNIQUE INDEX IF NOT EXISTS chunk_by_series ON chunk (series, start);
  CREATE TABLE IF NOT EXISTS event (metric TEXT NOT NULL, track INTEGER NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL, reason TEXT, errkind TEXT);
  CREATE INDEX IF NOT EXISTS event_by_series ON event (metric, track, at);
`;

export interface Statements {
  seriesId: StatementSync;
  seriesAdd: StatementSync;
  seriesOf: StatementSync;
  maxRecent: StatementSync;
  maxChunk: StatementSync;
  recentAdd: StatementSync;
  recentRange: StatementSync;
  recentAll: StatementSync;
  recentDrop: StatementSync;
  chunkAdd: StatementSync;
  chunkRange: StatementSync;
  eventAdd: StatementSync;
  eventRange: StatementSync;
}

export function prepareStatements(db: DatabaseSync): Statements {
  return {
    seriesId: db.prepare('SELECT id FROM series WHERE metric = ? AND track = ? AND grp = ?'),
    seriesAdd: db.prepare('INSERT INTO series (metric, track, grp) VALUES (?, ?, ?)'),
    seriesOf: db.prepare('SELECT id, grp FROM series WHERE metric = ? AND track = ?'),
    maxRecent: db.prepare('SELECT max(at) AS at, count(*) AS n FROM recent WHERE series = ?'),
    maxChunk: db.prepare('SELECT max("end") AS at FROM chunk WHERE series = ?'),
    recentAdd: db.prepare('INSERT OR REPLACE INTO recent (series, at, value) VALUES (?, ?, ?)'),
    recentRange: db.prepare('SELECT at, value FROM recent WHERE series = ? AND at >= ? AND at <= ? ORDER BY at'),
    recentAll: db.prepare('SELECT at, value FROM recent WHERE series = ? ORDER BY at'),
    recentDrop: db.prepare('DELETE FROM recent WHERE series = ? AND at <= ?'),
    chunkAdd: db.prepare('INSERT OR REPLACE INTO chunk (series, start, "end", n, data) VALUES (?, ?, ?, ?, ?)'),
    chunkRange: db.prepare('SELECT start, data FROM chunk WHERE series = ? AND start <= ? AND "end" >= ? ORDER BY start'),
    eventAdd: db.prepare('INSERT INTO event (metric, track, at, kind, reason, errkind) VALUES (?, ?, ?, ?, ?, ?)'),
    eventRange: db.prepare('SELECT at, kind, reason, errkind FROM event WHERE metric = ? AND track = ? AND at >= ? AND at <= ? ORDER BY at'),
  };
}
