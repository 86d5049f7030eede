// Repeated looks at raw rows must not inflate false alarms. A thousand simulated rollouts on a
// virtual clock: lognormal latencies minute by minute (8 canary requests a minute against 40 on
// the baseline, as at a 5%-ish canary), a 5-minute window polled every minute, the rollout judged
// by evaluate itself at every poll for an hour (12 looks of the Mann–Whitney test, one per window
// of new rows). With the canary equal to its baseline in distribution, the share of rollouts that
// ever roll back is the false-alarm rate; it must stay at or below α = 5%, both for the seeds'
// rule (`> 1.2x baseline significant`) and for a threshold at parity (`> 1x baseline significant`,
// where the test alone stands between noise and a rollback). Peeking with Mann–Whitney at α at the
// same looks is measured beside it. Then the power against a canary 1.25 times slower, at that traffic and at a quarter of it. Seeded: the
// figures are the same on every run.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawSignificance } from '../../src/engine/raw-test.js';
import { RawSampleStore } from '../../src/engine/raw-samples.js';
import { mannWhitney } from '../../src/engine/statistics.js';
import type { Snapshot } from '../../src/engine/types.js';
import { MINUTE, rawProfile, rng, runRaw, T0, type RawRun } from '../support/raw-rollout.js';

const ROLLOUTS = 1_000;
const POWER_ROLLOUTS = 300;
const MINUTES = 60;
const ALPHA = 0.05;
const CANARY = 8;
/** The regression the power is measured against: the canary's latencies this many times the baseline's. */
const SLOWER = 1.25;
const BASELINE = 40;

const rolledBack = (s: Snapshot) => s.decision === 'ROLLBACK';

/** Would Mann–Whitney at α (one-sided, no spending) on all rows so far have called it at any look? */
function peeked(run: RawRun): boolean {
  const kept = run.store.windows('latency')!;
  const a: number[] = [];
  for (const w of kept.canary) {
    a.push(...w.rows);
    const b = kept.baseline.filter((x) => x.at <= w.at).flatMap((x) => [...x.rows]);
    const test = mannWhitney(a, b);
    if (test.z > 0 && test.p / 2 <= ALPHA) return true;
  }
  return false;
}

function simulate(rule: string, canaryMedian: number, seed: number, count: number, peek = false, perMinute = CANARY) {
  const profile = rawProfile(rule);
  const alarmed: boolean[] = [];
  let peeking = 0;
  const detectedAt: number[] = [];
  for (let i = 0; i < count; i++) {
    const run = runRaw(profile, rng(seed * 100_003 + i), { perMinute, median: canaryMedian }, { perMinute: BASELINE, median: 300 }, MINUTES, rolledBack);
    const last = run.snapshots.at(-1)!;
    alarmed.push(rolledBack(last));
    if (rolledBack(last)) {
      detectedAt.push((last.at - T0) / MINUTE);
    }
    if (peek && peeked(run)) peeking++;
  }
  return { alarmed, rate: alarmed.filter(Boolean).length / count, peeking: peeking / count, detectedAt: detectedAt.sort((x, y) => x - y) };
}

describe('a Mann-Whitney rule on raw rows judged at every poll', () => {
  // The same seeds give the same rows: whenever "> 1.2x baseline significant" fires, "> 1x baseline
  // significant" has fired too (same test, lower threshold), so the parity rule's rate bounds the
  // seeds' rule's, and it is the one run a thousand times.
  it(`rolls back at most α = 5% of ${ROLLOUTS} rollouts whose canary equals its baseline in distribution, where peeking does not`, { timeout: 180_000 }, () => {
    const cpu = process.cpuUsage();
    const parity = simulate('{ metric: latency, rollback: "> 1x baseline significant" }', 300, 1, ROLLOUTS, true);
    const seeds = simulate('{ metric: latency, rollback: "> 1.2x baseline significant" }', 300, 1, POWER_ROLLOUTS);
    const used = process.cpuUsage(cpu);
    console.log(
      `false alarms over ${ROLLOUTS} equal rollouts, ${MINUTES} polls and 12 looks each: "> 1x baseline significant" ${(parity.rate * 100).toFixed(1)}%, ` +
        `peeking Mann-Whitney at 5% ${(parity.peeking * 100).toFixed(1)}%; "> 1.2x baseline significant" over the first ${POWER_ROLLOUTS}: ${(seeds.rate * 100).toFixed(1)}% ` +
        `(${((used.user + used.system) / 1e6).toFixed(1)} s of CPU)`,
    );
    expect(parity.rate).toBeLessThanOrEqual(ALPHA);
    seeds.alarmed.forEach((alarm, i) => alarm && expect(parity.alarmed[i]).toBe(true));
    expect(parity.peeking).toBeGreaterThan(ALPHA);
  });

  it(`detects a canary ${SLOWER} times slower (median ${300 * SLOWER} ms against 300 ms) in most of ${POWER_ROLLOUTS} rollouts within an hour at ${CANARY} requests a minute`, { timeout: 60_000 }, () => {
    const shifted = simulate('{ metric: latency, rollback: "> 1.2x baseline significant" }', 300 * SLOWER, 2, POWER_ROLLOUTS);
    const median = shifted.detectedAt[Math.floor(shifted.detectedAt.length / 2)];
    console.log(
      `power against a ${SLOWER}x slower canary within ${MINUTES} minutes (${CANARY * MINUTES} canary requests): ${(shifted.rate * 100).toFixed(1)}%, ` +
        `median ${median} minutes (about ${(median ?? 0) * CANARY} canary requests) to detect`,
    );
    expect(shifted.rate).toBeGreaterThanOrEqual(0.8);
  });

  it(`still detects it in most rollouts at a quarter of the traffic (${CANARY / 4} canary requests a minute)`, { timeout: 60_000 }, () => {
    const sparse = simulate('{ metric: latency, rollback: "> 1.2x baseline significant" }', 300 * SLOWER, 3, POWER_ROLLOUTS, false, CANARY / 4);
    const median = sparse.detectedAt[Math.floor(sparse.detectedAt.length / 2)];
    console.log(
      `power against a ${SLOWER}x slower canary within ${MINUTES} minutes at ${CANARY / 4} canary requests a minute: ${(sparse.rate * 100).toFixed(1)}%, ` +
        `median ${median} minutes (about ${(median ?? 0) * (CANARY / 4)} canary requests) to detect`,
    );
    expect(sparse.rate).toBeGreaterThanOrEqual(0.5);
  });
});

describe('more rows never make a raw verdict less certain', () => {
  it('the reported p-value never rises from one moment to the next, and a significant call stays while the canary stays slower', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 1, max: 1.6, noNaN: true }), (seed, factor) => {
        const profile = rawProfile('{ metric: latency, rollback: "> 1x baseline significant" }');
        const metric = profile.metrics.latency!;
        const condition = profile.phases[0]!.rules[0]!.rollback!;
        const store = new RawSampleStore(profile);
        const random = rng(seed);
        let previous = { p: 1, significant: false };
        for (let minute = 5; minute <= 40; minute += 5) {
          const t = T0 + minute * MINUTE;
          const rows = (median: number, n: number) => Float64Array.from({ length: n }, () => Math.round(median * Math.exp(0.5 * normal(random))));
          store.put('latency', 'canary', { t, at: t, rows: rows(300 * factor, 6) });
          store.put('latency', 'baseline', { t, at: t, rows: rows(300, 30) });
          const r = rawSignificance(store, metric, condition, 0.95, T0, t)!;
          expect(r.p).toBeLessThanOrEqual(previous.p);
          if (previous.significant && r.shift > 0) expect(r.significant).toBe(true);
          previous = r;
        }
      }),
      { numRuns: 60 },
    );
  });
});

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}
