// Memory of the retained history and the cost of a poll round at full rings: 200 metrics at 1 s
// with the default 2 h history (7,202 samples a ring), filled the way live polls fill them.
//
// - bytes per retained sample: heapUsed + arrayBuffers after a full GC, before and after the fill,
//   divided by the samples held (the snapshot's views included, as the console holds one). Budget
//   from issue 15: 24 bytes.
// - poll round: what the watch loop does each second once the rings are full: a point into each
//   metric, the store's snapshot, and evaluate() on it (rules with `for`, a baseline, a count and
//   a success criterion). Only SeriesStore, evaluate and the profile loader are used, so this file
//   runs unchanged on a tree where rings hand out arrays of points, for a figure beside main's.

import { performance } from 'node:perf_hooks';
import { evaluate } from '../src/engine/evaluate.js';
import { SeriesStore } from '../src/engine/series.js';
import { initialState } from '../src/engine/state.js';
import { parseProfile } from '../src/profile/load.js';
import type { BenchResult } from './result.js';

const METRICS = 200;
const T0 = Date.UTC(2026, 0, 1);
const ROUNDS = 60;

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** 200 metrics polled every second, a quarter with each kind of rule the judge walks. */
function profileYaml(): string {
  const metrics: string[] = [];
  const rules: string[] = [];
  for (let i = 0; i < METRICS; i++) {
    const id = `m${i}`;
    switch (i % 4) {
      case 0:
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: ratio, interval: 1s }`);
        rules.push(`  - { metric: ${id}, warn: "> 1%", rollback: "> 2%", for: 5m }`);
        break;
      case 1:
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: milliseconds, interval: 1s, baseline: { query: "b${i}" } }`);
        rules.push(`  - { metric: ${id}, warn: "> +50% baseline", rollback: "> 2x baseline", for: 10m }`);
        break;
      case 2:
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: count, interval: 1s }`);
        rules.push(`  - { metric: ${id}, rollback: "> 500 in 1h" }`);
        break;
      default:
        metrics.push(`  ${id}: { source: prom, query: "q${i}", unit: ratio, interval: 1s }`);
        break;
    }
  }
  return `name: ring-bench
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
${metrics.join('\n')}
rules:
${rules.join('\n')}
phases:
  - { name: canary, traffic: 10, duration: 4h, success: ["m0 < 0.5%", "m3 < 1%"] }
  - { name: full, traffic: 100 }
`;
}

function valueOf(i: number, s: number): number {
  switch (i % 4) {
    case 1:
      return 180 + ((s * 7 + i) % 11);
    case 2:
      return Math.floor(s / 30);
    default:
      return 0.002 + ((s * 7 + i) % 97) / 100_000;
  }
}

export async function run(): Promise<BenchResult[]> {
  const { profile } = parseProfile(profileYaml(), 'ring-bench.yaml', { env: {} });
  const capacity = profile.metrics.m0!.capacity;
  const state = initialState(profile.name, T0);
  const before = heap();
  const store = new SeriesStore(profile);
  const put = (s: number) => {
    const t = T0 + s * 1_000;
    for (let i = 0; i < METRICS; i++) {
      const id = `m${i}`;
      store.putPoints(id, 'canary', new Map([['', [{ t, v: valueOf(i, s) }]]]), t, { source: 'prom' });
      if (i % 4 === 1) store.putPoints(id, 'baseline', new Map([['', [{ t, v: 200 }]]]), t, { source: 'prom' });
    }
    return t;
  };
  // One lap more than the capacity, so the rings have wrapped as they do in a long session.
  let s = 0;
  const fillStarted = performance.now();
  for (; s < capacity + 600; s++) put(s);
  const fillMs = performance.now() - fillStarted;
  let snapshot = store.snapshot();
  const filled = heap();
  const held = METRICS * capacity + (METRICS / 4) * capacity;
  let samples = 0;
  for (const m of Object.values(snapshot)) for (const g of m.groups) samples += g.canary.length + g.baseline.length;
  if (samples !== held) throw new Error(`the rings hold ${samples} samples, not ${held}`);

  // Warm up, then time rounds: a point into each ring, the snapshot, one judgement.
  const round = () => {
    const t = put(s++);
    snapshot = store.snapshot();
    return evaluate(profile, state, snapshot, t);
  };
  for (let k = 0; k < 10; k++) round();
  const times: number[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    const started = performance.now();
    round();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const shape = `${METRICS} metrics at 1 s, ${capacity} samples a ring (2 h), ${held} samples held`;
  return [
    { name: 'ring.bytes_per_sample.200x7200', value: (filled - before) / held, unit: 'B', budget: 24, note: `${shape}; heapUsed + arrayBuffers after gc, store and snapshot` },
    { name: 'ring.poll_round_ms.200x7200', value: median, unit: 'ms', note: `median of ${ROUNDS}: a point into each full ring, the snapshot, evaluate()` },
    { name: 'ring.poll_round_p90_ms.200x7200', value: times[Math.floor(times.length * 0.9)]!, unit: 'ms' },
    { name: 'ring.append_us_per_sample', value: (fillMs * 1e3) / (METRICS * (capacity + 600)), unit: 'µs', note: 'filling through SeriesStore.putPoints' },
  ];
}
