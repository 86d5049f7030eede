// Repeated looks at data that keeps arriving must not inflate false alarms. A thousand simulated
// rollouts on a virtual clock: Bernoulli requests minute by minute, a 5-minute window polled every
// minute (as Prometheus rates overlap), the rollout judged by evaluate itself every 5 minutes for
// two hours. With the canary equal to its baseline, the share of rollouts that ever roll back is
// the false-alarm rate and must stay at or below α = 5%; peeking with a fixed-sample z-test at the
// same looks is measured beside it to show what the sequential test prevents. With a real
// regression (2.5% against 1%), the power and the requests needed are measured. Seeded: the figures
// are the same on every run.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/profile/load.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState } from '../../src/engine/state.js';
import { twoProportionZ } from '../../src/engine/statistics.js';
import type { MetricSeries, Point } from '../../src/engine/types.js';
import { SampleView } from '../../src/engine/sample-view.js';
import { mulberry32 as rng } from '../../src/util/random.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const MINUTE = 60_000;
const WINDOW = 5;
const MINUTES = 120;
const ROLLOUTS = 1_000;
const POWER_ROLLOUTS = 300;
const ALPHA = 0.05;

const profile = parseProfile(
  `
name: simulation
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate:
    source: prom
    query: sum(rate(errors{track="canary"}[5m])) / sum(rate(requests{track="canary"}[5m]))
    unit: ratio
    interval: 1m
    window: 5m
    samples: sum(increase(requests{track="canary"}[5m]))
    baseline:
      query: sum(rate(errors{track="stable"}[5m])) / sum(rate(requests{track="stable"}[5m]))
      samples: sum(increase(requests{track="stable"}[5m]))
rules:
  - { metric: error_rate, rollback: "> 2x baseline significant" }
phases:
  - { name: canary, traffic: 5 }
  - { name: full, traffic: 100 }
`,
  'simulation.yaml',
  { env: {} },
).profile;


/** Binomial(n, p) by inversion: exact, and quick for the small n·p of a canary's errors. */
function binomial(random: () => number, n: number, p: number): number {
  const u = random();
  let prob = (1 - p) ** n;
  let cdf = prob;
  let k = 0;
  while (u > cdf && k < n) {
    prob *= ((n - k) / (k + 1)) * (p / (1 - p));
    cdf += prob;
    k++;
  }
  return k;
}

/** Poisson(λ) requests per minute, by Knuth's method (λ here is small). */
function poisson(random: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let prod = random();
  while (prod > limit) {
    k++;
    prod *= random();
  }
  return k;
}

/** One arm's points: each minute, errors and requests over the last WINDOW minutes. */
function arm(random: () => number, perMinute: number, p: number): { points: Point[]; perMinute: { x: number; n: number }[] } {
  const minutes = Array.from({ length: MINUTES + 1 }, () => {
    const n = poisson(random, perMinute);
    return { x: binomial(random, n, p), n };
  });
  const points: Point[] = [];
  for (let m = 0; m <= MINUTES; m++) {
    let x = 0;
    let n = 0;
    for (let k = Math.max(0, m - WINDOW + 1); k <= m; k++) {
      x += minutes[k]!.x;
      n += minutes[k]!.n;
    }
    if (n > 0) points.push({ t: T0 + m * MINUTE, v: x / n, n });
  }
  return { points, perMinute: minutes };
}

interface Outcome {
  /** The sequential rule (through evaluate) rolled back at some look; at how many canary requests. */
  rolledBackAt?: number;
  /** A fixed-sample z-test on all data so far, at the same looks, would have (p < α and > 2x). */
  peekingAlarm: boolean;
}

function rollout(seed: number, pCanary: number, pBaseline: number): Outcome {
  const random = rng(seed);
  const canary = arm(random, 20, pCanary);
  const baseline = arm(random, 400, pBaseline);
  const state = initialState('simulation', T0);
  const outcome: Outcome = { peekingAlarm: false };
  for (let look = WINDOW; look <= MINUTES; look += WINDOW) {
    const now = T0 + look * MINUTE;
    const upTo = (points: Point[]) => points.slice(0, upperIndex(points, now));
    const c = upTo(canary.points);
    const b = upTo(baseline.points);
    const series: MetricSeries = { groups: [{ key: '', canary: SampleView.of(c), baseline: SampleView.of(b) }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: now, lastGoodAt: now };
    const snap = evaluate(profile, state, { error_rate: series }, now);
    if (snap.decision === 'ROLLBACK' && outcome.rolledBackAt === undefined) outcome.rolledBackAt = snap.metrics[0]!.significance!.n;
    const sum = (xs: { x: number; n: number }[]) => xs.slice(0, look + 1).reduce((a, m) => ({ x: a.x + m.x, n: a.n + m.n }), { x: 0, n: 0 });
    const cc = sum(canary.perMinute);
    const bb = sum(baseline.perMinute);
    if (cc.n > 0 && bb.n > 0 && cc.x / cc.n > (2 * bb.x) / bb.n && twoProportionZ(cc, bb).p < ALPHA) outcome.peekingAlarm = true;
  }
  return outcome;
}

/** One past the last point at or before `now`. */
function upperIndex(points: Point[], now: number): number {
  let i = points.length;
  while (i > 0 && points[i - 1]!.t > now) i--;
  return i;
}

function simulate(pCanary: number, pBaseline: number, seed: number, count: number): Outcome[] {
  return Array.from({ length: count }, (_, i) => rollout(seed * 100_003 + i, pCanary, pBaseline));
}

describe('a significance rule judged at every look', () => {
  it(`rolls back at most α = 5% of ${ROLLOUTS} rollouts whose canary equals its baseline, where peeking with a z-test does not`, () => {
    const cpu = process.cpuUsage();
    const outcomes = simulate(0.01, 0.01, 1, ROLLOUTS);
    const used = process.cpuUsage(cpu);
    const falseAlarms = outcomes.filter((o) => o.rolledBackAt !== undefined).length / ROLLOUTS;
    const peeking = outcomes.filter((o) => o.peekingAlarm).length / ROLLOUTS;
    console.log(`false alarms over ${ROLLOUTS} equal rollouts, 24 looks each: mSPRT ${(falseAlarms * 100).toFixed(1)}%, peeking z-test ${(peeking * 100).toFixed(1)}% (${((used.user + used.system) / 1e6).toFixed(1)} s of CPU)`);
    expect(falseAlarms).toBeLessThanOrEqual(ALPHA);
    expect(peeking).toBeGreaterThan(falseAlarms);
  });

  it(`detects an error rate 2.5 times its baseline's (2.5% against 1%) in most of ${POWER_ROLLOUTS} rollouts within two hours at 20 requests a minute`, () => {
    const outcomes = simulate(0.025, 0.01, 2, POWER_ROLLOUTS);
    const detected = outcomes.map((o) => o.rolledBackAt).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
    const power = detected.length / POWER_ROLLOUTS;
    const medianN = detected[Math.floor(detected.length / 2)];
    console.log(`power against 2.5% vs 1% within ${MINUTES} minutes (about ${20 * MINUTES} canary requests): ${(power * 100).toFixed(1)}%, median ${medianN} canary requests to detect`);
    expect(power).toBeGreaterThanOrEqual(0.8);
  });
});
