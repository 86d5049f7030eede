import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { Metric, Profile, SourceConfig } from '../../src/profile/types.js';
import { SourceError, type InstantRequest, type RangeRequest, type Source } from '../../src/sources/source.js';
import { testMetric, testProfile } from '../support/metric.js';

const T0 = Date.UTC(2026, 0, 1);

function metric(id: string, over: Partial<Metric> = {}): Metric {
  return testMetric({ id, title: id, source: 'a', query: `query_${id}`, unit: 'ratio', intervalMs: 10_000, capacity: 100, ...over });
}

function profileOf(metrics: Metric[], sources: Record<string, Partial<SourceConfig>> = { a: {}, b: {} }): Profile {
  const configs: Record<string, SourceConfig> = {};
  for (const [id, over] of Object.entries(sources)) {
    configs[id] = { type: 'prometheus', url: 'http://127.0.0.1:9', ...over } as SourceConfig;
  }
  return testProfile(metrics, { sources: configs, defaults: { intervalMs: 10_000 } });
}

interface Call {
  at: number;
  metric: string;
  query: unknown;
  signal: AbortSignal;
}

/**
 * fakeSource: a test double of the Source interface, for scheduling behaviour only (the real
 * sources are tested against real servers). `answer` decides what each request gets.
 */
function fakeSource(
  id: string,
  clock: VirtualClock,
  answer: (req: InstantRequest, call: number) => Promise<SeriesSet> | SeriesSet,
  range?: (req: RangeRequest) => Promise<SeriesSet> | SeriesSet,
): Source & { calls: Call[]; active: number; maxActive: number } {
  const source = {
    id,
    type: 'prometheus' as const,
    calls: [] as Call[],
    active: 0,
    maxActive: 0,
    async instant(req: InstantRequest) {
      source.calls.push({ at: clock.now(), metric: req.metric.id, query: req.query, signal: req.signal });
      source.active++;
      source.maxActive = Math.max(source.maxActive, source.active);
      try {
        return await answer(req, source.calls.length);
      } finally {
        source.active--;
      }
    },
    ...(range && { range: async (req: RangeRequest) => range(req) }),
    async close() {},
  };
  return source;
}

const value = (v: number, t: number, labels: Record<string, string> = {}): SeriesSet => ({ series: [{ labels, points: [{ t, v }] }] });

function setup(metrics: Metric[], sources: Source[], sourceConfigs?: Record<string, Partial<SourceConfig>>, clock = new VirtualClock(T0)) {
  const profile = profileOf(metrics, sourceConfigs);
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources: new Map(sources.map((s) => [s.id, s])), store, clock, jitter: 0 });
  return { profile, store, poller, clock };
}

const times = (calls: Call[], metricId?: string) =>
  calls.filter((c) => metricId === undefined || c.metric === metricId).map((c) => (c.at - T0) / 1_000);

describe('the poller', () => {
  it('polls each metric on its own interval', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => value(1, req.time));
    const { poller } = setup([metric('fast', { intervalMs: 10_000 }), metric('slow', { intervalMs: 30_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(60_000);
    expect(times(a.calls, 'fast')).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(times(a.calls, 'slow')).toEqual([0, 30, 60]);
    await poller.stop();
  });

  it('spreads first polls over the first tenth of the interval, then keeps the interval exact', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => value(1, req.time));
    const profile = profileOf([metric('early'), metric('late')]);
    const draws = [0, 0.55];
    const poller = new Poller({ profile, sources: new Map([['a', a]]), store: new SeriesStore(profile), clock, random: () => draws.shift() ?? 0 });
    poller.start();
    await clock.advance(40_000);
    expect(times(a.calls, 'early')).toEqual([0, 10, 20, 30, 40]);
    // 0.55 of the default jitter (a tenth of 10 s) is 550 ms, started in its 100 ms slot.
    expect(times(a.calls, 'late')).toEqual([0.5, 10.5, 20.5, 30.5]);
    await poller.stop();
  });

  it('wakes once for all the metrics that share a start slot', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => value(1, req.time));
    const { poller } = setup(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => metric(id)), [a], { a: { concurrency: 8 } }, clock);
    poller.start();
    expect(clock.pending).toBe(1);
    await clock.advance(10_000);
    expect(a.calls).toHaveLength(12);
    expect(clock.pending).toBe(1);
    await poller.stop();
  });

  it('skips a tick while the previous query for that metric is still running', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, async (req) => {
      await clock.sleep(25_000);
      return value(1, req.time);
    });
    const { poller } = setup([metric('m', { timeoutMs: 60_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(60_000);
    // Ticks at 10 s and 20 s find the query from 0 s still running; at 30 s it has answered.
    expect(times(a.calls)).toEqual([0, 30, 60]);
    expect(a.maxActive).toBe(1);
    await poller.stop();
  });

  it('keeps another source on schedule while one source hangs', async () => {
    const clock = new VirtualClock(T0);
    const hung = fakeSource('a', clock, () => new Promise<SeriesSet>(() => {}));
    const healthy = fakeSource('b', clock, (req) => value(2, req.time));
    const { poller, store } = setup([metric('stuck', { source: 'a' }), metric('fine', { source: 'b' })], [hung, healthy], undefined, clock);
    poller.start();
    await clock.advance(30_000);
    expect(times(healthy.calls)).toEqual([0, 10, 20, 30]);
    const snap = store.snapshot();
    expect(snap.fine!.groups[0]!.canary.toPoints().map((p) => (p.t - T0) / 1_000)).toEqual([0, 10, 20, 30]);
    expect(snap.fine!.consecutiveErrors).toBe(0);
    // The hung source ignores its signal; the poller gives up on it at the timeout all the same.
    expect(snap.stuck!.lastError?.reason).toBe('timed out after 5s');
    expect(snap.stuck!.consecutiveErrors).toBeGreaterThanOrEqual(1);
    await poller.stop();
  });

  it('backs off after failures, doubling the wait, and returns to the interval on success', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req, call) => {
      if (call <= 4) throw new SourceError('http', 'HTTP 503');
      return value(1, req.time);
    });
    const { poller, store } = setup([metric('m')], [a], undefined, clock);
    poller.start();
    await clock.advance(330_000);
    // Fails at 0, 20, 60, 100 (waits 20, 40, then 80 capped at four intervals: 40 s), answers at
    // 140, then every 10 s again.
    expect(times(a.calls)).toEqual([0, 20, 60, 100, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240, 250, 260, 270, 280, 290, 300, 310, 320, 330]);
    expect(store.snapshot().m!.consecutiveErrors).toBe(0);
    await poller.stop();
  });

  it('never waits longer than four intervals between attempts at a failing source, nor over five minutes', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => {
      throw new SourceError('unreachable', 'connection refused (127.0.0.1:9)');
    });
    const { poller } = setup([metric('m', { intervalMs: 60_000 }), metric('slow', { intervalMs: 120_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(1_500_000);
    expect(times(a.calls, 'm')).toEqual([0, 120, 360, 600, 840, 1_080, 1_320]);
    expect(times(a.calls, 'slow')).toEqual([0, 240, 540, 840, 1_140, 1_440]);
    await poller.stop();
  });

  it('retries a 2 s metric at least every 30 s, so a fixed source is seen within 30 s, then every interval', async () => {
    const clock = new VirtualClock(T0);
    let fixedAt = 100_000;
    const a = fakeSource('a', clock, (req) => {
      if (clock.now() - T0 < fixedAt) throw new SourceError('exit', 'exit 1: no cluster (kubectl)');
      return value(1, req.time);
    });
    const { poller, store } = setup([metric('m', { intervalMs: 2_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(124_000);
    // 0, then waits of 4, 8, 16 and 30 s (the cap); fixed at 100 s, seen at 118 s, then every 2 s.
    expect(times(a.calls)).toEqual([0, 4, 12, 28, 58, 88, 118, 120, 122, 124]);
    expect(store.snapshot().m!.consecutiveErrors).toBe(0);
    fixedAt = Infinity;
    await poller.stop();
  });

  it('returns every metric on a source to its interval as soon as the source answers one of them', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => {
      if (clock.now() - T0 < 125_000) throw new SourceError('unreachable', 'connection refused (127.0.0.1:9)');
      return value(1, req.time);
    });
    const { poller } = setup([metric('fast', { intervalMs: 2_000 }), metric('slow', { intervalMs: 20_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(200_000);
    // fast answers at 148 s; slow, backing off until 200 s, is asked again at its next grid point.
    expect(times(a.calls, 'fast').slice(0, 8)).toEqual([0, 4, 12, 28, 58, 88, 118, 148]);
    expect(times(a.calls, 'slow')).toEqual([0, 40, 120, 160, 180, 200]);
    await poller.stop();
  });

  it('keeps at most `concurrency` queries in flight per source, and other sources unaffected', async () => {
    const clock = new VirtualClock(T0);
    const slow = async (req: InstantRequest) => {
      await clock.sleep(3_000);
      return value(1, req.time);
    };
    const a = fakeSource('a', clock, slow);
    const b = fakeSource('b', clock, slow);
    const metrics = [
      ...['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((id) => metric(id, { source: 'a' })),
      ...['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((id) => metric(id, { source: 'b' })),
    ];
    const { poller, store } = setup(metrics, [a, b], { a: { concurrency: 2 }, b: {} }, clock);
    poller.start();
    await clock.advance(9_500);
    expect(a.maxActive).toBe(2);
    expect(b.maxActive).toBe(4);
    // Six queries two at a time, three seconds each: all answered within nine seconds.
    expect(times(a.calls)).toEqual([0, 0, 3, 3, 6, 6]);
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) expect(store.snapshot()[id]!.lastGoodAt).toBeDefined();
    await poller.stop();
  });

  it('aborts in-flight requests on stop() and resolves without recording them as errors', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => new Promise<SeriesSet>((_, reject) => {
      req.signal.addEventListener('abort', () => reject(new SourceError('aborted', 'aborted')));
    }));
    const { poller, store } = setup([metric('m', { timeoutMs: 60_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(1_000);
    expect(a.calls).toHaveLength(1);
    await poller.stop();
    expect(a.calls[0]!.signal.aborted).toBe(true);
    expect(store.snapshot().m!.consecutiveErrors).toBe(0);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(a.calls).toHaveLength(1);
  });

  it('stops queries still waiting for a slot without ever sending them', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => new Promise<SeriesSet>(() => {}));
    const { poller, store } = setup([metric('m1'), metric('m2'), metric('m3')], [a], { a: { concurrency: 1 } }, clock);
    poller.start();
    await clock.advance(1_000);
    expect(a.calls).toHaveLength(1);
    await poller.stop();
    await clock.advance(60_000);
    expect(a.calls).toHaveLength(1);
    for (const id of ['m1', 'm2', 'm3']) expect(store.snapshot()[id]!.consecutiveErrors).toBe(0);
  });

  it('lets the next query have the slot when a hung one reaches its deadline', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => (req.metric.id === 'hung' ? new Promise<SeriesSet>(() => {}) : value(1, req.time)));
    const { poller, store } = setup([metric('hung'), metric('next')], [a], { a: { concurrency: 1 } }, clock);
    await Promise.all([poller.pollOnce(), clock.advance(6_000)]);
    expect(store.snapshot().hung!.lastError?.reason).toBe('timed out after 5s');
    expect(store.snapshot().next!.groups[0]!.canary.toPoints()).toEqual([{ t: T0 + 6_000, v: 1 }]);
  });

  it('resolves stop() promptly even when a source ignores its abort signal', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => new Promise<SeriesSet>(() => {}));
    const { poller } = setup([metric('m', { timeoutMs: 60_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(1_000);
    await expect(poller.stop()).resolves.toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('abandons a query that ignores its signal a moment after the metric timeout, leaving the source its own say first', async () => {
    const clock = new VirtualClock(T0);
    const hung = fakeSource('a', clock, () => new Promise<SeriesSet>(() => {}));
    const polite = fakeSource('b', clock, async (req) => {
      await clock.sleep(req.metric.timeoutMs);
      throw new SourceError('timeout', 'timed out after 5s (10.0.0.7:9090)');
    });
    const { poller, store } = setup([metric('hung', { source: 'a' }), metric('polite', { source: 'b' })], [hung, polite], undefined, clock);
    void poller.pollOnce();
    await clock.advance(5_000);
    expect(store.snapshot().polite!.lastError?.reason).toBe('timed out after 5s (10.0.0.7:9090)');
    expect(store.snapshot().hung!.lastError).toBeUndefined();
    await clock.advance(1_000);
    expect(store.snapshot().hung!.lastError).toEqual({ at: T0 + 6_000, reason: 'timed out after 5s' });
  });

  it('counts consecutive errors in the store with the reason and the time', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => {
      throw new SourceError('http', 'HTTP 500 (127.0.0.1:9)');
    });
    const { poller, store } = setup([metric('m')], [a], undefined, clock);
    await poller.pollOnce();
    await clock.advance(1_000);
    await poller.pollOnce();
    await clock.advance(1_000);
    await poller.pollOnce();
    const m = store.snapshot().m!;
    expect(m.consecutiveErrors).toBe(3);
    expect(m.lastError).toEqual({ at: T0 + 2_000, reason: 'HTTP 500 (127.0.0.1:9)' });
    expect(m.lastPollAt).toBe(T0 + 2_000);
    expect(m.lastGoodAt).toBeUndefined();
  });

  it('clears the error count when the source recovers, keeping the last error for the record', async () => {
    const clock = new VirtualClock(T0);
    let up = false;
    const a = fakeSource('a', clock, (req) => {
      if (!up) throw new SourceError('unreachable', 'connection refused (127.0.0.1:9)');
      return value(0.5, req.time);
    });
    const { poller, store } = setup([metric('m')], [a], undefined, clock);
    poller.start();
    await clock.advance(30_000);
    expect(store.snapshot().m!.consecutiveErrors).toBe(2);
    up = true;
    await clock.advance(60_000);
    const m = store.snapshot().m!;
    expect(m.consecutiveErrors).toBe(0);
    expect(m.lastGoodAt).toBe(clock.now());
    expect(m.lastError?.reason).toBe('connection refused (127.0.0.1:9)');
    expect(m.groups[0]!.canary.toPoints().at(-1)).toEqual({ t: clock.now(), v: 0.5 });
    await poller.stop();
  });

  it('counts an answer with no series as no data, not as an error', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => ({ series: [] }));
    const { poller, store } = setup([metric('m')], [a], undefined, clock);
    await poller.pollOnce();
    await poller.pollOnce();
    const m = store.snapshot().m!;
    expect(m.consecutiveNoData).toBe(2);
    expect(m.consecutiveErrors).toBe(0);
    expect(m.lastPollAt).toBe(T0);
    expect(m.lastGoodAt).toBeUndefined();
  });

  it('turns an answer with several series and no select, reduce or split into an error naming the fix', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => ({
      series: ['a', 'b', 'c'].map((pod) => ({ labels: { pod }, points: [{ t: req.time, v: 1 }] })),
    }));
    const { poller, store } = setup([metric('latency')], [a], undefined, clock);
    await poller.pollOnce();
    expect(store.snapshot().latency!.lastError?.reason).toBe('3 series answered; add select:, reduce: or split: to metric latency');
  });

  it('polls a baseline query on its own source, and a `select` baseline from the canary answer', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => ({
      series: [
        { labels: { track: 'canary' }, points: [{ t: req.time, v: 0.02 }] },
        { labels: { track: 'stable' }, points: [{ t: req.time, v: 0.01 }] },
      ],
    }));
    const b = fakeSource('b', clock, (req) => value(req.query === 'legacy' ? 7 : -1, req.time));
    const metrics = [
      metric('errors', { select: { track: 'canary' }, baseline: { kind: 'select', labels: { track: 'stable' } } }),
      metric('latency', { source: 'b', query: 'new', baseline: { kind: 'query', query: 'legacy', source: 'b' } }),
    ];
    const { poller, store } = setup(metrics, [a, b], undefined, clock);
    await poller.pollOnce();
    expect(a.calls).toHaveLength(1);
    expect(b.calls.map((c) => c.query).sort()).toEqual(['legacy', 'new']);
    const snap = store.snapshot();
    expect(JSON.parse(JSON.stringify(snap.errors!.groups))).toEqual([{ key: '', canary: [{ t: T0, v: 0.02 }], baseline: [{ t: T0, v: 0.01 }] }]);
    expect(snap.latency!.groups[0]!.baseline.toPoints()).toEqual([{ t: T0, v: 7 }]);
  });

  it('reports a source that throws something unexpected in one line, without the profile secrets', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, () => {
      throw new TypeError('cannot read https://ops:hunter22@10.0.0.7/api with token s3cr3t-t0ken\n    at parse (x.js:1:1)');
    });
    const profile = { ...profileOf([metric('m')]), secrets: ['s3cr3t-t0ken'] };
    const store = new SeriesStore(profile);
    await new Poller({ profile, sources: new Map([['a', a]]), store, clock }).pollOnce();
    expect(store.snapshot().m!.lastError?.reason).toBe('source failed: cannot read https://10.0.0.7/api with token ***');
  });

  it('names a source missing from the registry as the reason', async () => {
    const clock = new VirtualClock(T0);
    const { poller, store } = setup([metric('m', { source: 'b' })], [], undefined, clock);
    await poller.pollOnce();
    expect(store.snapshot().m!.lastError?.reason).toBe('source b is not available');
  });

  it('backfills history from sources with range queries so charts are full at once', async () => {
    const clock = new VirtualClock(T0);
    let asked: RangeRequest | undefined;
    const a = fakeSource('a', clock, (req) => value(9, req.time), (req) => {
      asked = req;
      const points = [];
      for (let t = req.start; t <= req.end; t += req.stepMs) points.push({ t, v: 1 });
      return { series: [{ labels: {}, points }] };
    });
    const b = fakeSource('b', clock, (req) => value(2, req.time));
    const { poller, store } = setup([metric('m'), metric('no_history', { source: 'b' })], [a, b], undefined, clock);
    await poller.backfill(600_000);
    expect(asked).toMatchObject({ start: T0 - 600_000, end: T0, stepMs: 10_000 });
    const snap = store.snapshot();
    expect(snap.m!.groups[0]!.canary).toHaveLength(61);
    // History alone says nothing about the health of live polls.
    expect(snap.m!.lastPollAt).toBeUndefined();
    expect(snap.no_history!.groups).toEqual([]);
    await poller.pollOnce();
    expect(store.snapshot().m!.groups[0]!.canary.toPoints().at(-1)).toEqual({ t: T0, v: 9 });
    expect(store.snapshot().m!.groups[0]!.canary).toHaveLength(61);
  });

  it('polls everything at once on pollNow(), except what is already in flight', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, async (req) => {
      if (req.metric.id === 'slow') await clock.sleep(8_000);
      return value(1, req.time);
    });
    const { poller } = setup([metric('quick'), metric('slow', { timeoutMs: 9_000 })], [a], undefined, clock);
    poller.start();
    await clock.advance(4_000);
    poller.pollNow();
    await clock.advance(0);
    expect(times(a.calls, 'quick')).toEqual([0, 4]);
    expect(times(a.calls, 'slow')).toEqual([0]);
    await clock.advance(16_000);
    // The schedule carries on as it was.
    expect(times(a.calls, 'quick')).toEqual([0, 4, 10, 20]);
    expect(times(a.calls, 'slow')).toEqual([0, 10, 20]);
    await poller.stop();
  });

  it('polls nothing before start() and nothing after stop()', async () => {
    const clock = new VirtualClock(T0);
    const a = fakeSource('a', clock, (req) => value(1, req.time));
    const { poller } = setup([metric('m')], [a], undefined, clock);
    await clock.advance(60_000);
    expect(a.calls).toHaveLength(0);
    poller.start();
    await clock.advance(10_000);
    await poller.stop();
    poller.start();
    poller.pollNow();
    await poller.pollOnce();
    await clock.advance(60_000);
    expect(times(a.calls)).toEqual([60, 70]);
  });
});
