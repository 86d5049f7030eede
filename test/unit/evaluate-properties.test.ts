// Properties of the judgement that no table of examples can pin down: making a metric worse never
// makes the decision better, and the decision depends on which samples exist, never on the order
// in which they reached the store (a backfill landing after live polls changes nothing).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseProfile } from '../../src/profile/load.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { SeriesStore } from '../../src/engine/series.js';
import { initialState } from '../../src/engine/state.js';
import type { Decision, MetricSeries, Point, SeriesSnapshot } from '../../src/engine/types.js';
import { SampleView } from '../../src/engine/sample-view.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const STEP = 15_000;
const N = 81; // 20 minutes of 15-second samples

const profile = parseProfile(
  `
name: properties
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: q1, unit: ratio, interval: 15s }
  latency: { source: prom, query: q2, unit: milliseconds, interval: 15s, baseline: { query: q3 } }
  success: { source: prom, query: q4, unit: ratio, interval: 15s }
  p1_errors: { source: prom, query: q5, unit: count, interval: 15s }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%", for: 1m }
  - { metric: latency, warn: "> +50% baseline", rollback: "> 2x baseline", for: 2m }
  - { metric: success, warn: "< 96%", rollback: "< 95%", for: 1m }
  - { metric: p1_errors, rollback: "> 5 in 10m" }
phases:
  - name: canary
    traffic: 10
    duration: 10m
    hold: 5m
    success: ["error_rate < 0.5%", "success >= 98%", "latency < 1.2x baseline"]
  - { name: full, traffic: 100 }
`,
  'test.yaml',
  { env: {} },
).profile;

/** For each metric: the values a sample may take, best first, and the control track's value. */
const LEVELS: Record<string, number[]> = {
  error_rate: [0.001, 0.004, 0.008, 0.015, 0.025, 0.06],
  latency: [150, 200, 230, 320, 450, 900],
  success: [0.995, 0.985, 0.97, 0.955, 0.94, 0.5],
};
const METRICS = Object.keys(LEVELS);
const RANK: Record<Decision, number> = { PROMOTE: 0, SOAK: 1, HOLD: 2, ROLLBACK: 3 };

type Levels = Record<string, number[]>;

/** A metric's levels: a steady level with a few episodes at other levels, as incidents look. */
function levelsOf(count: number): fc.Arbitrary<number[]> {
  const episode = fc.record({ start: fc.nat({ max: N - 1 }), length: fc.integer({ min: 1, max: 30 }), level: fc.nat({ max: count - 1 }) });
  return fc
    .record({ steady: fc.constantFrom(0, 0, 0, 1, 2), episodes: fc.array(episode, { maxLength: 3 }) })
    .map(({ steady, episodes }) => {
      const out = new Array<number>(N).fill(steady);
      for (const e of episodes) for (let i = e.start; i < Math.min(N, e.start + e.length); i++) out[i] = e.level;
      return out;
    });
}

const levelsArb = fc.record(Object.fromEntries(METRICS.map((m) => [m, levelsOf(LEVELS[m]!.length)]))) as fc.Arbitrary<Levels>;

/** A counter's steps: a few errors at a few moments. */
const incrementsArb = fc
  .array(fc.tuple(fc.nat({ max: N - 1 }), fc.integer({ min: 1, max: 3 })), { maxLength: 4 })
  .map((events) => {
    const out = new Array<number>(N).fill(0);
    for (const [i, n] of events) out[i] = out[i]! + n;
    return out;
  });

/** When the phase began: sometimes long enough ago to promote, sometimes not. */
const phaseStartArb = fc.integer({ min: 0, max: 20 }).map((minutes) => T0 + minutes * 60_000);

function counter(increments: number[]): Point[] {
  let total = 100;
  return increments.map((inc, i) => ({ t: T0 + i * STEP, v: (total += inc) }));
}

function seriesOf(levels: Levels, increments: number[]): SeriesSnapshot {
  const out: Record<string, MetricSeries> = {};
  for (const m of METRICS) {
    const canary = levels[m]!.map((level, i) => ({ t: T0 + i * STEP, v: LEVELS[m]![level]! }));
    const baseline = m === 'latency' ? canary.map((p) => ({ t: p.t, v: 200 })) : [];
    out[m] = { groups: [{ key: '', canary: SampleView.of(canary), baseline: SampleView.of(baseline) }], consecutiveErrors: 0, consecutiveNoData: 0 };
  }
  out.p1_errors = { groups: [{ key: '', canary: SampleView.of(counter(increments)), baseline: SampleView.EMPTY }], consecutiveErrors: 0, consecutiveNoData: 0 };
  return out;
}

const state = initialState(profile.name, T0);
const NOW = T0 + (N - 1) * STEP;

describe('judgement properties', () => {
  it('never improves the decision when a metric gets worse', () => {
    fc.assert(
      fc.property(
        levelsArb,
        incrementsArb,
        phaseStartArb,
        fc.constantFrom(...METRICS, 'p1_errors'),
        fc.array(fc.tuple(fc.nat({ max: N - 1 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 30 }),
        (levels, increments, phaseStartedAt, worsened, changes) => {
          const st = { ...state, phaseStartedAt };
          const before = evaluate(profile, st, seriesOf(levels, increments), NOW);
          const worseLevels = Object.fromEntries(METRICS.map((m) => [m, [...levels[m]!]])) as Levels;
          const worseIncrements = [...increments];
          for (const [i, by] of changes) {
            if (worsened === 'p1_errors') worseIncrements[i] = worseIncrements[i]! + by;
            else worseLevels[worsened]![i] = Math.min(LEVELS[worsened]!.length - 1, worseLevels[worsened]![i]! + by);
          }
          const after = evaluate(profile, st, seriesOf(worseLevels, worseIncrements), NOW);
          expect(RANK[after.decision]).toBeGreaterThanOrEqual(RANK[before.decision]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reaches the same snapshot whatever order the samples arrived in', () => {
    fc.assert(
      fc.property(
        levelsArb,
        incrementsArb,
        fc.array(fc.boolean(), { minLength: N, maxLength: N }),
        fc.integer({ min: 1, max: 20 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (levels, increments, present, batch, random) => {
          const full = seriesOf(levels, increments);
          // Some samples never arrived at all (gaps), but the latest always did.
          present[N - 1] = true;
          const arrivals: Array<{ metric: string; track: 'canary' | 'baseline'; point: Point }> = [];
          for (const [metric, s] of Object.entries(full)) {
            const g = s.groups[0]!;
            g.canary.toPoints().forEach((point, i) => present[i] && i < N - 1 && arrivals.push({ metric, track: 'canary', point }));
            g.baseline.toPoints().forEach((point, i) => present[i] && i < N - 1 && arrivals.push({ metric, track: 'baseline', point }));
          }

          const replay = (order: typeof arrivals) => {
            const store = new SeriesStore(profile);
            for (let k = 0; k < order.length; k += batch) {
              const chunk = order.slice(k, k + batch);
              for (const metric of new Set(chunk.map((a) => a.metric))) {
                for (const track of ['canary', 'baseline'] as const) {
                  const points = chunk.filter((a) => a.metric === metric && a.track === track).map((a) => a.point);
                  if (points.length > 0) store.putHistory(metric, track, new Map([['', points]]));
                }
              }
            }
            // The live poll that brings the latest sample, the same in both worlds.
            for (const [metric, s] of Object.entries(full)) {
              const g = s.groups[0]!;
              store.putPoints(metric, 'canary', new Map([['', [g.canary.pointAt(N - 1)]]]), NOW, { source: 'prom' });
              if (g.baseline.length > 0) store.putPoints(metric, 'baseline', new Map([['', [g.baseline.pointAt(N - 1)]]]), NOW, { source: 'prom' });
            }
            return evaluate(profile, state, store.snapshot(), NOW);
          };

          const inOrder = replay(arrivals);
          const iterator = random[Symbol.iterator]();
          const shuffled = arrivals
            .map((a) => ({ a, key: iterator.next().value as number }))
            .sort((x, y) => x.key - y.key)
            .map((x) => x.a);
          expect(replay(shuffled)).toEqual(inOrder);
        },
      ),
      { numRuns: 150 },
    );
  });
});
