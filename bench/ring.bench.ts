// Memory of the retained history: 200 metrics holding 7,200 samples each (2 h at 1 s), filled the
// way live polls fill them (one point per merge). Measured as heapUsed + arrayBuffers after a full
// GC, before and after the fill, divided by the samples held. Budget from issue 15: 24 bytes per
// sample. A second figure adds what the point views cost while a snapshot holds them (the console
// asks for every ring's points each update), so the price of the Point-array interface is visible,
// and the time of one poll round at full rings (a point into each ring, then each view again).

import { Ring } from '../src/engine/ring.js';
import type { BenchResult } from './result.js';

const METRICS = 200;
const SAMPLES = 7_200;
const T0 = Date.UTC(2026, 0, 1);

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export async function run(): Promise<BenchResult[]> {
  const before = heap();
  const rings: Ring[] = [];
  for (let i = 0; i < METRICS; i++) rings.push(new Ring(SAMPLES));
  // One more lap than the capacity, so the rings have wrapped as they do in a long session.
  const started = process.hrtime.bigint();
  for (let s = 0; s < SAMPLES + 600; s++) {
    const t = T0 + s * 1_000;
    for (let i = 0; i < METRICS; i++) rings[i]!.merge([{ t, v: 0.01 + ((s * 7 + i) % 97) / 1_000 }]);
  }
  const fillMs = Number(process.hrtime.bigint() - started) / 1e6;
  const filled = heap();
  const views = rings.map((r) => r.points());
  const viewed = heap();
  // Steady state as the console sees it: each second every metric gets a point and the snapshot
  // asks every ring for its points again.
  const ROUNDS = 60;
  const roundStarted = process.hrtime.bigint();
  for (let s = 0; s < ROUNDS; s++) {
    const t = T0 + (SAMPLES + 600 + s) * 1_000;
    for (let i = 0; i < METRICS; i++) {
      rings[i]!.merge([{ t, v: 0.5 }]);
      views[i] = rings[i]!.points();
    }
  }
  const roundMs = Number(process.hrtime.bigint() - roundStarted) / 1e6 / ROUNDS;
  const held = METRICS * SAMPLES;
  if (views.some((v) => v.length !== SAMPLES)) throw new Error('a ring did not hold its capacity');
  return [
    { name: 'ring.bytes_per_sample.200x7200', value: (filled - before) / held, unit: 'B', budget: 24, note: 'heapUsed + arrayBuffers after gc' },
    { name: 'ring.bytes_per_sample.with_views', value: (viewed - before) / held, unit: 'B', note: 'rings plus every points() view held' },
    { name: 'ring.poll_round_ms.200x7200', value: roundMs, unit: 'ms', note: 'one point into each full ring, then every points() view' },
    { name: 'ring.append_ns_per_sample', value: (fillMs * 1e6) / (METRICS * (SAMPLES + 600)), unit: 'ns' },
  ];
}
