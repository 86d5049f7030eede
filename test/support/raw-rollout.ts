// A raw metric's rollout on a virtual clock, for engine tests and the simulation: every minute
// each group gets its observations (latencies), the window's rows are polled (their statistic a
// point, their count its n, the rows themselves into the store as the poller puts them), and the
// rollout is judged by evaluate itself. No source, no poller: the same store and summary they use.

import { evaluate } from '../../src/engine/evaluate.js';
import { RawSampleStore, statistic } from '../../src/engine/raw-samples.js';
import { SampleView } from '../../src/engine/sample-view.js';
import { initialState } from '../../src/engine/state.js';
import type { MetricSeries, Point, Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { mulberry32 } from '../../src/util/random.js';

/** The seeded generator the simulations use (one, in src/util/random.ts). */
export const rng = mulberry32;

export const T0 = Date.UTC(2026, 0, 5, 9);
export const MINUTE = 60_000;

/** A raw p95 latency metric (5-minute window, polled every minute) with one rule. */
export function rawProfile(rule: string, raw = 'p95'): Profile {
  return parseProfile(
    `
name: raw
sources:
  db: { type: postgres, url: "postgres://u@127.0.0.1:5432/t" }
metrics:
  latency:
    source: db
    unit: milliseconds
    interval: 1m
    window: 5m
    raw: ${raw}
    query: SELECT latency_ms AS value FROM telemetry_logs WHERE model_path = 'simple' AND timestamp >= $1 AND timestamp < $2
    baseline:
      query: SELECT latency_ms AS value FROM telemetry_logs WHERE model_path = 'legacy' AND timestamp >= $1 AND timestamp < $2
rules:
  - ${rule}
phases:
  - { name: canary, traffic: 5 }
  - { name: full, traffic: 100 }
`,
    'raw.yaml',
    { env: {} },
  ).profile;
}


/** A lognormal latency with the given median (ms) and log-sd: request latencies' usual shape. */
export function lognormal(random: () => number, median: number, sigma = 0.5): number {
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.round(median * Math.exp(sigma * z));
}

export interface Group {
  /** Observations per minute. */
  perMinute: number;
  median: number;
}

export interface RawRun {
  profile: Profile;
  store: RawSampleStore;
  /** The judgement at each minute, from minute `windowMinutes` on. */
  snapshots: Snapshot[];
}

/**
 * `minutes` minutes of a rollout with `canary` and `baseline` drawn as given; `stopAt` ends the
 * run at the first snapshot it accepts (a rollback), so a simulation does not judge past it.
 */
export function runRaw(profile: Profile, random: () => number, canary: Group, baseline: Group, minutes: number, stopAt?: (s: Snapshot) => boolean): RawRun {
  const metric = profile.metrics.latency!;
  const windowMinutes = metric.windowMs / MINUTE;
  const store = new RawSampleStore(profile);
  const state = initialState(profile.name, T0);
  const perMinute = { canary: [] as number[][], baseline: [] as number[][] };
  const points = { canary: [] as Point[], baseline: [] as Point[] };
  const snapshots: Snapshot[] = [];
  for (let minute = 1; minute <= minutes; minute++) {
    perMinute.canary.push(Array.from({ length: canary.perMinute }, () => lognormal(random, canary.median)));
    perMinute.baseline.push(Array.from({ length: baseline.perMinute }, () => lognormal(random, baseline.median)));
    const t = T0 + minute * MINUTE;
    for (const track of ['canary', 'baseline'] as const) {
      const rows = Float64Array.from(perMinute[track].slice(-windowMinutes).flat());
      if (rows.length === 0) continue;
      points[track].push({ t, v: statistic(rows, metric.raw!), n: rows.length });
      store.put('latency', track, { t, at: t, rows });
    }
    if (points.canary.length === 0) continue;
    const series: MetricSeries = { groups: [{ key: '', canary: SampleView.of(points.canary), baseline: SampleView.of(points.baseline) }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: t, lastGoodAt: t };
    const snap = evaluate(profile, state, { latency: series }, t, store);
    snapshots.push(snap);
    if (stopAt?.(snap)) break;
  }
  return { profile, store, snapshots };
}
