// Store size of the sample history: 50 metrics polled every 15 s for 30 days, written the way the
// agent writes them (one transaction per poll round through SqliteHistory), then the file measured
// after a checkpoint. 40 metrics are full-precision floats (ratios, latencies: the costly kind),
// 10 are counters. Budget from the issue: at most 200 MB. Also the cost of a week's range read of
// one metric, and of a day of all 50 (what `report --since 24h` reads). `BENCH_HISTORY_DAYS` shortens the run;
// the size is then scaled to 30 days (it grows linearly: one chunk row per series-hour).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteHistory } from '../src/actions/history-sqlite.js';
import type { Metric, Profile } from '../src/profile/types.js';
import type { BenchResult } from './result.js';

/** The history benches' shape, shared by the PostgreSQL one: 50 metrics every 15 s from one start. */
export const METRICS = 50;
export const FLOATS = 40;
export const STEP_MS = 15_000;
export const DAY_MS = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

export async function run(): Promise<BenchResult[]> {
  const days = Number(process.env.BENCH_HISTORY_DAYS ?? 30);
  const dir = await mkdtemp(join(tmpdir(), 'rollcall-bench-history-'));
  const profile = benchProfile();
  try {
    const history = openSqliteHistory(profile, dir, { retentionMs: 40 * DAY_MS, maxBytes: 4 * 1024 ** 3 });
    const ids = profile.metricIds;
    const rounds = Math.round((days * DAY_MS) / STEP_MS);
    const started = process.hrtime.bigint();
    for (const { t, values } of pollRounds(ids.length, rounds)) {
      for (let i = 0; i < ids.length; i++) history.samples(ids[i]!, 'canary', new Map([['', [{ t, v: values[i]! }]]]));
      history.flush();
    }
    const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
    const readStarted = process.hrtime.bigint();
    const end = T0 + rounds * STEP_MS;
    const week = history.read(ids[0]!, 'canary', end - Math.min(days, 7) * DAY_MS, end);
    const readMs = Number(process.hrtime.bigint() - readStarted) / 1e6;
    const dayStarted = process.hrtime.bigint();
    let dayPoints = 0;
    for (const id of ids) dayPoints += history.read(id, 'canary', end - DAY_MS, end).series[0]?.points.length ?? 0;
    const dayMs = Number(process.hrtime.bigint() - dayStarted) / 1e6;
    if (week.series[0]!.points.length < (Math.min(days, 7) * DAY_MS) / STEP_MS - 2) throw new Error('the range read lost samples');
    await history.close();
    const bytes = history.size();
    const samples = rounds * METRICS;
    const scaled = (bytes * 30) / days;
    return [
      {
        name: 'history.store_size.50x15s.30d',
        value: scaled / 1e6,
        unit: 'MB',
        budget: 200,
        note: `${(bytes / samples).toFixed(1)} B/sample over ${samples} samples (${days}d measured${days === 30 ? '' : ', scaled to 30d'})`,
      },
      { name: 'history.write_per_round.50', value: writeMs / rounds, unit: 'ms', note: 'one transaction per poll round of 50 samples' },
      { name: 'history.read_24h.50metrics', value: dayMs, unit: 'ms', budget: 500, note: `${dayPoints} points: what report --since 24h reads (budget is the whole report's)` },
      { name: 'history.read_week.1metric', value: readMs, unit: 'ms', note: `${week.series[0]!.points.length} points` },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The benches' poll rounds: `metrics` values every STEP_MS from T0, the first FLOATS drifting
 * ratios and the rest growing counters, from a fixed seed so every run stores the same samples.
 * The values array is reused from round to round.
 */
export function* pollRounds(metrics: number, rounds: number): Generator<{ round: number; t: number; values: number[] }> {
  const values = Array.from({ length: metrics }, (_, i) => (i < FLOATS ? 0.01 + i / 1000 : 1000 * i));
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < rounds; round++) {
    // Real polls finish a few milliseconds apart; timestamps are whole milliseconds.
    const t = T0 + round * STEP_MS + Math.floor(random() * 40);
    for (let i = 0; i < metrics; i++) values[i] = i < FLOATS ? Math.max(0, values[i]! * (1 + (random() - 0.5) * 0.02)) : values[i]! + Math.floor(random() * 20);
    yield { round, t, values };
  }
}

/** The benches' profile: METRICS metrics at STEP_MS; its state where `state` says (default the file). */
export function benchProfile(state?: Profile['state']): Profile {
  const metrics: Metric[] = Array.from({ length: METRICS }, (_, i) => ({
    id: `metric_${i}`,
    title: `metric ${i}`,
    source: 'prom',
    query: `q${i}`,
    unit: 'none',
    intervalMs: STEP_MS,
    timeoutMs: 5_000,
    windowMs: 3_600_000,
    chart: false,
    capacity: 240,
  }));
  return {
    name: 'bench-history',
    title: 'bench',
    links: {},
    defaults: { intervalMs: STEP_MS, timeoutMs: 5_000, holdMs: 1_800_000, errorLimit: 3, nodata: 'warn', historyMs: 7_200_000 },
    sources: {},
    metrics: Object.fromEntries(metrics.map((m) => [m.id, m])),
    metricIds: metrics.map((m) => m.id),
    phases: [],
    rollbackTo: { phase: null, traffic: 0 },
    actions: {},
    notify: [],
    secrets: [],
    ...(state ? { state } : {}),
  };
}

if (process.argv[1]?.endsWith('history.bench.js')) {
  for (const r of await run()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}  ${r.note ?? ''}`);
}
