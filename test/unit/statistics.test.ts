// The statistics module against values computed independently (test/fixtures/statistics/reference.py:
// Python's statistics.NormalDist, brute-force U by counting pairs, the exact null distribution by
// enumerating arrangements, the Hodges–Lehmann median of every pairwise difference), plus the
// properties a verdict must have whatever the data.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  hodgesLehmann,
  mannWhitney,
  msprtOneProportion,
  msprtTwoProportions,
  normalCdf,
  normalSf,
  runningMinimum,
  twoProportionZ,
} from '../../src/engine/statistics.js';

interface Reference {
  normalCdf: { z: number; cdf: number }[];
  twoProportionZ: { a: [number, number]; b: [number, number]; z: number; p: number }[];
  msprtTwoProportions: { a: [number, number]; b: [number, number]; tau: number; p: number; effect: number }[];
  mannWhitney: { a: number[]; b: number[]; u: number; p: number; exact: boolean }[];
  hodgesLehmann: { a: number[]; b: number[]; shift: number }[];
}

const reference = JSON.parse(readFileSync(new URL('../fixtures/statistics/reference.json', import.meta.url), 'utf8')) as Reference;
const prop = (x: number, n: number) => ({ x, n });

describe('statistics against the Python reference values', () => {
  it('the normal CDF agrees with statistics.NormalDist to 1e-7 relative', () => {
    for (const { z, cdf } of reference.normalCdf) {
      expect(Math.abs(normalCdf(z) - cdf)).toBeLessThanOrEqual(1.2e-7 * cdf + 1e-15);
      expect(Math.abs(normalSf(-z) - cdf)).toBeLessThanOrEqual(1.2e-7 * cdf + 1e-15);
    }
  });

  it('the two-proportion z-test gives the reference z and p', () => {
    for (const c of reference.twoProportionZ) {
      const r = twoProportionZ(prop(...c.a), prop(...c.b));
      expect(r.z).toBeCloseTo(c.z, 6);
      expect(Math.abs(r.p - c.p) / Math.max(c.p, 1e-12)).toBeLessThan(1e-5);
    }
  });

  it('the mixture SPRT gives the reference always-valid p-value and effect', () => {
    for (const c of reference.msprtTwoProportions) {
      const r = msprtTwoProportions(prop(...c.a), prop(...c.b), c.tau);
      expect(r.effect).toBeCloseTo(c.effect, 12);
      expect(Math.abs(r.p - c.p) / Math.max(c.p, 1e-300)).toBeLessThan(1e-9);
    }
  });

  it('Mann-Whitney gives the reference U and p, exact for small untied samples', () => {
    for (const c of reference.mannWhitney) {
      const r = mannWhitney(c.a, c.b);
      expect(r.u).toBe(c.u);
      expect(r.exact).toBe(c.exact);
      expect(Math.abs(r.p - c.p)).toBeLessThan(1e-6);
    }
  });

  it('the textbook example (5 vs 4 values, U = 17) has the exact two-sided p of 14/126', () => {
    const r = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u).toBe(17);
    expect(r.p).toBeCloseTo(14 / 126, 12);
  });

  it('Hodges-Lehmann gives the reference shift', () => {
    for (const c of reference.hodgesLehmann) expect(hodgesLehmann(c.a, c.b)).toBeCloseTo(c.shift, 9);
  });
});

describe('statistics refuse input that has no answer', () => {
  it('a proportion with no trials or more successes than trials is an error, not a p-value', () => {
    expect(() => twoProportionZ(prop(1, 0), prop(1, 10))).toThrow(/positive count/);
    expect(() => msprtTwoProportions(prop(11, 10), prop(1, 10), 0.1)).toThrow(/between 0 and the trials/);
    expect(() => mannWhitney([], [1])).toThrow(/at least one value/);
    expect(() => mannWhitney([NaN], [1])).toThrow(/finite/);
  });

  it('identical groups are no evidence at all', () => {
    expect(twoProportionZ(prop(0, 100), prop(0, 100)).p).toBe(1);
    expect(msprtTwoProportions(prop(0, 100), prop(0, 100), 0.01).p).toBe(1);
    expect(mannWhitney([5, 5, 5], [5, 5]).p).toBe(1);
  });
});

describe('more samples with the same proportions never make a verdict less certain', () => {
  const rates = fc.record({
    pa: fc.integer({ min: 0, max: 1000 }),
    pb: fc.integer({ min: 0, max: 1000 }),
    na: fc.integer({ min: 10, max: 5000 }),
    nb: fc.integer({ min: 10, max: 5000 }),
    k: fc.integer({ min: 2, max: 50 }),
  });

  it('the z-test p-value does not grow when every count is multiplied', () => {
    fc.assert(
      fc.property(rates, ({ pa, pb, na, nb, k }) => {
        const xa = Math.round((pa / 1000) * na);
        const xb = Math.round((pb / 1000) * nb);
        const small = twoProportionZ(prop(xa, na), prop(xb, nb)).p;
        const large = twoProportionZ(prop(xa * k, na * k), prop(xb * k, nb * k)).p;
        expect(large).toBeLessThanOrEqual(small + 1e-12);
      }),
    );
  });

  it('a difference the mixture SPRT calls significant stays significant with more data in the same proportions', () => {
    fc.assert(
      fc.property(rates, fc.constantFrom(0.05, 0.01, 0.001), ({ pa, pb, na, nb, k }, alpha) => {
        const xa = Math.round((pa / 1000) * na);
        const xb = Math.round((pb / 1000) * nb);
        const tau = Math.max(xb / nb, 0.001);
        const small = msprtTwoProportions(prop(xa, na), prop(xb, nb), tau).p;
        const large = msprtTwoProportions(prop(xa * k, na * k), prop(xb * k, nb * k), tau).p;
        if (small <= alpha) expect(large).toBeLessThanOrEqual(small * (1 + 1e-9));
      }),
    );
  });

  it('the always-valid p-value over looks never rises', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 50 }), (ps) => {
        const run = runningMinimum(ps);
        for (let i = 1; i < run.length; i++) expect(run[i]).toBeLessThanOrEqual(run[i - 1]!);
      }),
    );
  });

  it('a canary rate beyond a fixed threshold becomes significant with enough data and never loses it', () => {
    const ps = [100, 400, 1600, 6400, 25600].map((n) => msprtOneProportion(prop(0.03 * n, n), 0.02, 0.02).p);
    for (let i = 1; i < ps.length; i++) if (ps[i - 1]! <= 0.05) expect(ps[i]).toBeLessThanOrEqual(ps[i - 1]!);
    expect(ps.at(-1)).toBeLessThan(0.001);
  });

  it('Mann-Whitney p does not grow when each value is seen twice as often', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 3, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 3, maxLength: 30 }),
        (a, b) => {
          const once = mannWhitney(a, b);
          const twice = mannWhitney([...a, ...a], [...b, ...b]);
          // Only the normal approximation is comparable across the doubling (the exact p is discrete).
          if (!once.exact && once.p < 0.5) expect(twice.p).toBeLessThanOrEqual(once.p + 1e-12);
        },
      ),
    );
  });
});
