// A raw metric's rows (profile `raw:`): each poll's answer is one row per observation for the
// window, reduced here to the number the metric shows (its median, mean or pNN) with the row
// count as the samples behind it, and kept as evidence for the Mann–Whitney test (raw-test.ts).
//
// Why only windows that tile: a window is polled far more often than it is long, and testing the
// same request again at every poll would count it many times over. So the store keeps one answer
// per window length (the first answer at least one window after the one kept before): their rows
// do not overlap, and together they are every row of the time they cover. Memory is bounded:
// past MAX_KEPT_ROWS per track the oldest windows are dropped (the test then covers the latest
// ones, still a valid test of what it covers).

import type { Metric, Profile, Raw } from '../profile/types.js';
import type { Track } from './shape.js';
import type { SeriesSet } from './types.js';

/** Rows kept per metric and track, over all windows. */
export const MAX_KEPT_ROWS = 200_000;

/** One answer's rows: `t` the end of its window (when it was asked), `at` when it arrived. */
export interface RawWindow {
  t: number;
  at: number;
  rows: Float64Array;
}

/** A window as kept: numbered per track, and a canary window knows which baseline windows go with it. */
export interface KeptWindow extends RawWindow {
  seq: number;
  /**
   * A canary window's look is closed when the baseline has a window for the same time: at once if
   * the latest baseline window kept overlaps it, else at the next baseline answer. From then on the
   * look's data is fixed: baseline windows up to `seq`, which arrived by `at`.
   */
  closed?: { at: number; seq: number };
}

interface Entry {
  windowMs: number;
  canary: KeptWindow[];
  baseline: KeptWindow[];
  seq: number;
  /** Computed looks of the test, per phase (raw-test.ts); dropped when the phase changes. */
  looks: { phaseStartedAt: number; byAt: Map<number, unknown> };
}

export class RawSampleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(profile: Profile) {
    for (const id of profile.metricIds) {
      const metric = profile.metrics[id];
      if (metric?.raw) this.entries.set(id, { windowMs: metric.windowMs, canary: [], baseline: [], seq: 0, looks: { phaseStartedAt: NaN, byAt: new Map() } });
    }
  }

  /** One answer's rows for a track; kept when its window does not overlap the last one kept. */
  put(metricId: string, track: Track, window: RawWindow): void {
    const entry = this.entries.get(metricId);
    if (!entry) return;
    const kept = entry[track];
    const last = kept[kept.length - 1];
    if (last && window.at < last.at) return;
    const tile = !last || window.t >= last.t + entry.windowMs;
    if (tile) kept.push({ ...window, seq: ++entry.seq });
    const baseline = entry.baseline[entry.baseline.length - 1];
    if (track === 'baseline' && baseline) {
      // Any baseline answer closes the canary windows waiting for one.
      for (const c of entry.canary) c.closed ??= { at: window.at, seq: baseline.seq };
    } else if (track === 'canary' && tile && baseline && baseline.t > window.t - entry.windowMs) {
      kept[kept.length - 1]!.closed = { at: window.at, seq: baseline.seq };
    }
    if (!tile) return;
    let total = 0;
    for (const w of kept) total += w.rows.length;
    while (kept.length > 1 && total > MAX_KEPT_ROWS) total -= kept.shift()!.rows.length;
  }

  /** The windows kept for a metric, oldest first (undefined for a metric that is not raw). */
  windows(metricId: string): { canary: readonly KeptWindow[]; baseline: readonly KeptWindow[] } | undefined {
    const entry = this.entries.get(metricId);
    return entry ? { canary: entry.canary, baseline: entry.baseline } : undefined;
  }

  /** The test's computed looks for the phase that started at `phaseStartedAt` (a fresh map for a new phase). */
  looks<T>(metricId: string, phaseStartedAt: number): Map<number, T> | undefined {
    const entry = this.entries.get(metricId);
    if (!entry) return undefined;
    if (entry.looks.phaseStartedAt !== phaseStartedAt) entry.looks = { phaseStartedAt, byAt: new Map() };
    return entry.looks.byAt as Map<number, T>;
  }
}

/**
 * A raw answer as the rest of the engine reads it: each series' rows become one point at `time`,
 * their statistic, with the row count as `n`. The rows stay on the series for the store. A series
 * without rows (a replay answers the recorded points) is left as it is.
 */
export function summarized(set: SeriesSet, raw: Raw, time: number): SeriesSet {
  const summary = (rows: Float64Array) => (rows.length > 0 ? [{ t: time, v: statistic(rows, raw), n: rows.length }] : []);
  return { ...set, series: set.series.map((s) => (s.rows ? { ...s, points: summary(s.rows) } : s)) };
}

/** The metric's statistic of some rows: the mean, or the quantile by linear interpolation (PERCENTILE_CONT). */
export function statistic(rows: ArrayLike<number>, raw: Pick<Raw, 'quantile'>): number {
  const n = rows.length;
  if (n === 0) return NaN;
  if (raw.quantile === undefined) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rows[i]!;
    return sum / n;
  }
  const sorted = Float64Array.from(rows).sort();
  const at = raw.quantile * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** `p95` as the reason says it. */
export function statisticName(metric: Metric): string {
  return metric.raw?.statistic ?? 'value';
}
