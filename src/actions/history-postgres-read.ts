// Reading the history a leading agent stored in the shared PostgreSQL database: every metric of a
// profile over [from, to] in three queries (chunks, recent rows, events), on a connection of its
// own that is closed again — what `check`, `report` and a console on any host load before judging.
// Rows are another process's writing: a chunk that does not decode is skipped and counted, never
// half-read.

import type { HistoryRange, StoredEvent, StoredSeries } from '../engine/history.js';
import type { Track } from '../engine/shape.js';
import type { Point } from '../engine/types.js';
import { KINDS } from '../engine/record.js';
import type { Profile } from '../profile/types.js';
import { sanitizeLine } from '../util/sanitize.js';
import { decodePoints } from './history-codec.js';
import { historySql } from './history-postgres-schema.js';
import { inOrder } from './history-sqlite.js';
import { DEFAULT_TIMEOUT_MS, codeOf, describeStateUrl, pgFailure, stateClient, type PostgresStateConfig } from './pg-channel.js';

export interface StoredHistory {
  /** By `metric` then track: what `History.read` answers for each. */
  ranges: Map<string, Map<Track, HistoryRange>>;
  /** Why some of it could not be read (a chunk that does not decode), or undefined. */
  problem?: string;
  /** `history on postgres://db:5432/rollouts (tables rollcall_state_history_*)` */
  where: string;
}

/**
 * Everything stored for a profile with from <= t <= to. Throws one line naming where, without
 * credentials, when the database cannot be read; no tables yet is an empty history.
 */
export async function readPgHistory(profile: Profile, config: PostgresStateConfig, from: number, to: number): Promise<StoredHistory> {
  const sql = historySql(config);
  const where = `history on ${describeStateUrl(config.url)} (tables ${sql.tables})`;
  const client = stateClient(config, { application_name: `rollcall read ${profile.name}`.slice(0, 63) });
  client.on('error', () => undefined);
  const ranges = new Map<string, Map<Track, HistoryRange>>();
  const points = new Map<string, Map<Track, Map<string, Point[]>>>();
  const pointsOf = (metric: string, track: number, group: string): Point[] => {
    const byTrack = points.get(metric) ?? new Map<Track, Map<string, Point[]>>();
    points.set(metric, byTrack);
    const byGroup = byTrack.get(trackOf(track)) ?? new Map<string, Point[]>();
    byTrack.set(trackOf(track), byGroup);
    // Group labels and error texts are another process's writing, shown on screens and in reports.
    const key = sanitizeLine(group);
    const list = byGroup.get(key) ?? [];
    byGroup.set(key, list);
    return list;
  };
  let bad = 0;
  const events = new Map<string, StoredEvent[]>();
  try {
    await client.connect();
    let chunks: { metric: string; track: number; grp: string; start: string; data: Buffer }[];
    try {
      chunks = (await client.query<{ metric: string; track: number; grp: string; start: string; data: Buffer }>(sql.chunkRange, [profile.name, from, to])).rows;
    } catch (error) {
      if (codeOf(error) === '42P01') return { ranges, where };
      throw error;
    }
    for (const c of chunks) {
      let decoded: Point[];
      try {
        decoded = decodePoints(Number(c.start), new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
      } catch {
        bad++;
        continue;
      }
      const list = pointsOf(c.metric, c.track, c.grp);
      for (const p of decoded) if (p.t >= from && p.t <= to) list.push(p);
    }
    const recent = (await client.query<{ metric: string; track: number; grp: string; at: string; value: number }>(sql.recentRange, [profile.name, from, to])).rows;
    for (const r of recent) pointsOf(r.metric, r.track, r.grp).push({ t: Number(r.at), v: r.value });
    const rows = (await client.query<{ metric: string; track: number; at: string; kind: number; reason: string | null; errkind: string | null }>(sql.eventRange, [profile.name, from, to])).rows;
    for (const e of rows) {
      const key = `${e.metric}\u0000${e.track}`;
      const list = events.get(key) ?? [];
      events.set(key, list);
      const errorKind = KINDS.find((k) => k === e.errkind);
      list.push(e.kind === 0 ? { at: Number(e.at), kind: 'nodata' } : { at: Number(e.at), kind: 'error', reason: sanitizeLine(e.reason ?? ''), ...(errorKind ? { errorKind } : {}) });
    }
  } catch (error) {
    throw new Error(`cannot read the ${where}: ${pgFailure(error, describeStateUrl(config.url), config.timeout ?? DEFAULT_TIMEOUT_MS, profile.secrets)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  for (const metric of profile.metricIds) {
    for (const track of ['canary', 'baseline'] as const) {
      const byGroup = points.get(metric)?.get(track);
      const series: StoredSeries[] = byGroup ? [...byGroup].map(([group, list]) => ({ group, points: inOrder(list) })).filter((s) => s.points.length > 0) : [];
      const stored = events.get(`${metric}\u0000${track === 'baseline' ? 1 : 0}`) ?? [];
      if (series.length === 0 && stored.length === 0) continue;
      const byTrack = ranges.get(metric) ?? new Map<Track, HistoryRange>();
      ranges.set(metric, byTrack);
      byTrack.set(track, { series, events: stored });
    }
  }
  return { ranges, where, ...(bad > 0 ? { problem: `${where}: ${bad} stored chunk${bad === 1 ? '' : 's'} could not be read and ${bad === 1 ? 'was' : 'were'} skipped` } : {}) };
}

function trackOf(code: number): Track {
  return code === 1 ? 'baseline' : 'canary';
}
