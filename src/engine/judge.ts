// Conditions judged over one series of samples. Everything here is derived from the points alone
// (never from the order they arrived in, nor from earlier calls): `for` walks back from the latest
// sample while the condition holds, a count is a counter's increase inside its window, a baseline
// is the control sample nearest in time, and `start` is the first sample of the phase.

import type { Condition, Metric, Profile, Reference } from '../profile/types.js';
import { derive, increasesOf, type Derived } from './derived.js';
import { compareAll, HOLDS, Judged } from './truth.js';
import type { MetricSeries, Point, Samples, SeriesGroup, SeriesSnapshot } from './types.js';

/** A sample is stale, and a run of samples broken, after this many intervals without one. */
export const STALE_INTERVALS = 3;

/** One series of a metric (canary points with their control track) as seen at a moment `now`. */
export class Track {
  readonly key: string;
  readonly samples: Samples;
  /** One past the last sample at or before `now`: later samples do not exist yet. */
  readonly end: number;
  /** The longest step between two samples that still counts as continuous. */
  readonly maxGapMs: number;
  /** The first sample at or after the phase start (`end` when there is none). */
  readonly phaseStart: number;
  private readonly control: Samples;
  private readonly controlEnd: number;
  private readonly derived: Derived;

  constructor(
    group: SeriesGroup,
    private readonly metric: Metric,
    phaseStartedAt: number,
    now: number,
  ) {
    this.key = group.key;
    this.samples = group.canary;
    this.derived = derive(group.canary);
    this.end = group.canary.upperBound(now);
    this.control = group.baseline;
    this.controlEnd = group.baseline.upperBound(now);
    this.maxGapMs = STALE_INTERVALS * metric.intervalMs;
    this.phaseStart = Math.min(group.canary.lowerBound(phaseStartedAt), this.end);
  }

  get empty(): boolean {
    return this.end === 0;
  }

  /** The latest sample at or before now. */
  get latest(): Point | undefined {
    return this.end > 0 ? this.samples.pointAt(this.end - 1) : undefined;
  }

  /** Time of sample i (0 ≤ i < end). */
  timeAt(i: number): number {
    return this.derived.times[i]!;
  }

  /** The samples behind sample i (undefined when its count is unknown). */
  countAt(i: number): number | undefined {
    return this.samples.countAt(i);
  }

  value(i: number): number | undefined {
    const v = this.derived.values[i]!;
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

  /** The control sample nearest in time to sample i, within the staleness limit (with its count, if any). */
  controlAt(i: number): Point | undefined {
    const t = this.timeAt(i);
    const control = this.control;
    const j = Math.min(control.lowerBound(t), this.controlEnd);
    const db = j > 0 ? t - control.timeAt(j - 1) : Infinity;
    const da = j < this.controlEnd ? control.timeAt(j) - t : Infinity;
    const nearest = db <= da ? j - 1 : j;
    return Math.min(db, da) <= this.maxGapMs && !Number.isNaN(control.valueAt(nearest)) ? control.pointAt(nearest) : undefined;
  }

  reference(ref: Reference, i: number): number | undefined {
    return ref === 'start' ? this.startValue() : this.baselineAt(i);
  }

  /** What the condition compares at sample i: the value, or for a count the increase in its window. */
  observed(condition: Condition, i: number): number | undefined {
    if (condition.kind !== 'count') return this.value(i);
    const inc = increasesOf(this.derived, condition.windowMs)[i]!;
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

  /** The condition judged on every sample up to now. */
  judge(condition: Condition): Judged {
    // Literals and counts depend on the points alone (sample i on samples up to i only), so they
    // serve every moment judged; comparisons with a reference depend on the moment.
    if (condition.kind === 'literal' || condition.kind === 'count') {
      const shared = this.derived.judged.get(condition);
      if (shared) return shared;
      const observed = condition.kind === 'literal' ? this.derived.values : increasesOf(this.derived, condition.windowMs);
      const judged = new Judged(compareAll(condition.op, observed, condition.kind === 'literal' ? condition.threshold : condition.count, 1, 0));
      this.derived.judged.set(condition, judged);
      return judged;
    }
    // Valid for as long as the samples up to now and the reference are the same.
    const reference = this.references(condition.ref);
    const known = this.derived.momentary.get(condition);
    if (known && known.end === this.end && known.reference === reference) return known.judged;
    const scale = condition.kind === 'factor' ? condition.factor : condition.kind === 'relative' ? 1 + condition.percent / 100 : 1;
    const offset = condition.kind === 'delta' ? condition.delta : 0;
    const values = this.derived.values.subarray(0, this.end);
    const judged = new Judged(compareAll(condition.op, values, reference, scale, offset));
    this.derived.momentary.set(condition, { end: this.end, reference, judged });
    return judged;
  }

  /**
   * Where the run of samples on which the condition holds, ending at the latest sample, begins
   * (-1 when the latest does not hold). The run stops at `floor`, at a sample where it does not
   * hold, and at a gap longer than STALE_INTERVALS intervals: a condition seen across a blackout
   * has not held on every sample.
   */
  runStart(judged: Judged, floor = 0): number {
    const i = this.end - 1;
    if (i < floor || judged.truth[i] !== HOLDS) return -1;
    return Math.max(judged.runFrom(i), this.segmentStart(i), floor);
  }

  /** Where the latest run of samples on which none of the conditions holds begins (-1 if none). */
  quietStart(conditions: readonly Judged[]): number {
    const i = this.end - 1;
    if (i < 0) return -1;
    let start = this.segmentStart(i);
    for (const judged of conditions) start = Math.max(start, judged.lastHold(i) + 1);
    return start > i ? -1 : start;
  }

  /** The first sample from `from` on that is at least `ms` after it: when a `for` was satisfied. */
  reachedAfter(from: number, ms: number): number {
    const times = this.derived.times;
    const target = times[from]! + ms;
    let lo = from;
    let hi = this.end - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! >= target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The first sample of the stretch without a blackout that sample i belongs to. */
  private segmentStart(i: number): number {
    const known = this.derived.segment;
    if (known && known.at === i && known.maxGapMs === this.maxGapMs) return known.start;
    const times = this.derived.times;
    let start = i;
    while (start > 0 && times[start]! - times[start - 1]! <= this.maxGapMs) start--;
    this.derived.segment = { at: i, maxGapMs: this.maxGapMs, start };
    return start;
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
   * For each sample up to now, the control sample nearest in time (NaN when none is within the
   * staleness limit: a control value from long ago is not a baseline for now).
   */
  private controls(): Float64Array {
    const { control, end, controlEnd, maxGapMs } = this;
    const known = this.derived.controls;
    if (known && known.control === control && known.end === end && known.controlEnd === controlEnd && known.maxGapMs === maxGapMs) {
      return known.values;
    }
    const times = this.derived.times;
    const ct = control.times();
    const cv = control.values();
    const out = new Float64Array(end).fill(NaN);
    let j = 0;
    for (let i = 0; i < end; i++) {
      const t = times[i]!;
      while (j < controlEnd && ct[j]! < t) j++;
      // The neighbours on either side of t; the nearer one wins, the earlier on a tie.
      const db = j > 0 && !Number.isNaN(cv[j - 1]!) ? t - ct[j - 1]! : Infinity;
      const da = j < controlEnd && !Number.isNaN(cv[j]!) ? ct[j]! - t : Infinity;
      if (Math.min(db, da) <= maxGapMs) out[i] = db <= da ? cv[j - 1]! : cv[j]!;
    }
    this.derived.controls = { control, end, controlEnd, maxGapMs, values: out };
    return out;
  }
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

/**
 * The profile with each metric's interval widened to the spacing its samples actually have.
 * History from a range query can be sparser than the live interval (Prometheus caps points per
 * series; SQL history is a few dozen evaluations), and judged at the live interval every step of
 * it would read as a blackout that breaks each `for` and hold window. For one-shot judgements of
 * backfilled history (`check`, `report`).
 */
export function spacedLike(profile: Profile, series: SeriesSnapshot): Profile {
  const metrics: Record<string, Metric> = {};
  for (const id of profile.metricIds) {
    const m = profile.metrics[id]!;
    metrics[id] = { ...m, intervalMs: Math.max(m.intervalMs, typicalStep(series[id])) };
  }
  return { ...profile, metrics };
}

/** The median step between samples. */
function typicalStep(series: MetricSeries | undefined): number {
  const steps: number[] = [];
  for (const g of series?.groups ?? []) {
    for (let i = 1; i < g.canary.length; i++) steps.push(g.canary.timeAt(i) - g.canary.timeAt(i - 1));
  }
  steps.sort((a, b) => a - b);
  return steps.length > 0 ? steps[Math.floor(steps.length / 2)]! : 0;
}

/** Index of the first point with t > time. */
export function upperBound(points: readonly { t: number }[], time: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
