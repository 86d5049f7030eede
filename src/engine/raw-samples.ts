// A raw metric's rows (profile `raw:`): each poll's answer is one row per observation for the
// window, reduced here to the number the metric shows (its median, mean or pNN) with the row
// count as the samples behind it, and kept as evidence for the Mann–Whitney test (raw-test.ts).
//
// Why only windows that tile: a window is polled far more often than it is long, and testing the
// same request again at every poll would count it many times over. So the store keeps one canary
// answer per window length (the first at least one window after the one kept before): their rows
// do not overlap, and together they are every row of the time they cover. The baseline follows
// the canary: for each canary window kept, the baseline answer for the same time (the latest if it
// came within an interval before, else the next) is kept, unless it would overlap the baseline
// window kept before, in which case the next one is. So the two groups' rows cover the same time,
// give or take one interval, and no baseline row is counted twice either. Memory is bounded: past
// MAX_KEPT_ROWS per track the oldest windows are dropped (the test then covers the latest ones,
// still a valid test of what it covers).

import type { Metric, Profile, Raw } from '../profile/types.js';
import { answeredTracks, matches, selectorFor, type Track } from './shape.js';
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
   * A canary window's look is closed when a baseline window for the same time is kept. From then
   * on the look's data is fixed: baseline windows up to `seq`, which had arrived by `at`.
   */
  closed?: { at: number; seq: number };
}

interface Entry {
  windowMs: number;
  intervalMs: number;
  /** The latest baseline answer, kept or not: a canary window arriving soon after may take it. */
  lastBaseline?: RawWindow;
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
      if (!metric?.raw) continue;
      this.entries.set(id, { windowMs: metric.windowMs, intervalMs: metric.intervalMs, canary: [], baseline: [], seq: 0, looks: { phaseStartedAt: NaN, byAt: new Map() } });
    }
  }

  /** One answer's rows for a track, kept as the header says. */
  put(metricId: string, track: Track, window: RawWindow): void {
    const entry = this.entries.get(metricId);
    if (!entry) return;
    if (track === 'baseline') {
      if (entry.lastBaseline && window.at < entry.lastBaseline.at) return;
      entry.lastBaseline = window;
      // Canary windows waiting for their baseline take this answer, if it does not overlap.
      if (entry.canary.some((c) => !c.closed)) this.keepBaseline(entry, window);
      return;
    }
    const last = entry.canary[entry.canary.length - 1];
    if (last && (window.at < last.at || window.t < last.t + entry.windowMs)) return;
    keep(entry.canary, { ...window, seq: ++entry.seq });
    // A baseline answer from within the last interval is the baseline for the same time.
    const recent = entry.lastBaseline;
    if (recent && recent.t >= window.t - entry.intervalMs) this.keepBaseline(entry, recent, window.at);
  }

  /** Keeps a baseline answer for the canary windows waiting, unless it overlaps the last one kept. */
  private keepBaseline(entry: Entry, window: RawWindow, at = window.at): void {
    const last = entry.baseline[entry.baseline.length - 1];
    if (last && window.t < last.t + entry.windowMs) return;
    const seq = ++entry.seq;
    keep(entry.baseline, { ...window, seq });
    for (const c of entry.canary) c.closed ??= { at, seq };
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

/** Each track's rows of a raw answer to `asked`'s query into the store, when exactly one series is that track's (else shape() says why not). */
export function keepRows(store: RawSampleStore, metric: Metric, asked: Track, answer: SeriesSet, at: number): void {
  for (const track of answeredTracks(metric, asked)) {
    const selector = selectorFor(metric, track);
    const mine = answer.series.filter((s) => !selector || matches(s.labels, selector));
    const only = mine.length === 1 ? mine[0] : undefined;
    if (only?.rows && only.rows.length > 0) store.put(metric.id, track, { t: only.points[0]!.t, at, rows: only.rows });
  }
}

/** Appends a window, dropping the oldest past MAX_KEPT_ROWS (always keeping the newest). */
function keep(kept: KeptWindow[], window: KeptWindow): void {
  kept.push(window);
  let total = 0;
  for (const w of kept) total += w.rows.length;
  while (kept.length > 1 && total > MAX_KEPT_ROWS) total -= kept.shift()!.rows.length;
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
