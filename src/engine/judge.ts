// Conditions judged over one series of samples. Everything here is derived from the points alone
// (never from the order they arrived in or from earlier calls): `for` walks back from the latest
// sample while the condition holds, a count is a counter's increase inside its window, a baseline
// is the control sample nearest in time, and `start` is the first sample of the phase.

import { compare, type Comparator } from '../profile/condition.js';
import type { Condition, Metric, Reference } from '../profile/types.js';
import type { MetricSeries, Point, SeriesGroup, SeriesSnapshot } from './types.js';

/** A sample is stale, and a run of samples broken, after this many intervals without one. */
export const STALE_INTERVALS = 3;

/** Per sample, whether a condition holds; UNKNOWN when it cannot be judged (no value or no reference). */
export const FAILS = 0;
export const HOLDS = 1;
export const UNKNOWN = 2;

/** One series of a metric (canary points with their control track) as seen at a moment `now`. */
export class Track {
  readonly key: string;
  readonly points: readonly Point[];
  /** One past the last sample at or before `now`: later samples do not exist yet. */
  readonly end: number;
  /** The longest step between two samples that still counts as continuous. */
  readonly maxGapMs: number;
  /** The first sample at or after the phase start (`end` when there is none). */
  readonly phaseStart: number;
  private readonly control: readonly Point[];
  private readonly controlEnd: number;
  private sums: Float64Array | undefined;
  private controlCache: Float64Array | undefined;
  private readonly increaseCache = new Map<number, Float64Array>();
  private readonly truthCache = new Map<Condition, Uint8Array>();
  private valueCache: Float64Array | undefined;
  private timeCache: Float64Array | undefined;

  constructor(
    group: SeriesGroup,
    private readonly metric: Metric,
    phaseStartedAt: number,
    now: number,
  ) {
    this.key = group.key;
    this.points = group.canary;
    this.end = upperBound(group.canary, now);
    this.control = group.baseline;
    this.controlEnd = upperBound(group.baseline, now);
    this.maxGapMs = STALE_INTERVALS * metric.intervalMs;
    this.phaseStart = Math.min(lowerBound(group.canary, phaseStartedAt), this.end);
  }

  get empty(): boolean {
    return this.end === 0;
  }

  /** The latest sample at or before now. */
  get latest(): Point | undefined {
    return this.end > 0 ? this.points[this.end - 1] : undefined;
  }

  value(i: number): number | undefined {
    const v = this.points[i]!.v;
    return Number.isNaN(v) ? undefined : v;
  }

  /** The value when the phase began: the first sample at or after the phase start. */
  startValue(): number | undefined {
    return this.phaseStart < this.end ? this.value(this.phaseStart) : undefined;
  }

  /** The metric's baseline at sample i: the control sample nearest in time, a number, or `start`. */
  baselineAt(i: number): number | undefined {
    const baseline = this.metric.baseline;
    if (!baseline) return undefined;
    switch (baseline.kind) {
      case 'value':
        return baseline.value;
      case 'start':
        return this.startValue();
      case 'query':
      case 'select': {
        const v = this.controls()[i]!;
        return Number.isNaN(v) ? undefined : v;
      }
    }
  }

  reference(ref: Reference, i: number): number | undefined {
    return ref === 'start' ? this.startValue() : this.baselineAt(i);
  }

  /** What the condition compares at sample i: the value, or for a count the increase in its window. */
  observed(condition: Condition, i: number): number | undefined {
    if (condition.kind !== 'count') return this.value(i);
    const inc = this.increases(condition.windowMs)[i]!;
    return Number.isNaN(inc) ? undefined : inc;
  }

  /** The threshold in force at sample i, in the metric's unit. */
  threshold(condition: Condition, i: number): number | undefined {
    switch (condition.kind) {
      case 'literal':
        return condition.threshold;
      case 'count':
        return condition.count;
      case 'factor': {
        const r = this.reference(condition.ref, i);
        return r === undefined ? undefined : r * condition.factor;
      }
      case 'relative': {
        const r = this.reference(condition.ref, i);
        return r === undefined ? undefined : r * (1 + condition.percent / 100);
      }
      case 'delta': {
        const r = this.reference(condition.ref, i);
        return r === undefined ? undefined : r + condition.delta;
      }
    }
  }

  /**
   * Whether the condition holds at each sample: HOLDS, FAILS or UNKNOWN (no value, or no reference
   * to compare with). Computed once per condition in one tight pass, so walks over it stay cheap.
   */
  truth(condition: Condition): Uint8Array {
    const cached = this.truthCache.get(condition);
    if (cached) return cached;
    let out: Uint8Array;
    switch (condition.kind) {
      case 'literal':
        out = judgeAll(condition.op, this.values(), condition.threshold, 1, 0);
        break;
      case 'count':
        out = judgeAll(condition.op, this.increases(condition.windowMs), condition.count, 1, 0);
        break;
      case 'factor':
        out = judgeAll(condition.op, this.values(), this.references(condition.ref), condition.factor, 0);
        break;
      case 'relative':
        out = judgeAll(condition.op, this.values(), this.references(condition.ref), 1 + condition.percent / 100, 0);
        break;
      case 'delta':
        out = judgeAll(condition.op, this.values(), this.references(condition.ref), 1, condition.delta);
        break;
    }
    this.truthCache.set(condition, out);
    return out;
  }

  /** The sample values as numbers (NaN where there is none). */
  private values(): Float64Array {
    if (this.valueCache) return this.valueCache;
    const { points, end } = this;
    const out = new Float64Array(end);
    for (let i = 0; i < end; i++) out[i] = points[i]!.v;
    this.valueCache = out;
    return out;
  }

  /** The sample times, for walks that check the spacing of samples. */
  private times(): Float64Array {
    if (this.timeCache) return this.timeCache;
    const { points, end } = this;
    const out = new Float64Array(end);
    for (let i = 0; i < end; i++) out[i] = points[i]!.t;
    this.timeCache = out;
    return out;
  }

  /** The reference for each sample (NaN where there is none), or one number for all. */
  private references(ref: Reference): Float64Array | number {
    const baseline = this.metric.baseline;
    if (ref === 'start') return this.startValue() ?? NaN;
    switch (baseline?.kind) {
      case 'query':
      case 'select':
        return this.controls();
      case 'value':
        return baseline.value;
      case 'start':
        return this.startValue() ?? NaN;
      case undefined:
        return NaN;
    }
  }

  /**
   * Where the run of samples on which the condition holds, ending at the latest sample, begins
   * (-1 when the latest does not hold). The run stops at `floor`, at a sample where it does not
   * hold, and at a gap longer than STALE_INTERVALS intervals: a condition seen across a blackout
   * has not held on every sample.
   */
  runStart(truth: Uint8Array, floor = 0): number {
    let i = this.end - 1;
    if (i < floor || truth[i] !== HOLDS) return -1;
    const times = this.times();
    const maxGapMs = this.maxGapMs;
    while (i > floor && truth[i - 1] === HOLDS && times[i]! - times[i - 1]! <= maxGapMs) i--;
    return i;
  }

  /** Where the latest run of samples on which neither condition holds begins (-1 if none). */
  quietStart(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
    const times = this.times();
    const maxGapMs = this.maxGapMs;
    // With one condition, it stands in for both.
    const x = a ?? b;
    const y = b ?? a;
    let i = this.end - 1;
    if (i < 0) return -1;
    if (!x || !y) {
      while (i > 0 && times[i]! - times[i - 1]! <= maxGapMs) i--;
      return i;
    }
    if (x[i] === HOLDS || y[i] === HOLDS) return -1;
    while (i > 0 && x[i - 1] !== HOLDS && y[i - 1] !== HOLDS && times[i]! - times[i - 1]! <= maxGapMs) i--;
    return i;
  }

  /** The first sample from `from` on that is at least `ms` after it: when a `for` was satisfied. */
  reachedAfter(from: number, ms: number): number {
    const target = this.points[from]!.t + ms;
    let lo = from;
    let hi = this.end - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]!.t >= target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * For each sample, the control sample nearest in time (NaN when none is within the staleness
   * limit: a control value from long ago is not a baseline for now). One merge-like pass.
   */
  private controls(): Float64Array {
    if (this.controlCache) return this.controlCache;
    const { control, end, controlEnd, maxGapMs } = this;
    const times = this.times();
    const out = new Float64Array(end).fill(NaN);
    let j = 0;
    for (let i = 0; i < end; i++) {
      const t = times[i]!;
      while (j < controlEnd && control[j]!.t < t) j++;
      // The neighbours on either side of t; the nearer one wins, the earlier on a tie.
      const before = j > 0 ? control[j - 1] : undefined;
      const after = j < controlEnd ? control[j] : undefined;
      const db = before && !Number.isNaN(before.v) ? t - before.t : Infinity;
      const da = after && !Number.isNaN(after.v) ? after.t - t : Infinity;
      const nearest = db <= da ? before : after;
      if (nearest && Math.min(db, da) <= maxGapMs) out[i] = nearest.v;
    }
    this.controlCache = out;
    return out;
  }

  /**
   * For each sample, a counter's increase over (t − window, t], counting a drop as a reset (the
   * counter restarted from zero). Anchored on the last sample at or before the window start, or
   * on the first sample kept when history is shorter than the window. NaN where the value is.
   */
  increases(windowMs: number): Float64Array {
    const cached = this.increaseCache.get(windowMs);
    if (cached) return cached;
    const sums = this.cumulative();
    const times = this.times();
    const values = this.values();
    const end = this.end;
    const out = new Float64Array(end);
    let anchor = 0;
    for (let i = 0; i < end; i++) {
      const from = times[i]! - windowMs;
      while (anchor + 1 <= i && times[anchor + 1]! <= from) anchor++;
      out[i] = Number.isNaN(values[i]!) ? NaN : sums[i]! - sums[anchor]!;
    }
    this.increaseCache.set(windowMs, out);
    return out;
  }

  private cumulative(): Float64Array {
    if (this.sums) return this.sums;
    const values = this.values();
    const end = this.end;
    const sums = new Float64Array(end);
    let last = NaN;
    for (let i = 0; i < end; i++) {
      const v = values[i]!;
      let step = 0;
      if (!Number.isNaN(v) && !Number.isNaN(last)) step = v >= last ? v - last : v;
      sums[i] = (i > 0 ? sums[i - 1]! : 0) + step;
      if (!Number.isNaN(v)) last = v;
    }
    this.sums = sums;
    return sums;
  }
}

/**
 * One comparison over every sample: observed[i] op (reference × scale + offset), where the
 * reference is one number or one per sample. A loop per operator keeps the hot path free of
 * dispatch, and NaN on either side is no judgement (UNKNOWN) whatever the operator.
 */
function judgeAll(op: Comparator, observed: Float64Array, reference: Float64Array | number, scale: number, offset: number): Uint8Array {
  const n = observed.length;
  const out = new Uint8Array(n);
  if (typeof reference === 'number') {
    const l = reference * scale + offset;
    if (l !== l) return out.fill(UNKNOWN);
    switch (op) {
      case '>':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a > l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '>=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a >= l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '<':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a < l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '<=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a <= l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
    }
  } else {
    switch (op) {
      case '>':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a > l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '>=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a >= l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '<':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a < l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '<=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a <= l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
    }
  }
  // == and != are rare in profiles: the plain way.
  for (let i = 0; i < n; i++) {
    const a = observed[i]!;
    const l = (typeof reference === 'number' ? reference : reference[i]!) * scale + offset;
    out[i] = a !== a || l !== l ? UNKNOWN : compare(op, a, l) ? HOLDS : FAILS;
  }
  return out;
}

/** What the store knows about one metric, prepared for judging at a moment. */
export interface MetricView {
  metric: Metric;
  series: MetricSeries | undefined;
  /**
   * The series with samples. For a split metric, a group that stopped answering while others go on
   * (an endpoint with no traffic any more) is left out rather than holding the rollout as stale.
   */
  tracks: Track[];
  /** The latest poll that answered at all answered with no value. */
  answeredEmpty: boolean;
  consecutiveErrors: number;
  /** Even the freshest sample is older than STALE_INTERVALS intervals. */
  stale: boolean;
  /** Age of the freshest sample. */
  ageMs?: number;
}

export function viewMetric(metric: Metric, series: SeriesSnapshot[string] | undefined, phaseStartedAt: number, now: number): MetricView {
  const all = (series?.groups ?? []).map((g) => new Track(g, metric, phaseStartedAt, now)).filter((t) => !t.empty);
  const freshest = all.reduce((max, t) => Math.max(max, t.latest!.t), -Infinity);
  const maxGapMs = STALE_INTERVALS * metric.intervalMs;
  const tracks = all.filter((t) => freshest - t.latest!.t <= maxGapMs);
  const consecutiveErrors = series?.consecutiveErrors ?? 0;
  const ageMs = tracks.length > 0 ? Math.max(0, now - freshest) : undefined;
  return {
    metric,
    series,
    tracks,
    // Errors since then do not change what the last answer said.
    answeredEmpty: (series?.consecutiveNoData ?? 0) > 0,
    consecutiveErrors,
    stale: ageMs !== undefined && ageMs > maxGapMs,
    ...(ageMs !== undefined ? { ageMs } : {}),
  };
}

/** Index of the first point with t >= time (within the first n points). */
export function lowerBound(points: readonly Point[], time: number, n = points.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.t < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first point with t > time (within the first n points). */
export function upperBound(points: readonly Point[], time: number, n = points.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
