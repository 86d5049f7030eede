// A fixed-capacity buffer of points kept in time order. Memory is bounded by the capacity, never
// by uptime: once full, each new point displaces the oldest. Late points (a backfill that lands
// after live polls) are merged into place; a point at a timestamp already held replaces it.
//
// Samples live in typed arrays (16 bytes each, 24 once a sample count arrives), not one object per
// point: 200 metrics × 2 h at 1 s held as objects cost about 83 bytes a sample and kept the GC busy.
// The ring hands out immutable views (sample-view.ts) of its arrays. For a view to stay what it
// was without a copy, the ring writes only past the end of what it holds, into storage with an
// eighth of slack beyond the capacity; when that runs out it moves the newest `capacity` samples
// into new arrays (a copy of the ring every capacity/8 appends: 8 samples a point on average, and
// 18 bytes a sample held). Old views keep the old arrays until nobody reads them.

import { SampleView } from './sample-view.js';
import type { Point } from './types.js';

const EMPTY = new Float64Array(0);

export class Ring {
  /** Samples held are at [start, start + length) of these; nothing before `start` is read again. */
  private times: Float64Array = EMPTY;
  private values: Float64Array = EMPTY;
  /** Sample counts, NaN where a point has none; allocated only once a point with a count arrives. */
  private counts: Float64Array | undefined;
  private start = 0;
  private length = 0;
  private view: SampleView | undefined;
  /** Storage beyond the capacity, so that most appends copy nothing. */
  private readonly slack: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.slack = Math.max(8, Math.ceil(capacity / 8));
  }

  get size(): number {
    return this.length;
  }

  /** The samples, oldest first. The same view is returned until the ring changes; no view ever changes. */
  samples(): SampleView {
    return (this.view ??= this.length === 0 ? SampleView.EMPTY : new SampleView(this.times, this.values, this.counts, this.start, this.length));
  }

  /**
   * Merges points in. Returns whether anything changed. Non-finite times or values are ignored:
   * the shaper already drops and reports them, so one reaching here is never worth a wrong chart.
   */
  merge(incoming: readonly Point[]): boolean {
    if (incoming.length === 0) return false;
    if (this.isAppendOnly(incoming)) {
      let changed = false;
      for (const p of incoming) if (this.append(p)) changed = true;
      return changed;
    }
    return this.rebuild(incoming);
  }

  private timeAt(i: number): number {
    return this.times[this.start + i]!;
  }

  private valueAt(i: number): number {
    return this.values[this.start + i]!;
  }

  private countAt(i: number): number {
    return this.counts ? this.counts[this.start + i]! : NaN;
  }

  /** The common case: a live poll, every point newer than anything held, in order. */
  private isAppendOnly(incoming: readonly Point[]): boolean {
    let prev = this.length === 0 ? -Infinity : this.timeAt(this.length - 1);
    for (const p of incoming) {
      if (!(p.t > prev)) return false;
      prev = p.t;
    }
    return true;
  }

  private append(p: Point): boolean {
    if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) return false;
    if (this.length === this.capacity) {
      this.start++;
      this.length--;
    }
    if (this.start + this.length === this.times.length) this.move(Math.min(this.capacity + this.slack, Math.max(8, this.length * 2)));
    const s = this.start + this.length++;
    this.times[s] = p.t;
    this.values[s] = p.v;
    const n = usableCount(p);
    if (n !== undefined) {
      if (!this.counts) {
        // New arrays, so views handed out before keep reading "no counts".
        this.counts = new Float64Array(this.times.length).fill(NaN);
      }
      this.counts[s] = n;
    } else if (this.counts) this.counts[s] = NaN;
    this.view = undefined;
    return true;
  }

  /** The samples held into new arrays of `size`, from index 0: views handed out keep the old ones. */
  private move(size: number): void {
    const end = this.start + this.length;
    const times = new Float64Array(size);
    const values = new Float64Array(size);
    times.set(this.times.subarray(this.start, end));
    values.set(this.values.subarray(this.start, end));
    if (this.counts) {
      const counts = new Float64Array(size).fill(NaN);
      counts.set(this.counts.subarray(this.start, end));
      this.counts = counts;
    }
    this.times = times;
    this.values = values;
    this.start = 0;
  }

  /** Out-of-order input: merge both sorted runs, later writes winning ties, keep the newest. */
  private rebuild(incoming: readonly Point[]): boolean {
    const fresh = incoming
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => Number.isFinite(p.t) && Number.isFinite(p.v))
      // Stable by arrival so that, among equal timestamps, the last one written wins below.
      .sort((a, b) => a.p.t - b.p.t || a.i - b.i);
    if (fresh.length === 0) return false;
    const held = this.length;
    const cap = held + fresh.length;
    const mt = new Float64Array(cap);
    const mv = new Float64Array(cap);
    const mn = new Float64Array(cap).fill(NaN);
    /** Which held point each merged one is, -1 for a new or replaced one. */
    const from = new Int32Array(cap);
    let m = 0;
    let i = 0;
    let j = 0;
    let changed = false;
    while (i < held || j < fresh.length) {
      const b = fresh[j]?.p;
      if (b === undefined || (i < held && this.timeAt(i) <= b.t)) {
        const t = this.timeAt(i);
        if (!(m > 0 && mt[m - 1] === t)) {
          mt[m] = t;
          mv[m] = this.valueAt(i);
          mn[m] = this.countAt(i);
          from[m++] = i;
        }
        i++;
      } else {
        if (m > 0 && mt[m - 1] === b.t) {
          const topN = Number.isNaN(mn[m - 1]!) ? undefined : mn[m - 1];
          if (mv[m - 1] !== b.v || topN !== b.n) {
            mv[m - 1] = b.v;
            mn[m - 1] = usableCount(b) ?? NaN;
            from[m - 1] = -1;
            changed = true;
          }
        } else {
          mt[m] = b.t;
          mv[m] = b.v;
          mn[m] = usableCount(b) ?? NaN;
          from[m++] = -1;
          changed = true;
        }
        j++;
      }
    }
    const drop = Math.max(0, m - this.capacity);
    const kept = m - drop;
    // A point older than a full ring's oldest is displaced at once: nothing changed after all.
    if (!changed) return false;
    if (kept === held) {
      let same = true;
      for (let k = 0; k < kept && same; k++) same = from[drop + k] === k;
      if (same) return false;
    }
    this.times = mt.slice(drop, m);
    this.values = mv.slice(drop, m);
    const counts = mn.subarray(drop, m);
    this.counts = counts.some((n) => !Number.isNaN(n)) ? counts.slice() : undefined;
    this.start = 0;
    this.length = kept;
    this.view = undefined;
    return true;
  }
}

/** The sample count a point carries when it is usable, as the ring keeps it. */
function usableCount(p: Point): number | undefined {
  return p.n !== undefined && Number.isFinite(p.n) && p.n >= 0 ? p.n : undefined;
}
