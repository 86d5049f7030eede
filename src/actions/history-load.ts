// What the history kept, put into a series store before judging: `check` after a restart, the
// agent at start. So a `for` or hold window of an http, exec or scrape source — which cannot be
// asked for its past — is judged on the samples the agent saw, not on one fresh poll.

import { existsSync } from 'node:fs';
import type { History } from '../engine/history.js';
import type { SeriesStore } from '../engine/series.js';
import type { Profile } from '../profile/types.js';
import { historyPath, openSqliteHistory } from './history-sqlite.js';

/** Puts every metric's stored samples over [from, to] into `series`; returns how many points. */
export function loadHistory(history: History, profile: Profile, series: SeriesStore, from: number, to: number): number {
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
 * The history file of the state directory, read only, into `series`. Undefined when there is no
 * file (no agent ever ran there); otherwise the points loaded and the problem, if the file failed.
 */
export function loadHistoryFile(profile: Profile, stateDir: string, series: SeriesStore, from: number, to: number): { points: number; problem?: string } | undefined {
  if (!existsSync(historyPath(profile, stateDir))) return undefined;
  const history = openSqliteHistory(profile, stateDir, { readOnly: true });
  try {
    const points = loadHistory(history, profile, series, from, to);
    return history.problem ? { points, problem: history.problem } : { points };
  } finally {
    // Nothing to flush in a reader: closing is immediate.
    void history.close();
  }
}
