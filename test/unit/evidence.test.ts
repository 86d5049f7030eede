// Sample sizes and significance in the judgement: below a rule's minSamples a metric is
// `insufficient` (HOLD, never ROLLBACK, never PROMOTE) unless the breach is significant anyway, and
// a rule marked `significant` fires only when the difference is both beyond its threshold and
// beyond chance. Series are built point by point, counts included, and judged by evaluate itself.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState } from '../../src/engine/state.js';
import type { MetricSeries, Point, SeriesSnapshot } from '../../src/engine/types.js';
import { SampleView } from '../../src/engine/sample-view.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const MINUTE = 60_000;

function profileWith(rule: string, extra = ''): ReturnType<typeof parseProfile>['profile'] {
  return parseProfile(
    `
name: evidence
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate:
    source: prom
    query: sum(rate(errors{track="canary"}[5m])) / sum(rate(requests{track="canary"}[5m]))
    unit: ratio
    interval: 1m
    window: 5m
    samples: { query: 'sum(increase(requests{track="canary"}[5m]))', name: requests }
    baseline:
      query: sum(rate(errors{track="stable"}[5m])) / sum(rate(requests{track="stable"}[5m]))
      samples: sum(increase(requests{track="stable"}[5m]))
rules:
  - ${rule}
phases:
  - { name: canary, traffic: 5, duration: 10m, hold: 5m, success: ["error_rate < 1%"]${extra} }
  - { name: full, traffic: 100 }
`,
    'evidence.yaml',
    { env: {} },
  ).profile;
}

/** One point a minute for `minutes`, each with its rate and count. */
function track(minutes: number, rate: number, n: number): Point[] {
  return Array.from({ length: minutes + 1 }, (_, i) => ({ t: T0 + i * MINUTE, v: rate, n }));
}

function series(canary: Point[], baseline: Point[]): SeriesSnapshot {
  const last = canary.at(-1)!.t;
  const m: MetricSeries = { groups: [{ key: '', canary: SampleView.of(canary), baseline: SampleView.of(baseline) }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: last, lastGoodAt: last };
  return { error_rate: m };
}

const state = () => initialState('evidence', T0);

describe('a rule with minSamples', () => {
  const profile = profileWith('{ metric: error_rate, rollback: "> 2%", minSamples: 200 }');

  it('holds on 1 failure in 3 requests instead of rolling back, and says how many it has seen', () => {
    const snap = evaluate(profile, state(), series(track(0, 1 / 3, 3), track(0, 0.004, 5000)), T0);
    expect(snap.decision).toBe('HOLD');
    const m = snap.metrics[0]!;
    expect(m.state).toBe('insufficient');
    expect(m.samples).toEqual({ n: 3, min: 200, name: 'requests' });
    expect(snap.reasons[0]).toBe('error_rate not enough data yet: 3/200 requests');
  });

  it('holds on 0 failures in 40 requests instead of promoting', () => {
    const snap = evaluate(profile, state(), series(track(30, 0, 40), track(30, 0.004, 5000)), T0 + 30 * MINUTE);
    expect(snap.decision).toBe('HOLD');
    expect(snap.metrics[0]!.state).toBe('insufficient');
    expect(snap.reasons).toContain('success: error_rate < 1% not judged: 40 of 200 requests');
  });

  it('rolls back below the minimum when the breach is significant anyway', () => {
    // 60 failures in 150 requests every 5 minutes against a 2% limit: no amount of chance explains it.
    const snap = evaluate(profile, state(), series(track(30, 0.4, 150), track(30, 0.004, 5000)), T0 + 30 * MINUTE);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons[0]).toMatch(/^error_rate 40(\.0)?% vs 2(\.0)?% \(p < 0\.001, n = [\d,]+\): > 2%/);
  });

  it('judges as before once there are enough samples', () => {
    const snap = evaluate(profile, state(), series(track(30, 0.001, 500), track(30, 0.004, 5000)), T0 + 30 * MINUTE);
    expect(snap.metrics[0]!.state).toBe('ok');
    expect(snap.metrics[0]!.samples?.n).toBe(500);
    expect(snap.decision).toBe('PROMOTE');
  });
});

describe('minSamples on a metric that is not a ratio', () => {
  it('holds below the minimum and never treats a latency times its samples as a count of events', () => {
    const profile = parseProfile(
      `
name: latency
sources: { db: { type: postgres, url: "postgres://127.0.0.1/x" } }
metrics:
  p50: { source: db, unit: milliseconds, interval: 1m, window: 5m, samples: n, query: "SELECT 1 AS value, 1 AS n WHERE now() > $1" }
rules:
  - { metric: p50, rollback: "> 3000ms", minSamples: 100 }
phases: [{ name: a, traffic: 1 }]
`,
      'latency.yaml',
      { env: {} },
    ).profile;
    const points = Array.from({ length: 31 }, (_, i) => ({ t: T0 + i * MINUTE, v: 9000, n: 40 }));
    const m: MetricSeries = { groups: [{ key: '', canary: SampleView.of(points), baseline: SampleView.EMPTY }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: T0 + 30 * MINUTE, lastGoodAt: T0 + 30 * MINUTE };
    const snap = evaluate(profile, state(), { p50: m }, T0 + 30 * MINUTE);
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('p50 not enough data yet: 40/100 samples');
  });
});

describe('a baseline comparison marked significant', () => {
  const profile = profileWith('{ metric: error_rate, rollback: "> 2x baseline significant" }');

  it('rolls back when the canary is far worse over enough requests, with p and n in the reason', () => {
    const snap = evaluate(profile, state(), series(track(30, 0.03, 200), track(30, 0.004, 2000)), T0 + 30 * MINUTE);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons[0]).toMatch(/^error_rate 3% vs 0\.4% \(p < 0\.001, n = 1,400\): > 2x baseline significant \(rollback\)$/);
    const sig = snap.metrics[0]!.significance!;
    expect(sig.significant).toBe(true);
    expect(sig.n).toBe(1400);
    expect(sig.baselineN).toBe(14000);
    expect(sig.method).toBe('mSPRT');
  });

  it('holds, not rolls back, when the canary is beyond 2x but on too few requests to tell', () => {
    const snap = evaluate(profile, state(), series(track(5, 0.02, 50), track(5, 0.004, 2000)), T0 + 5 * MINUTE);
    expect(snap.decision).toBe('HOLD');
    const m = snap.metrics[0]!;
    expect(m.state).toBe('insufficient');
    expect(m.significance?.significant).toBe(false);
    expect(snap.reasons[0]).toMatch(/not yet significant: 2(\.0)?% vs 0\.4% \(p = [\d.]+, n = 100\)/);
  });

  it('a rule confidence: applies the test to every condition of the rule', () => {
    const strict = profileWith('{ metric: error_rate, warn: "> 1.5x baseline", rollback: "> 2x baseline", confidence: "99.9%" }');
    const snap = evaluate(strict, state(), series(track(30, 0.031, 200), track(30, 0.004, 2000)), T0 + 30 * MINUTE);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.metrics[0]!.significance?.confidence).toBeCloseTo(0.999, 12);
  });
});

describe('the profile grammar for samples and significance', () => {
  const load = (text: string) => checkProfileText(text, 'p.yaml', { env: {} });

  it('minSamples on a metric without samples: is an error at its line and column', () => {
    const r = load(`name: x
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics:
  e: { source: prom, query: up, unit: ratio }
rules:
  - { metric: e, rollback: "> 2%", minSamples: 200 }
phases: [{ name: a, traffic: 5 }]
`);
    expect(r.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toContainEqual(expect.stringMatching(/^6:\d+ minSamples needs .*add samples: to metric e/));
  });

  it('significance on a latency metric in milliseconds is an error naming what it needs', () => {
    const r = load(`name: x
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics:
  p95: { source: prom, query: up, unit: milliseconds, baseline: { query: up } }
rules:
  - { metric: p95, rollback: "> 2x baseline significant" }
phases: [{ name: a, traffic: 5 }]
`);
    expect(r.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(/significance is tested on proportions: metric p95 needs unit: ratio and samples:/));
  });

  it('samples: on a scrape gauge is an error: a count between scrapes needs a value between the same scrapes', () => {
    const r = load(`name: x
sources: { app: { type: scrape, url: "http://127.0.0.1:8080/metrics" } }
metrics:
  e: { source: app, query: errors_ratio, unit: ratio, samples: requests_total }
phases: [{ name: a, traffic: 5 }]
`);
    expect(r.issues.map((i) => `${i.line} ${i.message}`)).toContainEqual(expect.stringMatching(/^4 samples: on a scrape metric is a counter's increase between two scrapes, .* not a gauge$/));
    const ok = load(`name: x
sources: { app: { type: scrape, url: "http://127.0.0.1:8080/metrics" } }
metrics:
  e: { source: app, query: { series: errors_total, mode: rate, divideBy: { series: requests_total } }, unit: ratio, samples: requests_total }
phases: [{ name: a, traffic: 5 }]
`);
    expect(ok.issues).toEqual([]);
  });

  it('samples: on a source that has no count is an error saying which sources support it', () => {
    const r = load(`name: x
sources: { rec: { type: replay, file: ./rec.jsonl } }
metrics:
  e: { source: rec, query: e, unit: ratio, samples: n }
phases: [{ name: a, traffic: 5 }]
`);
    expect(r.issues.map((i) => `${i.line} ${i.message}`)).toContainEqual(expect.stringMatching(/^4 samples: is supported for prometheus metrics .* scrape metrics \(a counter\) .* source rec is replay/));
  });

  it('samples: on an exec metric is the JSONPath of the count in the same output', () => {
    const ok = load(`name: x
sources: { cmd: { type: exec, run: [./stats.sh] } }
metrics:
  e: { source: cmd, query: $.errors, unit: ratio, samples: $.requests }
phases: [{ name: a, traffic: 5 }]
`);
    expect(ok.issues).toEqual([]);
    const bad = load(`name: x
sources: { cmd: { type: exec, run: [./stats.sh] } }
metrics:
  e: { source: cmd, query: $.errors, unit: ratio, samples: requests }
phases: [{ name: a, traffic: 5 }]
`);
    expect(bad.issues.map((i) => `${i.line} ${i.message}`)).toContainEqual('4 "requests" is not a JSONPath; for an exec metric samples: is the JSONPath of the count in the same output, e.g. $.requests');
  });

  it('significant on a success criterion is an error pointing to minSamples, not a test silently skipped', () => {
    const r = load(`name: x
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics:
  e: { source: prom, query: up, unit: ratio, samples: up }
phases: [{ name: a, traffic: 5, success: ["e < 1% significant"] }]
`);
    expect(r.issues.map((i) => `${i.line} ${i.message}`)).toContainEqual(expect.stringMatching(/^5 "e < 1% significant": significance is for rules/));
  });

  it('a prometheus baseline query without its own count is an error', () => {
    const r = load(`name: x
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics:
  e: { source: prom, query: up, unit: ratio, samples: up, baseline: { query: up } }
phases: [{ name: a, traffic: 5 }]
`);
    expect(r.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(/baseline query needs its own count too/));
  });
});
