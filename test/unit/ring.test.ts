import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/engine/ring.js';
import { reviveSeries, SampleView } from '../../src/engine/sample-view.js';
import type { Point, Samples } from '../../src/engine/types.js';

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
        /** Every view handed out, with what it showed then. */
        const handedOut: { view: Samples; points: Point[] }[] = [];
        let clock = 40;
        for (const { step, ps } of batches) {
          // A poll's points are moved past everything so far: they take the append path.
          const input = step === 0 ? ps : ps.map((p, k) => ({ ...p, t: Number.isFinite(p.t) ? (clock += step + k) : p.t }));
          const before = ring.samples();
          const changed = ring.merge(input);
          expect(changed).toBe(model.merge(input));
          if (!changed) expect(ring.samples()).toBe(before);
          const view = ring.samples();
          expect(view.toPoints()).toStrictEqual(model.points());
          expect(ring.size).toBe(view.length);
          for (let i = 0; i < view.length; i++) {
            const p = model.points()[i]!;
            expect([view.timeAt(i), view.valueAt(i), view.countAt(i)]).toStrictEqual([p.t, p.v, p.n]);
          }
          handedOut.push({ view, points: model.points() });
        }
        // What a snapshot showed, it keeps showing: the ring never writes where a view reads.
        for (const { view, points } of handedOut) expect(view.toPoints()).toStrictEqual(points);
      }),
      { numRuns: 400 },
    );
  });

  it('hands out the same view until it changes', () => {
    const ring = new Ring(3);
    ring.merge([{ t: 1, v: 1 }, { t: 2, v: 2 }]);
    const first = ring.samples();
    expect(ring.samples()).toBe(first);
    ring.merge([{ t: 2, v: 2 }]);
    expect(ring.samples()).toBe(first);
    ring.merge([{ t: 3, v: 3, n: 9 }]);
    expect(ring.samples()).not.toBe(first);
    expect(ring.samples().toPoints()).toStrictEqual([{ t: 1, v: 1 }, { t: 2, v: 2 }, { t: 3, v: 3, n: 9 }]);
  });

  it('keeps a view of a full ring unchanged through many laps of appends', () => {
    const ring = new Ring(4);
    for (let t = 1; t <= 4; t++) ring.merge([{ t, v: t }]);
    const early = ring.samples();
    for (let t = 5; t <= 100; t++) ring.merge([{ t, v: t }]);
    expect(early.toPoints()).toStrictEqual([1, 2, 3, 4].map((t) => ({ t, v: t })));
    expect(ring.samples().toPoints()).toStrictEqual([97, 98, 99, 100].map((t) => ({ t, v: t })));
  });
});

describe('a view of samples', () => {
  const view = SampleView.of([{ t: 10, v: 1 }, { t: 20, v: 2, n: 5 }, { t: 30, v: 3 }, { t: 40, v: 4 }]);

  it('finds the first sample at or after a time, and the first after it', () => {
    expect([view.lowerBound(5), view.lowerBound(20), view.lowerBound(21), view.lowerBound(99)]).toStrictEqual([0, 1, 2, 4]);
    expect([view.upperBound(5), view.upperBound(20), view.upperBound(21), view.upperBound(99)]).toStrictEqual([0, 2, 2, 4]);
  });

  it('slices without a copy and reads the slice from its own index 0', () => {
    const mid = view.slice(1, 3);
    expect(mid.toPoints()).toStrictEqual([{ t: 20, v: 2, n: 5 }, { t: 30, v: 3 }]);
    expect([mid.lowerBound(30), mid.upperBound(30)]).toStrictEqual([1, 2]);
    expect(Array.from(mid.values())).toStrictEqual([2, 3]);
    expect(view.slice(3, 1).length).toBe(0);
  });

  it('travels as its points and comes back from them, leaving out what is not a point', () => {
    const wire = JSON.parse(JSON.stringify({ m: { groups: [{ key: '', canary: view, baseline: SampleView.EMPTY }], consecutiveErrors: 1, consecutiveNoData: 0 } })) as unknown;
    expect(wire).toMatchObject({ m: { groups: [{ canary: view.toPoints(), baseline: [] }] } });
    const back = reviveSeries(wire);
    expect(back.m!.groups[0]!.canary.toPoints()).toStrictEqual(view.toPoints());
    expect(back.m!.consecutiveErrors).toBe(1);
    const hostile = reviveSeries({ m: { groups: [{ key: 'a', canary: [{ t: 2, v: 1 }, { t: 'x', v: 1 }, null, { t: 1, v: null }, { t: 1, v: 5 }], baseline: 'no' }] }, n: 7 });
    expect(hostile.m!.groups[0]!.canary.toPoints()).toStrictEqual([{ t: 1, v: 5 }, { t: 2, v: 1 }]);
    expect(hostile.m!.groups[0]!.baseline.length).toBe(0);
    expect(hostile.n).toBeUndefined();
  });
});
