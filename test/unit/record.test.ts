import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScaledClock, VirtualClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { readRecording, Recorder } from '../../src/engine/record.js';
import { SeriesStore } from '../../src/engine/series.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { Metric, Profile } from '../../src/profile/types.js';
import { createReplaySource } from '../../src/sources/replay.js';
import { isSourceError, SourceError, type InstantRequest, type Source } from '../../src/sources/source.js';
import { testMetric, testProfile } from '../support/metric.js';

const T0 = Date.UTC(2026, 0, 1);

function metric(id: string, over: Partial<Metric> = {}): Metric {
  return testMetric({ id, title: id, source: 'live', query: `query_${id}`, unit: 'ratio', intervalMs: 60_000, capacity: 200, ...over });
}

function profileOf(metrics: Metric[], source: string): Profile {
  return testProfile(
    metrics.map((m) => ({ ...m, source })),
    {
      name: 'checkout-v2',
      title: 'Checkout v2',
      sources: { [source]: source === 'replay' ? { type: 'replay', file: 'x' } : { type: 'prometheus', url: 'http://127.0.0.1:9' } },
      defaults: { intervalMs: 60_000 },
    },
  );
}

/** fakeSource: a test double of the Source interface standing in for a live system to record. */
function fakeSource(clock: VirtualClock, answer: (req: InstantRequest, minute: number) => SeriesSet): Source {
  return {
    id: 'live',
    type: 'prometheus',
    async instant(req) {
      return answer(req, Math.round((clock.now() - T0) / 60_000));
    },
    async close() {},
  };
}

const METRICS = [
  metric('error_rate', { select: { track: 'canary' }, baseline: { kind: 'select', labels: { track: 'stable' } } }),
  metric('latency', { split: 'endpoint' }),
];

/** Ten minutes of a canary: error rate climbing, one endpoint's latency, an outage at minute 4, no data at 6. */
function liveAnswer(req: InstantRequest, minute: number): SeriesSet {
  if (minute === 4) throw new SourceError('http', 'HTTP 503 (127.0.0.1:9)');
  if (minute === 6) return { series: [] };
  if (req.metric.id === 'error_rate') {
    return {
      series: [
        { labels: { track: 'canary' }, points: [{ t: req.time, v: 0.001 * minute }] },
        { labels: { track: 'stable' }, points: [{ t: req.time, v: 0.001 }] },
      ],
    };
  }
  return {
    series: [
      { labels: { endpoint: '/farms' }, points: [{ t: req.time, v: 0.1 + minute / 100 }] },
      { labels: { endpoint: '/orders' }, points: [{ t: req.time, v: 0.2 }] },
    ],
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function recordTenMinutes(file: string): Promise<SeriesStore> {
  const clock = new VirtualClock(T0);
  const profile = profileOf(METRICS, 'live');
  const store = new SeriesStore(profile);
  const recorder = await Recorder.open(file, { profile: profile.name, startedAt: clock.now() });
  const poller = new Poller({ profile, sources: new Map([['live', fakeSource(clock, liveAnswer)]]), store, clock, recorder, jitter: 0 });
  poller.start();
  await clock.advance(9 * 60_000);
  await poller.stop();
  await recorder.close();
  return store;
}

describe('recording and replaying', () => {
  it('replays a recording into the same samples, no-data answers and errors that were recorded', async () => {
    const file = join(dir, 'run.jsonl');
    const live = await recordTenMinutes(file);
    const recording = await readRecording(file);
    expect(recording).toMatchObject({ profile: 'checkout-v2', startedAt: T0, problems: [] });

    const clock = new VirtualClock(recording.startedAt);
    const profile = profileOf(METRICS, 'replay');
    const store = new SeriesStore(profile);
    const seen: Array<{ minute: number; errors: number; nodata: number }> = [];
    const replay = createReplaySource('replay', file);
    // Reading the file is real I/O, which a virtual clock does not wait for.
    await replay.recording();
    const poller = new Poller({ profile, sources: new Map([['replay', replay]]), store, clock, jitter: 0 });
    poller.start();
    for (let minute = 0; minute <= 9; minute++) {
      await clock.advance(minute === 0 ? 0 : 60_000);
      const m = store.snapshot().error_rate!;
      seen.push({ minute, errors: m.consecutiveErrors, nodata: m.consecutiveNoData });
    }
    await poller.stop();

    const replayed = store.snapshot();
    for (const id of ['error_rate', 'latency']) {
      expect(replayed[id]!.groups).toEqual(live.snapshot()[id]!.groups);
    }
    expect(replayed.latency!.groups.map((g) => g.key)).toEqual(['/farms', '/orders']);
    // Minute 5 was never polled: the poller backed off after the outage at minute 4.
    expect(replayed.error_rate!.groups[0]!.baseline).toHaveLength(7);
    expect(seen[4]).toEqual({ minute: 4, errors: 1, nodata: 0 });
    expect(seen[6]).toEqual({ minute: 6, errors: 0, nodata: 1 });
    expect(replayed.error_rate!.lastError?.reason).toBe('HTTP 503 (127.0.0.1:9)');
  });

  it('writes one JSON object per line after a header with the profile and the start time', async () => {
    const file = join(dir, 'run.jsonl');
    await recordTenMinutes(file);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ recording: 'rollcall', version: 1, profile: 'checkout-v2', startedAt: T0 });
    expect(lines).toContainEqual({ t: T0 + 60_000, metric: 'error_rate', track: 'canary', group: '', v: 0.001 });
    expect(lines).toContainEqual({ t: T0 + 60_000, metric: 'latency', track: 'canary', group: '/orders', v: 0.2 });
    expect(lines).toContainEqual({ t: T0 + 240_000, metric: 'latency', track: 'canary', error: 'HTTP 503 (127.0.0.1:9)', kind: 'http' });
    expect(lines).toContainEqual({ t: T0 + 360_000, metric: 'latency', track: 'canary', nodata: true });
  });

  it('skips a torn last line and reports it, keeping everything before it', async () => {
    const file = join(dir, 'torn.jsonl');
    await writeFile(
      file,
      `{"recording":"rollcall","version":1,"profile":"p","startedAt":${T0}}\n` +
        `{"t":${T0},"metric":"m","track":"canary","group":"","v":1}\n` +
        `{"t":${T0 + 5_000},"metric":"m","track":"canary","gro`,
    );
    const recording = await readRecording(file);
    expect(recording.entries).toEqual([{ t: T0, metric: 'm', track: 'canary', group: '', v: 1 }]);
    expect(recording.problems).toEqual([`${file}:3: torn last line skipped`]);
  });

  it('lists the first ten bad lines and counts the rest, keeping every good line', async () => {
    const file = join(dir, 'noisy.jsonl');
    let text = `{"recording":"rollcall","version":1,"profile":"p","startedAt":${T0}}\n`;
    for (let i = 0; i < 15; i++) text += `garbage ${i}\n{"t":${T0 + i},"metric":"m","v":${i}}\n`;
    await writeFile(file, text);
    const recording = await readRecording(file);
    expect(recording.entries).toHaveLength(15);
    expect(recording.entries[0]).toEqual({ t: T0, metric: 'm', track: 'canary', group: '', v: 0 });
    expect(recording.problems).toHaveLength(11);
    expect(recording.problems[0]).toBe(`${file}:2: not JSON; line skipped`);
    expect(recording.problems[10]).toBe(`${file}: 5 more lines skipped`);
  });

  it('refuses a file that is not a recording, saying where', async () => {
    const file = join(dir, 'profile.yaml');
    await writeFile(file, 'name: checkout\n');
    await expect(readRecording(file)).rejects.toThrow(`${file}:1: not a rollcall recording (the first line is not a recording header)`);
    await expect(readRecording(join(dir, 'missing.jsonl'))).rejects.toThrow(
      `cannot read recording ${join(dir, 'missing.jsonl')}: no such file or directory`,
    );
  });

  it('appends a second session to an existing recording and reads both', async () => {
    const file = join(dir, 'run.jsonl');
    for (const start of [T0, T0 + 3_600_000]) {
      const recorder = await Recorder.open(file, { profile: 'p', startedAt: start });
      recorder.samples('m', 'canary', new Map([['', [{ t: start, v: 1 }]]]));
      await recorder.close();
    }
    const recording = await readRecording(file);
    expect(recording.startedAt).toBe(T0);
    expect(recording.entries.map((e) => e.t)).toEqual([T0, T0 + 3_600_000]);
  });

  it('reports a failed write once and never throws into the poller', async () => {
    const problems: string[] = [];
    const recorder = await Recorder.open('/dev/full', { profile: 'p', startedAt: T0 }, { onProblem: (m) => problems.push(m) });
    for (let i = 0; i < 100; i++) recorder.samples('m', 'canary', new Map([['', [{ t: T0 + i, v: i }]]]));
    recorder.error('m', 'canary', 'HTTP 500', T0);
    await recorder.close();
    expect(problems).toEqual(['recording to /dev/full stopped: no space left on device']);
    expect(recorder.problem).toBe(problems[0]);
  });

  it('refuses to start recording where the file cannot be created', async () => {
    const file = join(dir, 'no', 'such', 'dir', 'run.jsonl');
    await expect(Recorder.open(file, { profile: 'p', startedAt: T0 })).rejects.toThrow(`cannot record to ${file}: no such file or directory`);
  });

  it('answers an instant query with the value at or just before the time, and a range with the points in it', async () => {
    const file = join(dir, 'run.jsonl');
    await recordTenMinutes(file);
    const source = createReplaySource('replay', file);
    const m = { ...METRICS[1]!, source: 'replay' };
    const signal = new AbortController().signal;
    const at = await source.instant({ metric: m, query: m.query, time: T0 + 150_000, signal });
    expect(at.series).toEqual([
      { labels: { endpoint: '/farms' }, points: [{ t: T0 + 120_000, v: 0.1 + 2 / 100 }] },
      { labels: { endpoint: '/orders' }, points: [{ t: T0 + 120_000, v: 0.2 }] },
    ]);
    const range = await source.range!({ metric: m, query: m.query, start: T0 + 60_000, end: T0 + 180_000, stepMs: 60_000, signal });
    expect(range.series[0]!.points.map((p) => (p.t - T0) / 60_000)).toEqual([1, 2, 3]);
    const failed = await source.instant({ metric: m, query: m.query, time: T0 + 250_000, signal }).catch((e: unknown) => e);
    expect(isSourceError(failed) && { kind: failed.kind, reason: failed.reason }).toEqual({ kind: 'http', reason: 'HTTP 503 (127.0.0.1:9)' });
    const before = await source.instant({ metric: m, query: m.query, time: T0 - 1, signal });
    expect(before.series).toEqual([]);
  });

  it('reports a missing recording as the reason every replayed metric fails', async () => {
    const file = join(dir, 'gone.jsonl');
    const source = createReplaySource('replay', file);
    const m = { ...METRICS[0]!, source: 'replay' };
    await expect(source.instant({ metric: m, query: m.query, time: T0, signal: new AbortController().signal })).rejects.toThrow(
      `cannot read recording ${file}: no such file or directory`,
    );
  });

  it('replays an hour in a minute at speed 60 on a scaled clock', async () => {
    const file = join(dir, 'hour.jsonl');
    const recorder = await Recorder.open(file, { profile: 'checkout-v2', startedAt: T0 });
    for (let minute = 0; minute <= 60; minute++) {
      recorder.samples('error_rate', 'canary', new Map([['', [{ t: T0 + minute * 60_000, v: minute / 1_000 }]]]));
    }
    await recorder.close();

    const recording = await readRecording(file);
    // The real seconds pass on a virtual base clock so the test does not wait a minute.
    const base = new VirtualClock(0);
    const clock = new ScaledClock(recording.startedAt, 60, base);
    const profile = profileOf([metric('error_rate')], 'replay');
    const store = new SeriesStore(profile);
    const replay = createReplaySource('replay', file);
    await replay.recording();
    const poller = new Poller({ profile, sources: new Map([['replay', replay]]), store, clock, jitter: 0 });
    poller.start();
    await base.advance(30_000);
    expect(clock.now()).toBe(T0 + 30 * 60_000);
    expect(store.snapshot().error_rate!.groups[0]!.canary.toPoints().at(-1)).toEqual({ t: T0 + 30 * 60_000, v: 0.03 });
    await base.advance(30_000);
    await poller.stop();
    const points = store.snapshot().error_rate!.groups[0]!.canary.toPoints();
    expect(points).toHaveLength(61);
    expect(points.at(-1)).toEqual({ t: T0 + 60 * 60_000, v: 0.06 });
  });
});
