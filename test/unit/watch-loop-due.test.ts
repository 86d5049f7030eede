// The headless watch loop (`wake: 'due'`, what the agent runs) on a virtual clock: it judges when a
// poll lands, when the rollout changes, and when time alone could change the judgement — not once
// a second — and once a second again while a console watches live.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { SampleView } from '../../src/engine/sample-view.js';
import { MemoryRolloutStore } from '../../src/engine/memory-rollout.js';
import { MAX_IDLE_MS, nextDue } from '../../src/engine/next-due.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState, promoted } from '../../src/engine/state.js';
import { WatchLoop, type EngineEvent, type LoopView } from '../../src/engine/watch-loop.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { createReplaySource } from '../../src/sources/replay.js';
import type { SeriesSnapshot } from '../../src/engine/types.js';

const T0 = Date.UTC(2026, 0, 1);

const dirs: string[] = [];
const loops: WatchLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A recording of a healthy error ratio, a sample a second for an hour around T0; HTTP 503 from `down[0]` until `down[1]`. */
function recording(down: [number, number] = [Infinity, Infinity]): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-due-'));
  dirs.push(dir);
  const file = join(dir, 'run.jsonl');
  const lines = [JSON.stringify({ recording: 'rollcall', version: 1, profile: 'due', startedAt: T0 - 1_800_000 })];
  for (let t = T0 - 1_800_000; t <= T0 + 4_000_000; t += 1_000) {
    if (t >= down[0] && t < down[1]) lines.push(JSON.stringify({ t, metric: 'error_rate', track: 'canary', error: 'HTTP 503 Service Unavailable (sentry:443)', kind: 'http' }));
    else lines.push(JSON.stringify({ t, metric: 'error_rate', track: 'canary', group: '', v: 0.005 }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function profileOn(file: string, interval: string, phase: string, rule = '{ metric: error_rate, warn: "> 1%", rollback: "> 2%" }', copies = 0): Profile {
  const text = [
    'name: due',
    `defaults: { interval: ${interval}, timeout: 2s }`,
    'sources:',
    `  rec: { type: replay, file: ${JSON.stringify(file)} }`,
    'metrics:',
    '  error_rate: { source: rec, unit: ratio, query: app_error_ratio }',
    ...Array.from({ length: copies }, (_, i) => `  copy_${i}: { source: rec, unit: ratio, query: app_error_ratio }`),
    'rules:',
    `  - ${rule}`,
    'phases:',
    `  - ${phase}`,
    '  - { name: full, traffic: 100 }',
  ].join('\n');
  return parseProfile(text, 'due.yaml').profile;
}

async function headless(interval: string, phase: string, opts: { jitter?: number; copies?: number; down?: [number, number] } = {}) {
  const file = recording(opts.down);
  const profile = profileOn(file, interval, phase, undefined, opts.copies);
  const clock = new VirtualClock(T0);
  const source = createReplaySource('rec', file);
  await source.recording();
  const rollout = new MemoryRolloutStore(initialState(profile.name, T0));
  const loop = new WatchLoop({ profile, sources: new Map([['rec', source]]), rollout, clock, jitter: opts.jitter ?? 0, wake: 'due' });
  loops.push(loop);
  const events: EngineEvent[] = [];
  const views: LoopView[] = [];
  loop.onEvent((e) => events.push(e));
  loop.onView((v) => views.push(v));
  return { profile, clock, rollout, loop, events, views };
}

describe('the headless watch loop', () => {
  it('judges once per poll round, not once a second', async () => {
    const { clock, loop, views } = await headless('15s', '{ name: canary, traffic: 10, duration: 48h }');
    loop.start();
    await clock.advance(150_000);
    // The rounds at 0, 15 s … 135 s, each judged 100 ms after it lands; the one at 150 s not yet.
    expect(views.map((v) => v.now - T0)).toEqual(Array.from({ length: 10 }, (_, i) => i * 15_000 + 100));
  });

  it('judges a poll round spread over a tenth of the interval once, when the whole round is in', async () => {
    const { clock, loop, views } = await headless('15s', '{ name: canary, traffic: 10, duration: 48h }', { jitter: 0.1, copies: 9 });
    loop.start();
    await clock.advance(150_000);
    expect(views).toHaveLength(10);
    // Every metric of the round is in the judgement that follows it.
    const first = views[0]!;
    expect(Object.values(first.series).every((s) => s.lastPollAt !== undefined && s.lastPollAt < first.now)).toBe(true);
  });

  it('wakes when the phase\'s minimum duration is over, with no poll due, so SOAK turns PROMOTE on time', async () => {
    const { clock, loop, events } = await headless('1h', '{ name: canary, traffic: 10, duration: 90s }');
    loop.start();
    await clock.advance(120_000);
    const decision = events.find((e) => e.kind === 'decision');
    expect(decision).toMatchObject({ at: T0 + 90_000, text: expect.stringMatching(/^decision SOAK → PROMOTE: /) });
  });

  it('judges at least every MAX_IDLE_MS when nothing is due', async () => {
    const { clock, loop, views } = await headless('1h', '{ name: canary, traffic: 10, duration: 48h }');
    loop.start();
    await clock.advance(5 * MAX_IDLE_MS);
    expect(views.map((v) => v.now - T0)).toEqual([100, 100 + MAX_IDLE_MS, 100 + 2 * MAX_IDLE_MS, 100 + 3 * MAX_IDLE_MS, 100 + 4 * MAX_IDLE_MS]);
  });

  it('judges every second while someone watches live, and stops when they go', async () => {
    const { clock, loop, views } = await headless('1h', '{ name: canary, traffic: 10, duration: 48h }');
    loop.start();
    await clock.advance(1_000);
    const unwatch = loop.watchLive();
    await clock.advance(10_000);
    const live = views.length;
    expect(live).toBeGreaterThanOrEqual(11);
    unwatch();
    await clock.advance(30_000);
    // The tick already set fires once more, then the loop sleeps until something is due.
    expect(views.length).toBeLessThanOrEqual(live + 1);
  });

  it('wakes when an observer says it is due (a periodic summary), and judges a rollout change at once', async () => {
    const { clock, rollout, loop, views } = await headless('1h', '{ name: canary, traffic: 10, duration: 48h }');
    loop.observe({ onSnapshot: () => {}, nextDueAt: () => T0 + 7_000 });
    loop.start();
    await clock.advance(8_000);
    expect(views.map((v) => v.now - T0)).toEqual([100, 7_000]);
    await rollout.update((state) => promoted(state, clock.now(), 'alice@bastion', 2));
    await clock.advance(200);
    expect(views.at(-1)!.rollout.phase).toBe(1);
    expect(views.at(-1)!.now - T0).toBe(8_100);
  });
});

describe('the headless loop while a source is down for an hour', () => {
  it('holds with the reason named, says each failure once, never judges ROLLBACK, and is ok again when it answers', async () => {
    const { clock, loop, events, views } = await headless('15s', '{ name: canary, traffic: 10, duration: 48h }', { down: [T0 + 60_000, T0 + 3_660_000] });
    loop.start();
    await clock.advance(60_000 + 3_600_000);
    const m = loop.view.snapshot.metrics[0]!;
    expect(m.state).toBe('error');
    expect(m.reason ?? m.error).toContain('HTTP 503 Service Unavailable (sentry:443)');
    expect(loop.view.snapshot.decision).toBe('HOLD');
    expect(views.every((v) => v.snapshot.decision !== 'ROLLBACK')).toBe(true);
    // Failures back off (at most every 60 s for a 15 s interval): each said once, not a flood.
    const failures = events.filter((e) => e.kind === 'source');
    expect(failures.length).toBeGreaterThan(30);
    expect(failures.length).toBeLessThanOrEqual(3_600 / 15 + 1);
    expect(new Set(failures.map((e) => e.at)).size).toBe(failures.length);
    expect(events.filter((e) => e.kind === 'decision').map((e) => e.text.split(':')[0])).toEqual(['decision SOAK → HOLD']);
    // The source answers again: within its backoff (four intervals), the metric is ok and the rollout soaks on.
    await clock.advance(61_000);
    expect(loop.view.snapshot.metrics[0]!.state).toBe('ok');
    expect(events.filter((e) => e.kind === 'decision').map((e) => e.text.split(':')[0])).toEqual(['decision SOAK → HOLD', 'decision HOLD → SOAK']);
  });
});

describe('when a judgement is next due by time alone', () => {
  const file = '/nonexistent.jsonl';
  const series = (lastAt: number): SeriesSnapshot => ({
    error_rate: { groups: [{ key: '', canary: SampleView.of([{ t: lastAt, v: 0.005 }]), baseline: SampleView.EMPTY }], lastPollAt: lastAt, lastGoodAt: lastAt, consecutiveErrors: 0, consecutiveNoData: 0 },
  });
  const due = (profile: Profile, s: SeriesSnapshot, now: number) => {
    const state = initialState(profile.name, T0);
    return nextDue(profile, state, evaluate(profile, state, s, now), s, now) - now;
  };

  it('is the moment the freshest sample turns stale (three intervals, then one millisecond)', () => {
    const profile = profileOn(file, '10s', '{ name: canary, traffic: 10 }');
    expect(due(profile, series(T0), T0 + 5_000)).toBe(25_001);
  });

  it('is the end of the phase\'s minimum duration, or a rule\'s `after:`', () => {
    const soak = profileOn(file, '1h', '{ name: canary, traffic: 10, duration: 40s }');
    expect(due(soak, series(T0), T0 + 10_000)).toBe(30_000);
    const after = profileOn(file, '1h', '{ name: canary, traffic: 10 }', '{ metric: error_rate, warn: "> 1%", after: 20s }');
    expect(due(after, series(T0), T0 + 10_000)).toBe(10_000);
  });

  it('is the next escalation step of a firing warning', () => {
    const profile = profileOn(file, '1h', '{ name: canary, traffic: 10 }', '{ metric: error_rate, warn: "> 0.1%", escalate: [{ after: 30s, to: rollback }] }');
    expect(due(profile, series(T0), T0 + 10_000)).toBe(20_000);
  });

  it('is no later than MAX_IDLE_MS when nothing is foreseen', () => {
    const profile = profileOn(file, '1h', '{ name: canary, traffic: 10 }');
    expect(due(profile, series(T0), T0 + 10_000)).toBe(MAX_IDLE_MS);
  });
});
