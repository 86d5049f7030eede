// A fixed-capacity buffer of points kept in time order. Memory is bounded by the capacity, never
// by uptime: once full, each new point displaces the oldest. Late points (a backfill that lands
// after live polls) are merged into place; a point at a timestamp already held replaces it.
//
// Samples live in typed arrays (16 bytes each, 24 once a sample count arrives), not one object per
// point: 200 metrics × 2 h at 1 s held as objects cost about 83 bytes a sample and kept the GC busy.
// Point objects are made only for `points()`, lazily, and reused from the previous view when the
// ring only appended since, so a live poll costs one new object rather than a copy of the ring.

import type { Point } from './types.js';

const EMPTY = new Float64Array(0);

export class Ring {
  /** Circular storage; grows towards `capacity` on demand so short-lived metrics stay small. */
  private times: Float64Array = EMPTY;
  private values: Float64Array = EMPTY;
  /** Sample counts, NaN where a point has none; allocated only once a point with a count arrives. */
  private counts: Float64Array | undefined;
  /** Index of the oldest point once the storage has wrapped (always 0 before). */
  private head = 0;
  private length = 0;
  /** Points appended since `view` was made; any other change drops the view. */
  private appended = 0;
  private view: readonly Point[] | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.length;
  }

  /** Time of the i-th point, oldest first (0 ≤ i < size). */
  timeAt(i: number): number {
    return this.times[this.slot(i)]!;
  }

  /** Value of the i-th point, oldest first (0 ≤ i < size). */
  valueAt(i: number): number {
    return this.values[this.slot(i)]!;
  }

  /** Sample count of the i-th point, undefined when it has none. */
  countAt(i: number): number | undefined {
    if (!this.counts) return undefined;
    const n = this.counts[this.slot(i)]!;
    return Number.isNaN(n) ? undefined : n;
  }

  last(): Point | undefined {
    return this.length === 0 ? undefined : this.pointAt(this.length - 1);
  }

  /** The points, oldest first. The same array is returned until the ring changes. */
  points(): readonly Point[] {
    const n = this.length;
    if (this.view && this.appended === 0) return this.view;
    // Filled by push so V8 keeps it packed: reading a holey frozen array is several times slower.
    const out: Point[] = [];
    let i = 0;
    if (this.view && this.appended > 0 && this.appended < n) {
      // Only appends since the last view: keep its point objects, drop the displaced ones. A plain
      // loop, as slice() on a frozen array takes V8's slow path.
      const prev = this.view;
      const kept = n - this.appended;
      for (let from = prev.length - kept; i < kept; i++, from++) out.push(prev[from]!);
    }
    for (; i < n; i++) out.push(this.pointAt(i));
    this.view = Object.freeze(out);
    this.appended = 0;
    return this.view;
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

  private slot(i: number): number {
    const at = this.head + i;
    return at < this.times.length ? at : at - this.times.length;
  }

  private pointAt(i: number): Point {
    const s = this.slot(i);
    const n = this.counts?.[s];
    return n !== undefined && !Number.isNaN(n) ? { t: this.times[s]!, v: this.values[s]!, n } : { t: this.times[s]!, v: this.values[s]! };
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
    let s: number;
    if (this.length < this.capacity) {
      if (this.length === this.times.length) this.grow(Math.min(this.capacity, Math.max(8, this.length * 2)));
      s = this.length++;
    } else {
      s = this.head;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.times[s] = p.t;
    this.values[s] = p.v;
    const n = usableCount(p);
    if (n !== undefined) (this.counts ??= this.nanFilled(this.times.length))[s] = n;
    else if (this.counts) this.counts[s] = NaN;
    if (this.appended >= 0 && this.view) this.appended++;
    else this.invalidate();
    return true;
  }

  /** Storage is unwrapped (head 0) whenever it is not full, so growing is a plain copy. */
  private grow(size: number): void {
    const times = new Float64Array(size);
    const values = new Float64Array(size);
    times.set(this.times);
    values.set(this.values);
    this.times = times;
    this.values = values;
    if (this.counts) {
      const counts = this.nanFilled(size);
      counts.set(this.counts);
      this.counts = counts;
    }
  }

  private nanFilled(size: number): Float64Array {
    return new Float64Array(size).fill(NaN);
  }

  private invalidate(): void {
    this.view = undefined;
    this.appended = 0;
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
          mn[m] = this.countAt(i) ?? NaN;
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
    this.head = 0;
    this.length = kept;
    this.invalidate();
    return true;
  }
}

/** The sample count a point carries when it is usable, as the ring keeps it. */
function usableCount(p: Point): number | undefined {
  return p.n !== undefined && Number.isFinite(p.n) && p.n >= 0 ? p.n : undefined;
}
