// The headless watch loop on a virtual clock, polling a real replay source (a recording on disk):
// what it says, when, and to whom, with no console anywhere.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { MemoryRolloutStore } from '../../src/engine/memory-rollout.js';
import { initialState, promoted } from '../../src/engine/state.js';
import type { Snapshot } from '../../src/engine/types.js';
import { WatchLoop, type EngineEvent, type LoopView, type SampleSink } from '../../src/engine/watch-loop.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { createReplaySource } from '../../src/sources/replay.js';

const T0 = Date.UTC(2026, 0, 1);
/** The canary's error ratio turns bad this long after T0. */
const TURNS_BAD_MS = 60_000;

const dirs: string[] = [];
const loops: WatchLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A recording of an error ratio sampled every second: 0.5% until TURNS_BAD_MS, then 3%; or, with
 * `fails`, a source that answers HTTP 503 from then on.
 */
function recording(fails = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-loop-'));
  dirs.push(dir);
  const file = join(dir, 'run.jsonl');
  const lines = [JSON.stringify({ recording: 'rollcall', version: 1, profile: 'loop', startedAt: T0 - 600_000 })];
  for (let t = T0 - 600_000; t <= T0 + 600_000; t += 1_000) {
    if (fails && t >= T0 + TURNS_BAD_MS) lines.push(JSON.stringify({ t, metric: 'error_rate', track: 'canary', error: 'HTTP 503', kind: 'http' }));
    else lines.push(JSON.stringify({ t, metric: 'error_rate', track: 'canary', group: '', v: t < T0 + TURNS_BAD_MS ? 0.005 : 0.03 }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function profileOn(file: string, interval = '5s'): Profile {
  const text = [
    'name: loop',
    'title: Watch loop',
    `defaults: { interval: ${interval}, timeout: 900ms }`,
    'sources:',
    `  rec: { type: replay, file: ${JSON.stringify(file)} }`,
    'metrics:',
    '  error_rate: { source: rec, unit: ratio, query: app_error_ratio }',
    'rules:',
    '  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }',
    'phases:',
    '  - { name: canary, traffic: 10, duration: 1h }',
    '  - { name: full, traffic: 100 }',
  ].join('\n');
  return parseProfile(text, 'loop.yaml').profile;
}

async function loopOn({ interval, ...opts }: { backfillMs?: number; sink?: SampleSink; interval?: string } = {}, fails = false) {
  const file = recording(fails);
  const profile = profileOn(file, interval);
  const clock = new VirtualClock(T0);
  const source = createReplaySource('rec', file);
  // Read the recording before the clock starts moving: a virtual second does not wait for the disk.
  await source.recording();
  const rollout = new MemoryRolloutStore(initialState(profile.name, T0));
  const loop = new WatchLoop({ profile, sources: new Map([['rec', source]]), rollout, clock, jitter: 0, ...opts });
  loops.push(loop);
  const events: EngineEvent[] = [];
  loop.onEvent((e) => events.push(e));
  return { profile, clock, rollout, loop, events };
}

const texts = (events: readonly EngineEvent[]) => events.map((e) => e.text);

describe('the watch loop', () => {
  it('says once that every metric has been polled, and nothing more while nothing changes', async () => {
    const { clock, loop, events } = await loopOn();
    loop.start();
    await clock.advance(30_000);
    expect(texts(events)).toEqual(['every metric polled: SOAK: soaking: 0s of 1h']);
    expect(events[0]).toMatchObject({ kind: 'warm', level: 'ok', at: T0 + 100 });
  });

  it('says a decision change and a metric change once each, however many judgements follow', async () => {
    const { clock, loop, events } = await loopOn();
    loop.start();
    await clock.advance(TURNS_BAD_MS + 120_000);
    const changes = events.filter((e) => e.kind === 'decision' || e.kind === 'metric');
    expect(changes.map((e) => e.kind)).toEqual(['decision', 'metric']);
    // Judged by the poll round that brought the bad value (or the tick that coincides with it).
    expect(changes[0]!.level).toBe('bad');
    expect(changes[0]!.at - T0 - TURNS_BAD_MS).toBeGreaterThanOrEqual(0);
    expect(changes[0]!.at - T0 - TURNS_BAD_MS).toBeLessThanOrEqual(100);
    expect(changes[0]!.text).toMatch(/^decision SOAK → ROLLBACK: /);
    expect(changes[1]).toMatchObject({ kind: 'metric', metric: 'error_rate', level: 'bad', text: 'error_rate ok → breach: error_rate 3% > 2% (rollback)' });
  });

  it('says each failed poll of a source once, however often it judges, and hands every answer to the sink', async () => {
    const answers: string[] = [];
    const sink: SampleSink = {
      samples: (metric, track, groups) => answers.push(`${metric} ${track} ${[...groups.values()].flat().length} points`),
      noData: (metric) => answers.push(`${metric} no data`),
      error: (metric, _track, reason, at, kind) => answers.push(`${metric} error at ${at - T0}: ${reason} (${kind})`),
    };
    const { clock, loop, events } = await loopOn({ sink }, true);
    loop.start();
    // A second past the last failure: it is said when the poll round that saw it is judged.
    await clock.advance(TURNS_BAD_MS + 121_000);
    const failed = answers.filter((a) => a.includes(' error at '));
    const said = events.filter((e) => e.kind === 'source');
    // Failures back off (interval × 2ⁿ), so there are a few, each said once, not once a second.
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed[0]).toBe(`error_rate error at ${TURNS_BAD_MS}: HTTP 503 (http)`);
    expect(said.map((e) => `${e.metric} ${e.at - T0}: ${e.text}`)).toEqual(failed.map((f) => f.replace(/^error_rate error at (\d+): HTTP 503 \(http\)$/, 'error_rate $1: source rec: HTTP 503')));
    expect(said.every((e) => e.level === 'bad')).toBe(true);
    expect(answers.filter((a) => a.endsWith('points')).length).toBe(TURNS_BAD_MS / 5_000);
  });

  it('tells each observer the first snapshot at start, then every judgement with the one before it', async () => {
    const { clock, loop } = await loopOn();
    const calls: { prev: Snapshot | undefined; next: Snapshot }[] = [];
    loop.observe({ onSnapshot: (prev, next) => calls.push({ prev, next }) });
    loop.start();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.prev).toBeUndefined();
    await clock.advance(10_000);
    expect(calls.length).toBeGreaterThan(10);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.prev).toBe(calls[i - 1]!.next);
    expect(calls.at(-1)!.next).toBe(loop.view.snapshot);
  });

  it('judges at least once a second with no new data, so time in phase moves on', async () => {
    const { clock, loop } = await loopOn();
    const views: LoopView[] = [];
    loop.onView((v) => views.push(v));
    loop.start();
    await clock.advance(600_000);
    const gaps = views.slice(1).map((v, i) => v.now - views[i]!.now);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
    expect(views.length).toBeGreaterThanOrEqual(600);
    expect(loop.view.snapshot.phase.elapsedMs).toBeGreaterThan(599_000);
  });

  it('judges once a second, not twice, when the polls come every second', async () => {
    const { clock, loop } = await loopOn({ interval: '1s' });
    const views: LoopView[] = [];
    loop.onView((v) => views.push(v));
    loop.start();
    await clock.advance(60_000);
    // One judgement per poll round; the tick finds nothing to add.
    expect(views.length).toBeGreaterThanOrEqual(59);
    expect(views.length).toBeLessThanOrEqual(61);
  });

  it('judges a burst of answers once, after the settle delay', async () => {
    const { clock, loop } = await loopOn();
    const views: LoopView[] = [];
    loop.onView((v) => views.push(v));
    loop.start();
    await clock.advance(150);
    // The first poll lands at once; its judgement waits 100 ms for anything else in the round.
    expect(views.map((v) => v.now - T0)).toEqual([100]);
    expect(views[0]!.series.error_rate?.lastPollAt).toBe(T0);
  });

  it('says a phase move made through the rollout store, once', async () => {
    const { clock, rollout, loop, events } = await loopOn();
    loop.start();
    await clock.advance(5_000);
    await rollout.update((state) => promoted(state, clock.now(), 'alice@bastion', 2));
    await clock.advance(5_000);
    const moves = events.filter((e) => e.kind === 'move');
    expect(moves).toEqual([{ at: T0 + 5_000, level: 'info', kind: 'move', text: 'phase canary → full (promote) by alice@bastion' }]);
    expect(loop.view.rollout.phase).toBe(1);
  });

  it('fills the series from the source’s history when asked to backfill', async () => {
    const { clock, loop } = await loopOn({ backfillMs: 300_000 });
    loop.start();
    await clock.advance(200);
    const points = loop.view.series.error_rate?.groups[0]?.canary.toPoints() ?? [];
    expect(points.length).toBeGreaterThan(50);
    expect(points[0]!.t).toBeLessThanOrEqual(T0 - 290_000);
  });

  it('leaves no timer behind once stopped, and judges nothing after', async () => {
    const { clock, loop, events } = await loopOn();
    const views: LoopView[] = [];
    loop.onView((v) => views.push(v));
    loop.start();
    await clock.advance(3_000);
    await loop.stop();
    expect(clock.pending).toBe(0);
    const seen = views.length;
    loop.settle();
    loop.settleSoon();
    loop.start();
    await clock.advance(TURNS_BAD_MS + 60_000);
    expect(views).toHaveLength(seen);
    expect(events.filter((e) => e.kind !== 'warm')).toEqual([]);
  });
});
