// A series' samples in time order, read by index: the times, values and sample counts of a stretch
// of typed arrays, never one object per sample. What the store hands out for each ring, and what
// judging, the chart and the sparkline read (through `Samples`, engine/types.ts).
//
// A view never changes: the ring only ever writes past the end of every view it has handed out, and
// moves its samples into new arrays when it grows, compacts or merges out of order. So a snapshot
// (a frozen screen, the one a judgement was made on) keeps showing what it showed, and caches keyed
// by a view (engine/derived.ts) stay right, without a copy per poll.

import type { MetricSeries, Point, Samples, SeriesSnapshot } from './types.js';

const NONE = new Float64Array(0);

export class SampleView implements Samples {
  static readonly EMPTY = new SampleView(NONE, NONE, undefined, 0, 0);

  /**
   * @param counts sample counts, NaN where a sample has none; undefined when none has one.
   * The arrays are the owner's: nothing may write inside [start, start + length) afterwards.
   */
  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
    private readonly ns: Float64Array | undefined,
    private readonly start: number,
    readonly length: number,
  ) {}

  /** Points given in time order (a source's answer, a test's series), copied. Non-finite ones are left out. */
  static of(points: readonly Point[]): SampleView {
    const ts = new Float64Array(points.length);
    const vs = new Float64Array(points.length);
    let ns: Float64Array | undefined;
    let k = 0;
    for (const p of points) {
      if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) continue;
      ts[k] = p.t;
      vs[k] = p.v;
      if (p.n !== undefined && Number.isFinite(p.n) && p.n >= 0) (ns ??= new Float64Array(points.length).fill(NaN))[k] = p.n;
      k++;
    }
    return k === 0 ? SampleView.EMPTY : new SampleView(ts, vs, ns, 0, k);
  }

  /** Time of sample i, oldest first (0 ≤ i < length). */
  timeAt(i: number): number {
    return this.ts[this.start + i]!;
  }

  valueAt(i: number): number {
    return this.vs[this.start + i]!;
  }

  /** The sample count of sample i, undefined when it has none. */
  countAt(i: number): number | undefined {
    if (!this.ns) return undefined;
    const n = this.ns[this.start + i]!;
    return n === n ? n : undefined;
  }

  /** The times, without a copy: read them, never write them. */
  times(): Float64Array {
    return this.ts.subarray(this.start, this.start + this.length);
  }

  /** The values, without a copy: read them, never write them. */
  values(): Float64Array {
    return this.vs.subarray(this.start, this.start + this.length);
  }

  /** Index of the first sample with a time ≥ t (length when none). */
  lowerBound(t: number): number {
    const ts = this.ts;
    let lo = this.start;
    let hi = this.start + this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Index of the first sample with a time > t (length when none). */
  upperBound(t: number): number {
    const ts = this.ts;
    let lo = this.start;
    let hi = this.start + this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  /** Samples [from, to) (clamped), sharing these arrays. */
  slice(from: number, to: number): SampleView {
    const a = Math.max(0, Math.min(this.length, from));
    const b = Math.max(a, Math.min(this.length, to));
    return a === 0 && b === this.length ? this : new SampleView(this.ts, this.vs, this.ns, this.start + a, b - a);
  }

  /** Sample i as a point, for the few readers that want one object (a report, the wire). */
  pointAt(i: number): Point {
    const n = this.countAt(i);
    return n === undefined ? { t: this.timeAt(i), v: this.valueAt(i) } : { t: this.timeAt(i), v: this.valueAt(i), n };
  }

  toPoints(): Point[] {
    const out: Point[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.pointAt(i));
    return out;
  }

  /** On the wire (the agent's socket) a series is its points, as before views existed. */
  toJSON(): Point[] {
    return this.toPoints();
  }
}

/**
 * A series snapshot as it came over the wire (JSON: points as objects) made into views. Anything
 * that is not a list of points is read as no samples, a point that is not two finite numbers is
 * left out: the agent on the other end is ours, the bytes in between are not to be trusted.
 */
export function reviveSeries(wire: unknown): SeriesSnapshot {
  const out: Record<string, MetricSeries> = {};
  if (typeof wire !== 'object' || wire === null) return out;
  for (const [id, raw] of Object.entries(wire as Record<string, unknown>)) {
    const m = raw as Partial<Omit<MetricSeries, 'groups'>> & { groups?: unknown };
    if (typeof m !== 'object' || m === null) continue;
    const groups = Array.isArray(m.groups) ? m.groups : [];
    out[id] = {
      ...m,
      consecutiveErrors: typeof m.consecutiveErrors === 'number' ? m.consecutiveErrors : 0,
      consecutiveNoData: typeof m.consecutiveNoData === 'number' ? m.consecutiveNoData : 0,
      groups: groups
        .filter((g): g is { key: unknown; canary?: unknown; baseline?: unknown } => typeof g === 'object' && g !== null)
        .map((g) => ({ key: String(g.key ?? ''), canary: fromWire(g.canary), baseline: fromWire(g.baseline) })),
    };
  }
  return out;
}

function fromWire(points: unknown): SampleView {
  if (!Array.isArray(points)) return SampleView.EMPTY;
  // A value that was not a number (NaN) travels in JSON as null: it comes back as NaN.
  const ok = points
    .filter((p): p is { t: number; v: number | null; n?: number } => typeof p === 'object' && p !== null && typeof p.t === 'number' && (typeof p.v === 'number' || p.v === null))
    .map((p): Point => (p.v === null ? { ...p, v: Number.NaN } : (p as Point)));
  const sorted = ok.every((p, i) => i === 0 || ok[i - 1]!.t < p.t) ? ok : [...ok].sort((a, b) => a.t - b.t);
  return SampleView.of(sorted);
}
