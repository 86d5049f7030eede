// A fixed-capacity buffer of points kept in time order. Memory is bounded by the capacity, never
// by uptime: once full, each new point displaces the oldest. Late points (a backfill that lands
// after live polls) are merged into place; a point at a timestamp already held replaces it.

import type { Point } from './types.js';

export class Ring {
  /** Circular storage; grows to `capacity` on demand so short-lived metrics stay small. */
  private slots: Point[] = [];
  /** Index of the oldest point once the storage has wrapped. */
  private head = 0;
  private view: readonly Point[] | undefined;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.slots.length;
  }

  last(): Point | undefined {
    const n = this.slots.length;
    if (n === 0) return undefined;
    return this.slots[(this.head + n - 1) % n];
  }

  /** The points, oldest first. The same array is returned until the ring changes. */
  points(): readonly Point[] {
    if (!this.view) {
      const n = this.slots.length;
      const out = new Array<Point>(n);
      for (let i = 0; i < n; i++) out[i] = this.slots[(this.head + i) % n]!;
      this.view = Object.freeze(out);
    }
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
      if (changed) this.view = undefined;
      return changed;
    }
    return this.rebuild(incoming);
  }

  /** The common case: a live poll, every point newer than anything held, in order. */
  private isAppendOnly(incoming: readonly Point[]): boolean {
    let prev = this.last()?.t ?? -Infinity;
    for (const p of incoming) {
      if (!(p.t > prev)) return false;
      prev = p.t;
    }
    return true;
  }

  private append(p: Point): boolean {
    if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) return false;
    const point = copy(p);
    if (this.slots.length < this.capacity) {
      this.slots.push(point);
    } else {
      this.slots[this.head] = point;
      this.head = (this.head + 1) % this.capacity;
    }
    return true;
  }

  /** Out-of-order input: merge both sorted runs, later writes winning ties, keep the newest. */
  private rebuild(incoming: readonly Point[]): boolean {
    const fresh = incoming
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
      .map((p, i) => ({ ...copy(p), i }))
      // Stable by arrival so that, among equal timestamps, the last one written wins below.
      .sort((a, b) => a.t - b.t || a.i - b.i);
    if (fresh.length === 0) return false;
    const held = this.points();
    const merged: Point[] = [];
    let i = 0;
    let j = 0;
    let changed = false;
    const push = (p: Point, isNew: boolean) => {
      const top = merged[merged.length - 1];
      if (top && top.t === p.t) {
        if (isNew && (top.v !== p.v || top.n !== p.n)) {
          merged[merged.length - 1] = copy(p);
          changed = true;
        }
        return;
      }
      merged.push(isNew ? copy(p) : p);
      if (isNew) changed = true;
    };
    while (i < held.length || j < fresh.length) {
      const a = held[i];
      const b = fresh[j];
      if (b === undefined || (a !== undefined && a.t <= b.t)) {
        push(a!, false);
        i++;
      } else {
        push(b, true);
        j++;
      }
    }
    const kept = merged.length > this.capacity ? merged.slice(merged.length - this.capacity) : merged;
    // A point older than a full ring's oldest is displaced at once: nothing changed after all.
    if (!changed || (kept.length === held.length && kept.every((p, k) => p === held[k]))) return false;
    this.slots = kept;
    this.head = 0;
    this.view = undefined;
    return true;
  }
}

/** A point of our own (the caller keeps theirs), with its sample count when it has a usable one. */
function copy(p: Point): Point {
  return p.n !== undefined && Number.isFinite(p.n) && p.n >= 0 ? { t: p.t, v: p.v, n: p.n } : { t: p.t, v: p.v };
}
