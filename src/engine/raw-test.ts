// The Mann–Whitney test of a raw metric's rows against its baseline's, at every look, valid
// however often it is looked at (statistics.ts's header says why this method).
//
// Looks: each window of canary rows kept in the phase (raw-samples.ts: windows that tile, so no
// row is counted twice) is one look, numbered k = 1, 2, … in the order they arrived. Look k tests
// every canary row of the phase so far against the baseline rows kept up to the baseline window
// that goes with it (the store closes each look once the baseline has answered for its time), so
// a look's data never changes once it is made and re-evaluating a moment gives the same answer.
// A look whose baseline has not answered yet waits; the ones before it stand.
//
// Alpha spending: look k may reject at α/(k(k+1)); these sum to α over all k, so by the union
// bound the chance of any false alarm in a phase, however long, is at most α. The p-value
// reported is the always-valid one that goes with it, min over looks of p_k · k(k+1) (at most 1).

import { badDirection } from '../profile/condition.js';
import type { Condition, Metric } from '../profile/types.js';
import type { RawSampleStore, RawWindow } from './raw-samples.js';
import { statistic } from './raw-samples.js';
import { hodgesLehmann, mannWhitney, median } from './statistics.js';

/** What a look measured: the effect, the statistic on each side and how many rows each had. */
interface Figures {
  /** Hodges–Lehmann shift, canary − baseline, in the metric's unit. */
  shift: number;
  medianRatio: number;
  /** The metric's statistic over the canary rows tested, and over the baseline's. */
  value: number;
  vs: number;
  n: number;
  baselineN: number;
}

/** One look: the test on everything up to one canary window, made at `at`. */
export interface Look extends Figures {
  k: number;
  at: number;
  p: number;
  z: number;
}

/** The test as the rule reads it: the last look's figures, with the p-value spent over every look. */
export interface RawSignificance extends Figures {
  /** Always-valid p-value (spent over the looks so far). */
  p: number;
  looks: number;
  significant: boolean;
}

/** The spending schedule: look k may reject at α/(k(k+1)). */
export function spentAlpha(alpha: number, k: number): number {
  return alpha / (k * (k + 1));
}

/**
 * The test of a condition on a raw metric at `now`, for the phase that started at
 * `phaseStartedAt`: undefined until a look has rows from both groups.
 */
export function rawSignificance(
  store: RawSampleStore,
  metric: Metric,
  condition: Condition,
  confidence: number,
  phaseStartedAt: number,
  now: number,
): RawSignificance | undefined {
  const kept = store.windows(metric.id);
  // A canary window whose phase has no baseline rows yet is remembered as null: not a look.
  const looks = store.looks<Look | null>(metric.id, phaseStartedAt);
  if (!kept || !looks || !metric.raw) return undefined;
  const canary = kept.canary.filter((w) => w.t >= phaseStartedAt);
  let made = 0;
  for (const l of looks.values()) if (l) made++;
  for (let i = 0; i < canary.length; i++) {
    const { at, closed } = canary[i]!;
    if (looks.has(at)) continue;
    // Not closed by `now`: this look and the later ones wait for the baseline's answer.
    if (!closed || closed.at > now) break;
    const baseline = kept.baseline.filter((w) => w.t >= phaseStartedAt && w.seq <= closed.seq);
    const next = look(made + 1, closed.at, canary.slice(0, i + 1), baseline, metric) ?? null;
    if (next) made++;
    looks.set(at, next);
  }
  const direction = badDirection(condition.op);
  let p = 1;
  let last: Look | undefined;
  let count = 0;
  for (const l of looks.values()) {
    if (!l || l.at > now) continue;
    count = Math.max(count, l.k);
    last = l;
    // One-sided where the condition names a bad side (a slower canary), two-sided otherwise.
    const sided = direction === 0 ? l.p : Math.sign(l.z) === direction ? l.p / 2 : 1 - l.p / 2;
    // Rejected at look k when sided ≤ α/(k(k+1)): the p-value that says so is sided · k(k+1).
    p = Math.min(p, sided / spentAlpha(1, l.k));
  }
  if (!last) return undefined;
  p = Math.min(1, p);
  // Significant once some look rejected at its spent alpha, and the difference still on the bad side.
  const onBadSide = direction === 0 || Math.sign(last.shift || last.z) === direction;
  const { shift, medianRatio, value, vs, n, baselineN } = last;
  return { p, shift, medianRatio, value, vs, n, baselineN, looks: count, significant: onBadSide && p <= 1 - confidence };
}

function look(k: number, at: number, canary: readonly RawWindow[], baseline: readonly RawWindow[], metric: Metric): Look | undefined {
  const a = concat(canary);
  const b = concat(baseline);
  // Baseline windows from before the phase only: nothing to compare with in this phase yet.
  if (a.length === 0 || b.length === 0) return undefined;
  const test = mannWhitney(a, b);
  const ma = median(a);
  const mb = median(b);
  return {
    k,
    at,
    p: test.p,
    z: test.z,
    shift: hodgesLehmann(a, b),
    medianRatio: mb === 0 ? (ma === 0 ? 1 : Infinity) : ma / mb,
    value: statistic(a, metric.raw!),
    vs: statistic(b, metric.raw!),
    n: a.length,
    baselineN: b.length,
  };
}

function concat(windows: readonly RawWindow[]): Float64Array {
  const out = new Float64Array(windows.reduce((n, w) => n + w.rows.length, 0));
  let at = 0;
  for (const w of windows) {
    out.set(w.rows, at);
    at += w.rows.length;
  }
  // Sorted once here: the test, the shift and the medians all read the rows in order.
  return out.sort();
}
