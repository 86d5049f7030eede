// Conditions judged over one series of samples. Everything here is derived from the points alone
// (never from the order they arrived in or from earlier calls): `for` walks back from the latest
// sample while the condition holds, a count is a counter's increase inside its window, a baseline
// is the control sample nearest in time, and `start` is the first sample of the phase.

import type { Comparator } from '../profile/condition.js';
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
    let observed: Float64Array;
    let thresholds: Float64Array | number;
    switch (condition.kind) {
      case 'literal':
        observed = this.values();
        thresholds = condition.threshold;
        break;
      case 'count':
        observed = this.increases(condition.windowMs);
        thresholds = condition.count;
        break;
      default: {
        // threshold = reference × scale + offset, per the condition's form.
        const scale = condition.kind === 'factor' ? condition.factor : condition.kind === 'relative' ? 1 + condition.percent / 100 : 1;
        const offset = condition.kind === 'delta' ? condition.delta : 0;
        const refs = this.references(condition.ref);
        const scaled = new Float64Array(refs.length);
        for (let i = 0; i < refs.length; i++) scaled[i] = refs[i]! * scale + offset;
        observed = this.values();
        thresholds = scaled;
      }
    }
    const out = judgeAll(condition.op, observed, thresholds);
    this.truthCache.set(condition, out);
    return out;
  }

  /** The sample values as numbers (NaN where there is none). */
  private values(): Float64Array {
    if (this.valueCache) return this.valueCache;
    const out = new Float64Array(this.end);
    for (let i = 0; i < this.end; i++) out[i] = this.points[i]!.v;
    this.valueCache = out;
    return out;
  }

  /** The reference for each sample (NaN where there is none). */
  private references(ref: Reference): Float64Array {
    const baseline = this.metric.baseline;
    if (ref === 'baseline' && (baseline?.kind === 'query' || baseline?.kind === 'select')) return this.controls();
    const constant = ref === 'baseline' && baseline?.kind === 'value' ? baseline.value : ref === 'baseline' && !baseline ? undefined : this.startValue();
    return new Float64Array(this.end).fill(constant ?? NaN);
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
    const { points, maxGapMs } = this;
    while (i > floor && truth[i - 1] === HOLDS && points[i]!.t - points[i - 1]!.t <= maxGapMs) i--;
    return i;
  }

  /** Where the latest run of samples on which neither condition holds begins (-1 if none). */
  quietStart(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
    const { points, maxGapMs } = this;
    const none = new Uint8Array(0);
    const x = a ?? none;
    const y = b ?? none;
    let i = this.end - 1;
    if (i < 0 || x[i] === HOLDS || y[i] === HOLDS) return -1;
    while (i > 0 && x[i - 1] !== HOLDS && y[i - 1] !== HOLDS && points[i]!.t - points[i - 1]!.t <= maxGapMs) i--;
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
    const { points, control, end, controlEnd, maxGapMs } = this;
    const out = new Float64Array(end).fill(NaN);
    let j = 0;
    for (let i = 0; i < end; i++) {
      const t = points[i]!.t;
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
    const { points, end } = this;
    const out = new Float64Array(end);
    let anchor = 0;
    for (let i = 0; i < end; i++) {
      const from = points[i]!.t - windowMs;
      while (anchor + 1 <= i && points[anchor + 1]!.t <= from) anchor++;
      out[i] = Number.isNaN(points[i]!.v) ? NaN : sums[i]! - sums[anchor]!;
    }
    this.increaseCache.set(windowMs, out);
    return out;
  }

  private cumulative(): Float64Array {
    if (this.sums) return this.sums;
    const sums = new Float64Array(this.end);
    let last = NaN;
    for (let i = 0; i < this.end; i++) {
      const v = this.points[i]!.v;
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
 * One comparison over every sample, with a loop per operator so the hot path has no dispatch. A
 * comparison with NaN on either side is no judgement (UNKNOWN), whatever the operator.
 */
function judgeAll(op: Comparator, observed: Float64Array, thresholds: Float64Array | number): Uint8Array {
  const n = observed.length;
  const out = new Uint8Array(n);
  const scalar = typeof thresholds === 'number';
  const limit = (i: number) => (scalar ? thresholds : thresholds[i]!);
  switch (op) {
    case '>':
      for (let i = 0; i < n; i++) out[i] = observed[i]! > limit(i) ? HOLDS : FAILS;
      break;
    case '>=':
      for (let i = 0; i < n; i++) out[i] = observed[i]! >= limit(i) ? HOLDS : FAILS;
      break;
    case '<':
      for (let i = 0; i < n; i++) out[i] = observed[i]! < limit(i) ? HOLDS : FAILS;
      break;
    case '<=':
      for (let i = 0; i < n; i++) out[i] = observed[i]! <= limit(i) ? HOLDS : FAILS;
      break;
    case '==':
      for (let i = 0; i < n; i++) out[i] = observed[i]! === limit(i) ? HOLDS : FAILS;
      break;
    case '!=':
      for (let i = 0; i < n; i++) out[i] = observed[i]! !== limit(i) ? HOLDS : FAILS;
      break;
  }
  for (let i = 0; i < n; i++) {
    const a = observed[i]!;
    const b = limit(i);
    // x !== x is the NaN test, inlined.
    if (a !== a || b !== b) out[i] = UNKNOWN;
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
