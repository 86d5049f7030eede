// What a series' samples give whatever the moment judged, cached per view of the samples: flat
// times and values, a counter's increase per window, and the judgements remembered between calls.
// Apart from judge.ts because it is the cache under Track, not a judgement: nothing here depends on
// `now`, except the entries Track keeps for the latest moment only.

import type { Condition } from '../profile/types.js';
import type { Judged } from './truth.js';
import type { Samples } from './types.js';

/**
 * What a series' points give whatever the moment judged: flat times and values, a counter's
 * increase per window, the stretches between blackouts, and the judgement of conditions on the
 * points alone. The store hands out the same view until the series changes, so this is
 * worked out once per change rather than once per call; the results are exactly those of working
 * it out afresh.
 */
export interface Derived {
  length: number;
  times: Float64Array;
  values: Float64Array;
  sums?: Float64Array;
  increases: Map<number, Float64Array>;
  /** The stretch without a blackout that the last sample asked about belongs to. */
  segment?: { at: number; maxGapMs: number; start: number };
  judged: Map<Condition, Judged>;
  /** The latest judgement of each condition against a reference (a baseline, `start`). */
  momentary: Map<Condition, { end: number; reference: Float64Array | number; judged: Judged }>;
  /** The last control alignment (it depends on the moment, so only the latest is kept). */
  controls?: { control: Samples; end: number; controlEnd: number; maxGapMs: number; values: Float64Array };
}

const derivedOf = new WeakMap<Samples, Derived>();

export function derive(samples: Samples): Derived {
  const known = derivedOf.get(samples);
  if (known) return known;
  // The view's own arrays: a view never changes, so neither do these.
  const derived: Derived = { length: samples.length, times: samples.times(), values: samples.values(), increases: new Map(), judged: new Map(), momentary: new Map() };
  derivedOf.set(samples, derived);
  return derived;
}

/**
 * For each sample, a counter's increase over (t − window, t], counting a drop as a reset (the
 * counter restarted from zero). Anchored on the last sample at or before the window start, or on
 * the first sample kept when history is shorter than the window. NaN where the value is.
 */
export function increasesOf(d: Derived, windowMs: number): Float64Array {
  const cached = d.increases.get(windowMs);
  if (cached) return cached;
  const { times, values, length } = d;
  const sums = (d.sums ??= runningIncrease(values));
  const out = new Float64Array(length);
  let anchor = 0;
  for (let i = 0; i < length; i++) {
    const from = times[i]! - windowMs;
    while (anchor + 1 <= i && times[anchor + 1]! <= from) anchor++;
    out[i] = Number.isNaN(values[i]!) ? NaN : sums[i]! - sums[anchor]!;
  }
  d.increases.set(windowMs, out);
  return out;
}

function runningIncrease(values: Float64Array): Float64Array {
  const sums = new Float64Array(values.length);
  let last = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let step = 0;
    if (!Number.isNaN(v) && !Number.isNaN(last)) step = v >= last ? v - last : v;
    sums[i] = (i > 0 ? sums[i - 1]! : 0) + step;
    if (!Number.isNaN(v)) last = v;
  }
  return sums;
}
