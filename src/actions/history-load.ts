// What the history kept, put into a series store before judging: `check` and `report` in a new
// process, a console opening beside an agent, the agent at start. So a `for` or hold window of an
// http, exec or scrape source — which cannot be asked for its past — is judged on the samples the
// agent saw, not on one fresh poll. Where it is read from follows the profile: the shared
// PostgreSQL database when its state is there (any host sees what the leading agent stored), else
// the SQLite file in the state directory. Reading is async (a database answers later); putting what
// was read into a series store is not, so a console can read before it builds its loop.

import { existsSync } from 'node:fs';
import type { History, HistoryRange } from '../engine/history.js';
import type { SeriesStore } from '../engine/series.js';
import type { Track } from '../engine/shape.js';
import type { Profile } from '../profile/types.js';
import { historyPath, openSqliteHistory } from './history-sqlite.js';

/** What was read: put it into a series store (any number of times). */
export interface StoredHistory {
  points: number;
  /** Why some or all of it could not be read; judging goes on without it. */
  problem?: string;
  put(series: SeriesStore): void;
  /** What was read of one metric's track. */
  read(metric: string, track: Track): HistoryRange;
}

/** Puts every metric's stored samples over [from, to] into `series`; returns how many points. */
export function loadHistory(history: Pick<History, 'read'>, profile: Profile, series: SeriesStore, from: number, to: number): number {
  let points = 0;
  for (const id of profile.metricIds) {
    for (const track of ['canary', 'baseline'] as const) {
      const range = history.read(id, track, from, to);
      if (range.series.length === 0) continue;
      for (const s of range.series) points += s.points.length;
      series.putHistory(id, track, new Map(range.series.map((s) => [s.group, s.points])), 'from the history');
    }
  }
  return points;
}

/**
 * The stored history of a profile over [from, to]. Undefined when there is none (no agent ever
 * stored any); never throws: a store that cannot be read is a `problem`.
 */
export async function readStoredHistory(profile: Profile, stateDir: string, from: number, to: number): Promise<StoredHistory | undefined> {
  let ranges: Map<string, Map<Track, HistoryRange>>;
  let problem: string | undefined;
  if (profile.state?.store === 'postgres') {
    // Loaded only for shared state: the driver stays off every other path.
    const { readPgHistory } = await import('./history-postgres-read.js');
    try {
      const stored = await readPgHistory(profile, profile.state, from, to);
      ranges = stored.ranges;
      problem = stored.problem;
    } catch (error) {
      return { points: 0, problem: `${error instanceof Error ? error.message : String(error)}; judged without it`, put: () => undefined, read: () => ({ series: [], events: [] }) };
    }
    if (ranges.size === 0 && problem === undefined) return undefined;
  } else {
    if (!existsSync(historyPath(profile, stateDir))) return undefined;
    const history = openSqliteHistory(profile, stateDir, { readOnly: true });
    ranges = new Map();
    try {
      for (const id of profile.metricIds) {
        for (const track of ['canary', 'baseline'] as const) {
          const range = history.read(id, track, from, to);
          if (range.series.length > 0) ranges.set(id, (ranges.get(id) ?? new Map<Track, HistoryRange>()).set(track, range));
        }
      }
      problem = history.problem;
    } finally {
      // Nothing to flush in a reader: closing is immediate.
      void history.close();
    }
  }
  const reader = { read: (metric: string, track: Track): HistoryRange => ranges.get(metric)?.get(track) ?? { series: [], events: [] } };
  let points = 0;
  for (const byTrack of ranges.values()) for (const range of byTrack.values()) for (const s of range.series) points += s.points.length;
  return { points, ...(problem !== undefined ? { problem } : {}), put: (series) => void loadHistory(reader, profile, series, from, to), read: reader.read };
}

/** Reads the stored history and puts it into `series`: `check`, `report` and the agent at start. */
export async function loadStoredHistory(profile: Profile, stateDir: string, series: SeriesStore, from: number, to: number): Promise<{ points: number; problem?: string } | undefined> {
  const stored = await readStoredHistory(profile, stateDir, from, to);
  stored?.put(series);
  return stored && (stored.problem !== undefined ? { points: stored.points, problem: stored.problem } : { points: stored.points });
}
