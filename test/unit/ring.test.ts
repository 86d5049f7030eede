import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/engine/ring.js';
import type { Point } from '../../src/engine/types.js';

/**
 * The ring as it was before it kept typed arrays: an array of Point objects. The typed ring must
 * answer exactly as this one does, for every sequence of merges.
 */
class PointRing {
  private slots: Point[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  points(): Point[] {
    const n = this.slots.length;
    const out: Point[] = [];
    for (let i = 0; i < n; i++) out.push(this.slots[(this.head + i) % n]!);
    return out;
  }

  merge(incoming: readonly Point[]): boolean {
    if (incoming.length === 0) return false;
    const all = this.points();
    let prev = all[all.length - 1]?.t ?? -Infinity;
    let appendOnly = true;
    for (const p of incoming) {
      if (!(p.t > prev)) appendOnly = false;
      prev = p.t;
    }
    if (!appendOnly) return this.rebuild(incoming);
    let changed = false;
    for (const p of incoming) {
      if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) continue;
      changed = true;
      if (this.slots.length < this.capacity) this.slots.push(copy(p));
      else {
        this.slots[this.head] = copy(p);
        this.head = (this.head + 1) % this.capacity;
      }
    }
    return changed;
  }

  private rebuild(incoming: readonly Point[]): boolean {
    const fresh = incoming
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
      .map((p, i) => ({ p, i }))
      .sort((a, b) => a.p.t - b.p.t || a.i - b.i)
      .map(({ p }) => p);
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
      if (b === undefined || (a !== undefined && a.t <= b.t)) push(held[i++]!, false);
      else push(fresh[j++]!, true);
    }
    const kept = merged.slice(Math.max(0, merged.length - this.capacity));
    if (!changed || (kept.length === held.length && kept.every((p, k) => p === held[k]))) return false;
    this.slots = kept;
    this.head = 0;
    return true;
  }
}

function copy(p: Point): Point {
  return p.n !== undefined && Number.isFinite(p.n) && p.n >= 0 ? { t: p.t, v: p.v, n: p.n } : { t: p.t, v: p.v };
}

const time = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
const value = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -3, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -0, 0.1 + 0.2) });
const count = fc.option(fc.constantFrom(0, 3, 7, -1, NaN, Infinity), { nil: undefined, freq: 2 });
const point = fc.record({ t: time, v: value, n: count }).map(({ t, v, n }): Point => (n === undefined ? { t, v } : { t, v, n }));
/** Live polls: a run of increasing times after `from`, so the ring fills and wraps. */
const poll = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.array(point, { minLength: 1, maxLength: 4 })).map(([step, ps]) => ({ step, ps }));
const batch = fc.oneof(fc.array(point, { maxLength: 6 }).map((ps) => ({ step: 0, ps })), poll);

describe('the typed ring', () => {
  it('answers exactly as an array of points would, for any merges, beyond capacity too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(batch, { maxLength: 40 }), (capacity, batches) => {
        const ring = new Ring(capacity);
        const model = new PointRing(capacity);
        let clock = 40;
        for (const { step, ps } of batches) {
          // A poll's points are moved past everything so far: they take the append path.
          const input = step === 0 ? ps : ps.map((p, k) => ({ ...p, t: Number.isFinite(p.t) ? (clock += step + k) : p.t }));
          const before = ring.points();
          const changed = ring.merge(input);
          expect(changed).toBe(model.merge(input));
          if (!changed) expect(ring.points()).toBe(before);
          expect(ring.points()).toStrictEqual(model.points());
          expect(Object.isFrozen(ring.points())).toBe(true);
          expect(ring.size).toBe(model.points().length);
          expect(ring.last()).toStrictEqual(model.points().at(-1));
          for (let i = 0; i < ring.size; i++) {
            const p = model.points()[i]!;
            expect([ring.timeAt(i), ring.valueAt(i), ring.countAt(i)]).toStrictEqual([p.t, p.v, p.n]);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the point objects of its last view when it only appended since', () => {
    const ring = new Ring(3);
    ring.merge([{ t: 1, v: 1 }, { t: 2, v: 2 }, { t: 3, v: 3 }]);
    const first = ring.points();
    ring.merge([{ t: 4, v: 4, n: 9 }]);
    const second = ring.points();
    expect(second).toStrictEqual([{ t: 2, v: 2 }, { t: 3, v: 3 }, { t: 4, v: 4, n: 9 }]);
    expect(second[0]).toBe(first[1]);
    expect(second[1]).toBe(first[2]);
  });

  it('builds a fresh view after more appends than it holds', () => {
    const ring = new Ring(2);
    ring.merge([{ t: 1, v: 1 }]);
    ring.points();
    ring.merge([{ t: 2, v: 2 }, { t: 3, v: 3 }, { t: 4, v: 4 }]);
    expect(ring.points()).toStrictEqual([{ t: 3, v: 3 }, { t: 4, v: 4 }]);
  });
});
