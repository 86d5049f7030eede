import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/engine/ring.js';
import { MAX_GROUPS, SeriesStore } from '../../src/engine/series.js';
import type { Point, Samples } from '../../src/engine/types.js';
import type { Metric, Profile } from '../../src/profile/types.js';
import { testMetric, testProfile } from '../support/metric.js';

function metric(id: string, over: Partial<Metric> = {}): Metric {
  return testMetric({ id, title: id, source: 'prom', query: `query_${id}`, unit: 'ratio', intervalMs: 5_000, capacity: 5, ...over });
}

function profileOf(metrics: Metric[]): Profile {
  return testProfile(metrics, {
    sources: {
      prom: { type: 'prometheus', url: 'http://127.0.0.1:9' },
      db: { type: 'postgres', url: 'postgres://127.0.0.1:9/x' },
    },
    defaults: { intervalMs: 5_000 },
  });
}

const one = (points: Point[], key = ''): Map<string, Point[]> => new Map([[key, points]]);
const pts = (...ts: number[]): Point[] => ts.map((t) => ({ t, v: t / 10 }));
const times = (samples: Samples) => Array.from(samples.times());

describe('the ring buffer', () => {
  it('keeps only the newest points once full', () => {
    const ring = new Ring(3);
    for (let t = 1; t <= 10; t++) ring.merge([{ t, v: t }]);
    expect(times(ring.samples())).toEqual([8, 9, 10]);
    expect(ring.size).toBe(3);
  });

  it('merges late points into time order and lets a repeated timestamp replace the old value', () => {
    const ring = new Ring(10);
    ring.merge(pts(50, 60));
    ring.merge([{ t: 30, v: 3 }, { t: 40, v: 4 }, { t: 50, v: 99 }, { t: 10, v: 1 }]);
    expect(ring.samples().toPoints()).toEqual([{ t: 10, v: 1 }, { t: 30, v: 3 }, { t: 40, v: 4 }, { t: 50, v: 99 }, { t: 60, v: 6 }]);
  });

  it('ignores a late point older than everything a full ring holds', () => {
    const ring = new Ring(2);
    ring.merge(pts(10, 20));
    const before = ring.samples();
    expect(ring.merge(pts(5))).toBe(false);
    expect(ring.samples()).toBe(before);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow('ring capacity must be a positive integer, got 0');
  });
});

describe('the series store', () => {
  it('holds at most the capacity per metric and track, however long it runs', () => {
    const store = new SeriesStore(profileOf([metric('m', { capacity: 5 })]));
    for (let t = 1; t <= 1_000; t++) store.putPoints('m', 'canary', one([{ t, v: t }]), t, { source: 'prom' });
    expect(times(store.snapshot().m!.groups[0]!.canary)).toEqual([996, 997, 998, 999, 1_000]);
  });

  it('keeps time order when backfilled history arrives after live points, without duplicates', () => {
    const store = new SeriesStore(profileOf([metric('m', { capacity: 10 })]));
    store.putPoints('m', 'canary', one(pts(70, 80)), 80, { source: 'prom' });
    store.putHistory('m', 'canary', one(pts(30, 40, 50, 60, 70)));
    expect(times(store.snapshot().m!.groups[0]!.canary)).toEqual([30, 40, 50, 60, 70, 80]);
  });

  it('returns the same snapshot object until something changes, and notifies after each change', () => {
    const store = new SeriesStore(profileOf([metric('a'), metric('b')]));
    let notified = 0;
    const unsubscribe = store.subscribe(() => notified++);
    const first = store.snapshot();
    expect(store.snapshot()).toBe(first);
    const version = store.version;
    store.putPoints('a', 'canary', one(pts(10)), 10, { source: 'prom' });
    expect(notified).toBe(1);
    expect(store.version).toBe(version + 1);
    const second = store.snapshot();
    expect(second).not.toBe(first);
    expect(second.a!.groups[0]!.canary.toPoints()).toEqual([{ t: 10, v: 1 }]);
    // An unchanged metric keeps its object, so a view can skip it.
    expect(second.b).toBe(first.b);
    unsubscribe();
    store.putNoData('a', 'canary', 20);
    expect(notified).toBe(1);
  });

  it('reports how long ago each source last answered with data, and never for a silent one', () => {
    const store = new SeriesStore(profileOf([metric('a'), metric('b', { source: 'db' })]));
    store.putPoints('a', 'canary', one(pts(1_000)), 1_000, { source: 'prom' });
    store.putError('b', 'canary', 'connection refused (127.0.0.1:9)', 2_000);
    expect(store.sourceAges(6_000)).toEqual({ prom: 5_000, db: undefined });
  });

  it('counts consecutive no-data answers and errors, and resets both on a good answer', () => {
    const store = new SeriesStore(profileOf([metric('m')]));
    store.putNoData('m', 'canary', 10);
    store.putNoData('m', 'canary', 20);
    expect(store.snapshot().m).toMatchObject({ consecutiveNoData: 2, consecutiveErrors: 0, lastPollAt: 20 });
    store.putError('m', 'canary', 'HTTP 502', 30);
    store.putError('m', 'canary', 'HTTP 502', 40);
    expect(store.snapshot().m).toMatchObject({ consecutiveErrors: 2, lastError: { at: 40, reason: 'HTTP 502' }, lastPollAt: 40 });
    store.putPoints('m', 'canary', one(pts(50)), 50, { source: 'prom' });
    expect(store.snapshot().m).toMatchObject({ consecutiveErrors: 0, consecutiveNoData: 0, lastGoodAt: 50, lastPollAt: 50 });
  });

  it('counts a failing baseline query against the metric and says it was the baseline', () => {
    const store = new SeriesStore(profileOf([metric('m')]));
    store.putPoints('m', 'canary', one(pts(10)), 10, { source: 'prom' });
    store.putError('m', 'baseline', 'timed out after 5s', 11);
    const m = store.snapshot().m!;
    expect(m.consecutiveErrors).toBe(1);
    expect(m.lastError).toEqual({ at: 11, reason: 'baseline: timed out after 5s' });
    expect(m.lastGoodAt).toBe(10);
  });

  it('keeps split groups in key order and at most twenty of them, saying so', () => {
    const store = new SeriesStore(profileOf([metric('m', { split: 'endpoint' })]));
    const groups = new Map<string, Point[]>();
    for (let i = 24; i >= 0; i--) groups.set(`/e${String(i).padStart(2, '0')}`, pts(10));
    store.putPoints('m', 'canary', groups, 10, { source: 'prom' });
    const m = store.snapshot().m!;
    expect(m.groups).toHaveLength(MAX_GROUPS);
    expect(m.groups[0]!.key < m.groups[1]!.key).toBe(true);
    expect(m.note).toBe('more than 20 endpoint groups; only the first 20 are kept');
  });

  it('gives every split group the shared baseline when the baseline has no split label', () => {
    const store = new SeriesStore(profileOf([metric('m', { split: 'endpoint' })]));
    store.putPoints('m', 'canary', new Map([['/a', pts(10)], ['/b', pts(10)]]), 10, { source: 'prom' });
    store.putPoints('m', 'baseline', one([{ t: 10, v: 0.5 }]), 10, { source: 'prom' });
    const m = store.snapshot().m!;
    expect(m.groups.map((g) => g.key)).toEqual(['/a', '/b']);
    expect(m.groups.map((g) => g.baseline.toPoints())).toEqual([[{ t: 10, v: 0.5 }], [{ t: 10, v: 0.5 }]]);
  });

  it('carries the note of the last answer and of failed history', () => {
    const store = new SeriesStore(profileOf([metric('m')]));
    store.putHistoryError('m', 'canary', 'HTTP 422: range too long');
    store.putPoints('m', 'canary', one(pts(10)), 10, { source: 'prom', note: '3 series; reduced by sum' });
    expect(store.snapshot().m!.note).toBe('3 series; reduced by sum; history unavailable: HTTP 422: range too long');
  });

  it('refuses to write a metric the profile does not have', () => {
    const store = new SeriesStore(profileOf([metric('m')]));
    expect(() => store.putNoData('nope', 'canary', 1)).toThrow('the series store has no metric "nope"');
  });
});
