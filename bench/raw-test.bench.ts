// The cost of judging a raw metric (profile `raw:`): summarising one window's rows into its
// statistic (every poll), one look of the Mann–Whitney test with its Hodges–Lehmann shift (once per
// window of new rows, then cached), and an evaluate() between looks, when the test is only read.
// Sizes: a 100,000-row window (the seed profiles' maxRows); a look at 20,000 canary against
// 100,000 baseline rows; and the worst a store can hold, 200,000 rows a side.

import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/engine/evaluate.js';
import { RawSampleStore, statistic } from '../src/engine/raw-samples.js';
import { SampleView } from '../src/engine/sample-view.js';
import { initialState } from '../src/engine/state.js';
import { hodgesLehmann, mannWhitney } from '../src/engine/statistics.js';
import type { MetricSeries } from '../src/engine/types.js';
import { parseProfile } from '../src/profile/load.js';
import type { BenchResult } from './result.js';
import { mulberry32 } from '../src/util/random.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const MINUTE = 60_000;

/** Lognormal latencies around `median`, from a fixed seed. */
function latencies(n: number, median: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.round(median * Math.exp(0.5 * Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()))));
}

function middle(samples: number[]): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(runs: number, work: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return middle(samples);
}

function look(canary: number, baseline: number): number {
  const a = latencies(canary, 330, 1);
  const b = latencies(baseline, 300, 2);
  return timed(5, () => {
    mannWhitney(a, b);
    hodgesLehmann(a, b);
  });
}

export async function run(): Promise<BenchResult[]> {
  const window = latencies(100_000, 300, 3);
  const summary = timed(11, () => statistic(window, { quantile: 0.95 }));

  const profile = parseProfile(
    `name: bench
sources: { db: { type: postgres, url: "postgres://u@127.0.0.1/t" } }
metrics:
  latency:
    source: db
    unit: milliseconds
    interval: 1m
    window: 5m
    raw: { value: p95, maxRows: 100000 }
    query: "SELECT v AS value FROM t WHERE g = 'new' AND at >= $1 AND at < $2"
    baseline: { query: "SELECT v AS value FROM t WHERE g = 'old' AND at >= $1 AND at < $2" }
rules:
  - { metric: latency, rollback: "> 1.2x baseline significant", minSamples: 50 }
phases: [{ name: canary, traffic: 5 }, { name: full, traffic: 100 }]
`,
    'bench.yaml',
    { env: {} },
  ).profile;
  const store = new RawSampleStore(profile);
  const t = T0 + 5 * MINUTE;
  store.put('latency', 'canary', { t, at: t, rows: latencies(20_000, 330, 4) });
  store.put('latency', 'baseline', { t, at: t, rows: latencies(100_000, 300, 5) });
  const series: MetricSeries = {
    groups: [{ key: '', canary: SampleView.of([{ t, v: 600, n: 20_000 }]), baseline: SampleView.of([{ t, v: 450, n: 100_000 }]) }],
    consecutiveErrors: 0,
    consecutiveNoData: 0,
    lastPollAt: t,
    lastGoodAt: t,
  };
  const state = initialState('bench', T0);
  let made: string | undefined;
  const first = timed(1, () => (made = evaluate(profile, state, { latency: series }, t, store).metrics[0]!.significance?.method));
  if (made !== 'Mann-Whitney') throw new Error('the first evaluate made no look');
  const cached = timed(101, () => evaluate(profile, state, { latency: series }, t, store));

  return [
    { name: 'raw: p95 of a 100,000-row window', value: summary, unit: 'ms', note: 'every poll of a raw metric' },
    { name: 'raw: one look, 20,000 vs 100,000 rows', value: look(20_000, 100_000), unit: 'ms', note: 'Mann-Whitney + Hodges-Lehmann, once per window' },
    { name: 'raw: one look, 200,000 vs 200,000 rows', value: look(200_000, 200_000), unit: 'ms', note: 'the most a store keeps' },
    { name: 'raw: evaluate making a look (20,000 vs 100,000)', value: first, unit: 'ms' },
    { name: 'raw: evaluate between looks', value: cached, unit: 'ms', budget: 5, note: 'the test is read from the store' },
  ];
}
