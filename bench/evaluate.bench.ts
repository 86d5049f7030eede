// evaluate() on a large profile: 200 metrics with an hour of 5-second samples each (720 points),
// judged by rules with `for`, baselines, counts in a window and success criteria. The console
// calls it after every poll, when most series are unchanged since the last call: that cost per
// call carries the budget (median < 5 ms). The cost with every series new is reported beside it.

import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/engine/evaluate.js';
import { SampleView } from '../src/engine/sample-view.js';
import { initialState } from '../src/engine/state.js';
import type { MetricSeries, Point, SeriesSnapshot } from '../src/engine/types.js';
import { parseProfile } from '../src/profile/load.js';
import type { BenchResult } from './result.js';

const METRICS = 200;
const POINTS = 720;
const STEP = 5_000;
const T0 = Date.UTC(2026, 0, 5, 9);
const NOW = T0 + (POINTS - 1) * STEP;

type Kind = 'ratio' | 'latency' | 'counter';
const kindOf = (i: number): Kind => (i % 4 === 3 ? 'counter' : i % 4 === 2 ? 'latency' : 'ratio');

function profileYaml(): string {
  const metrics: string[] = [];
  const rules: string[] = [];
  for (let i = 0; i < METRICS; i++) {
    const id = `m${i}`;
    switch (kindOf(i)) {
      case 'ratio':
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: ratio, interval: 5s }`);
        rules.push(`  - { metric: ${id}, warn: "> 1%", rollback: "> 2%", for: 5m }`);
        break;
      case 'latency':
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: milliseconds, interval: 5s, baseline: { query: "b${i}" } }`);
        rules.push(`  - { metric: ${id}, warn: "> +50% baseline", rollback: "> 2x baseline", for: 10m }`);
        break;
      case 'counter':
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: count, interval: 5s }`);
        rules.push(`  - { metric: ${id}, rollback: "> 5 in 1h" }`);
        break;
    }
  }
  return `name: bench
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
${metrics.join('\n')}
rules:
${rules.join('\n')}
phases:
  - name: canary
    traffic: 10
    duration: 2h
    hold: 30m
    success: ["m0 < 0.5%", "m2 < 1.2x baseline", "m4 < 1%"]
  - { name: full, traffic: 100 }
`;
}

/** Mostly healthy, with an incident in every tenth metric so runs are walked, not just glanced at. */
function seriesFor(i: number): MetricSeries {
  const incident = i % 10 === 0;
  const canary: Point[] = [];
  const baseline: Point[] = [];
  let counter = 1_000;
  for (let k = 0; k < POINTS; k++) {
    const t = T0 + k * STEP;
    const late = incident && k > POINTS - 120;
    switch (kindOf(i)) {
      case 'ratio':
        canary.push({ t, v: late ? 0.025 : 0.002 + (k % 7) * 0.0001 });
        break;
      case 'latency':
        canary.push({ t, v: late ? 450 : 180 + (k % 11) });
        baseline.push({ t: t + 1_000, v: 200 });
        break;
      case 'counter':
        if (k % (incident ? 60 : 240) === 0) counter += 1;
        canary.push({ t, v: counter });
        break;
    }
  }
  return { groups: [{ key: '', canary: SampleView.of(canary), baseline: SampleView.of(baseline) }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: NOW, lastGoodAt: NOW };
}

/** The same samples in new views: nothing derived from them earlier can be reused. */
function fresh(series: SeriesSnapshot): SeriesSnapshot {
  return Object.fromEntries(
    Object.entries(series).map(([id, s]) => [id, { ...s, groups: s.groups.map((g) => ({ ...g, canary: SampleView.of(g.canary.toPoints()), baseline: SampleView.of(g.baseline.toPoints()) })) }]),
  );
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(): Promise<BenchResult[]> {
  const { profile } = parseProfile(profileYaml(), 'bench.yaml', { env: {} });
  const series: SeriesSnapshot = Object.fromEntries(profile.metricIds.map((id, i) => [id, seriesFor(i)]));
  const state = initialState(profile.name, T0);
  const shape = `${METRICS} metrics × ${POINTS} points; rules with for, baselines, counts; 3 criteria`;

  // Between two polls most series are unchanged: the store hands out the same arrays.
  for (let i = 0; i < 30; i++) evaluate(profile, state, series, NOW);
  const steady: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    evaluate(profile, state, series, NOW);
    steady.push(performance.now() - start);
  }

  // Every series new since the last call: the worst case, e.g. right after a backfill.
  const cold: number[] = [];
  for (let i = 0; i < 100; i++) {
    const input = fresh(series);
    const start = performance.now();
    evaluate(profile, state, input, NOW);
    cold.push(performance.now() - start);
  }

  return [
    { name: 'evaluate.median', value: median(steady), unit: 'ms', budget: 5, note: `${shape}; series unchanged since the last call` },
    // No budget: a one-shot `check` pays this once, a console only after a backfill.
    { name: 'evaluate.cold.median', value: median(cold), unit: 'ms', note: `${shape}; every series new (allocation and GC bound)` },
  ];
}
