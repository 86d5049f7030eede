import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { ScrapeSelector } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { shape } from '../../src/engine/shape.js';
import { instantFor, testMetric } from '../support/metric.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { buildProfile } from '../support/profile-builder.js';

// A real HTTP server plays the service's /metrics; each test sets what it exposes next.
let service: TestHttpServer;
let exposition = '';
let status = 200;
let hits = 0;

beforeAll(async () => {
  service = await startHttp((req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(status === 200 ? exposition : 'down for maintenance');
  });
});
afterAll(() => service.close());

let clock: VirtualClock;
let sources: Map<string, Source>;

function open(): Source {
  clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const profile = buildProfile({
    name: 'scrape-test',
    sources: { svc: { type: 'scrape', url: `${service.url}/metrics` } },
    metrics: { placeholder: { source: 'svc', query: { series: 'up' }, interval: '15s' } },
    phases: [{ name: 'canary', traffic: 10 }],
  });
  sources = createSources(profile, { clock });
  status = 200;
  hits = 0;
  return sources.get('svc')!;
}

afterEach(() => closeSources(sources));

function read(source: Source, query: ScrapeSelector, id = 'm'): Promise<SeriesSet> {
  const metric = testMetric({ id, source: 'svc', query });
  return source.instant(instantFor(metric, { time: clock.now() }));
}

const value = (set: SeriesSet) => set.series[0]?.points[0]?.v;

describe('the scrape source, reading a real /metrics over HTTP', () => {
  it('answers each gauge series its label matchers select on its own, regexes anchored, never their sum', async () => {
    const source = open();
    exposition = [
      '# TYPE inflight gauge',
      'inflight{track="canary",pod="a"} 3',
      'inflight{track="canary",pod="b"} 4',
      'inflight{track="canary-shadow",pod="c"} 100',
      'inflight{track="stable",pod="d"} 50',
    ].join('\n');
    const values = (set: SeriesSet) => set.series.map((s) => [s.labels.pod, s.points[0]!.v]);
    expect(values(await read(source, { series: 'inflight', match: { track: 'canary' } }))).toEqual([['a', 3], ['b', 4]]);
    // `~canary` must not match canary-shadow: the regex is anchored like PromQL's =~.
    expect(values(await read(source, { series: 'inflight', match: { track: '~canary|stable' } }, 'm2'))).toEqual([['a', 3], ['b', 4], ['d', 50]]);
    const set = await read(source, { series: 'inflight', match: { track: 'canary' } });
    expect(set.series[0]!.points[0]!.t).toBe(clock.now());
  });

  it('makes two gauge series where the metric expects one an error naming select, reduce and split, not their sum', async () => {
    const source = open();
    exposition = ['app_value{track="canary"} 0.02', 'app_value{track="canary",pod="b"} 0.04', 'app_value{track="stable"} 0.01'].join('\n');
    const query: ScrapeSelector = { series: 'app_value', match: { track: 'canary' } };
    const metric = testMetric({ id: 'error_rate', source: 'svc', query });
    const shaped = shape(await source.instant(instantFor(metric, { time: clock.now() })), metric, 'canary');
    expect(shaped).toEqual({ error: '2 series answered; add select:, reduce: or split: to metric error_rate' });
    // The profile's own choice then decides: the worst pod, or one pod.
    const worst = testMetric({ id: 'error_rate', source: 'svc', query, reduce: 'max' });
    const reduced = shape(await source.instant(instantFor(worst, { time: clock.now() })), worst, 'canary');
    expect('groups' in reduced && reduced.groups.get('')?.[0]?.v).toBe(0.04);
  });

  it('refuses a gauge ratio whose side matches several series', async () => {
    const source = open();
    exposition = ['used{pod="a"} 1', 'used{pod="b"} 2', 'capacity 10'].join('\n');
    await expect(read(source, { series: 'used', divideBy: { series: 'capacity' } })).rejects.toMatchObject({
      kind: 'query',
      reason: `2 series of gauge used match; a ratio needs one on each side: narrow match: (127.0.0.1:${service.port})`,
    });
  });

  it('reports an HTML page at the URL as an error, not as no data', async () => {
    const source = open();
    exposition = '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>';
    await expect(read(source, { series: 'up' })).rejects.toMatchObject({
      kind: 'parse',
      reason: `answered HTML, not the exposition format (127.0.0.1:${service.port})`,
    });
  });

  it('has no data on the first scrape of a rate, then gives the per-second rate between scrapes', async () => {
    const source = open();
    const selector: ScrapeSelector = { series: 'http_requests_total', match: { track: 'canary' }, mode: 'rate' };
    exposition = 'http_requests_total{track="canary"} 1000\nhttp_requests_total{track="stable"} 5000';
    const first = await read(source, selector);
    expect(first.series).toEqual([]);
    expect(first.warnings?.join()).toContain('first scrape');
    await clock.advance(10_000);
    exposition = 'http_requests_total{track="canary"} 1250\nhttp_requests_total{track="stable"} 9000';
    expect(value(await read(source, selector))).toBe(25);
  });

  it('treats a counter that drops as restarted from zero, for rate and increase alike', async () => {
    const source = open();
    const rate: ScrapeSelector = { series: 'jobs_total', mode: 'rate' };
    const increase: ScrapeSelector = { series: 'jobs_total', mode: 'increase' };
    const both = async () => [value(await read(source, rate, 'rate')), value(await read(source, increase, 'increase'))];
    exposition = 'jobs_total 100';
    await both();
    await clock.advance(10_000);
    exposition = 'jobs_total 150';
    expect(await both()).toEqual([5, 50]);
    await clock.advance(10_000);
    exposition = 'jobs_total 30';
    expect(await both()).toEqual([3, 30]);
  });

  it('counts a series that first appears between two scrapes from zero', async () => {
    const source = open();
    const selector: ScrapeSelector = { series: 'errors_total', mode: 'increase' };
    exposition = 'errors_total{code="500"} 4';
    await read(source, selector);
    await clock.advance(15_000);
    exposition = 'errors_total{code="500"} 5\nerrors_total{code="502"} 2';
    expect(value(await read(source, selector))).toBe(3);
  });

  it('interpolates a quantile from histogram bucket increases summed by le across pods', async () => {
    const source = open();
    const buckets = (pod: string, counts: number[]) =>
      ['0.1', '0.25', '0.5', '1', '+Inf'].map((le, i) => `rpc_seconds_bucket{track="canary",pod="${pod}",le="${le}"} ${counts[i]}`);
    const stable = ['0.1', '0.25', '0.5', '1', '+Inf'].map((le) => `rpc_seconds_bucket{track="stable",le="${le}"} 9999`);
    exposition = [...buckets('a', [5, 10, 15, 20, 20]), ...buckets('b', [5, 10, 15, 20, 20]), ...stable].join('\n');
    const p90: ScrapeSelector = { series: 'rpc_seconds', match: { track: 'canary' }, mode: 'quantile', quantile: 0.9 };
    const p50: ScrapeSelector = { ...p90, quantile: 0.5 };
    expect((await read(source, p90, 'p90')).series).toEqual([]);
    await read(source, p50, 'p50');
    await clock.advance(15_000);
    // Increases summed over both pods: ≤0.1 50, ≤0.25 80, ≤0.5 95, ≤1 100, +Inf 100.
    exposition = [...buckets('a', [30, 50, 62, 70, 70]), ...buckets('b', [30, 50, 63, 70, 70]), ...stable].join('\n');
    // p90: rank 90 lies in (0.25, 0.5], 10 of that bucket's 15 → 0.25 + 0.25 × 10/15.
    expect(value(await read(source, p90, 'p90'))).toBeCloseTo(0.25 + 0.25 * (10 / 15), 10);
    expect(value(await read(source, p50, 'p50'))).toBeCloseTo(0.1, 10);
  });

  it('divides by another series for a ratio, and has no data when both sides are 0', async () => {
    const source = open();
    const ratio: ScrapeSelector = {
      series: 'http_requests_total',
      match: { code: '~5..' },
      mode: 'rate',
      divideBy: { series: 'http_requests_total' },
    };
    const requests = (ok: number, notFound: number, err500: number, err503: number) =>
      [
        `http_requests_total{code="200"} ${ok}`,
        `http_requests_total{code="404"} ${notFound}`,
        `http_requests_total{code="500"} ${err500}`,
        `http_requests_total{code="503"} ${err503}`,
      ].join('\n');
    exposition = requests(90, 8, 1, 1);
    await read(source, ratio);
    await clock.advance(10_000);
    exposition = requests(180, 15, 3, 2);
    expect(value(await read(source, ratio))).toBeCloseTo(3 / 100, 12);
    await clock.advance(10_000);
    expect((await read(source, ratio)).series).toEqual([]);
  });

  it('gives a ratio the count behind it: the counter\'s increase between the same two scrapes', async () => {
    const source = open();
    const ratio: ScrapeSelector = { series: 'errors_total', mode: 'rate', divideBy: { series: 'requests_total' } };
    const metric = testMetric({ id: 'err', source: 'svc', query: ratio, samples: { query: 'requests_total', name: 'requests' } });
    const ask = async () => (await source.instant(instantFor(metric, { time: clock.now(), samples: 'requests_total' }))).series[0]?.points[0];
    exposition = 'errors_total 10\nrequests_total 1000';
    expect(await ask()).toBeUndefined();
    await clock.advance(15_000);
    exposition = 'errors_total 13\nrequests_total 1250';
    expect(await ask()).toEqual({ t: clock.now(), v: 3 / 250, n: 250 });
  });

  it('skips malformed lines with a note and still reads the rest', async () => {
    const source = open();
    exposition = ['queue_depth 12', 'this is not a sample', 'queue_depth{shard="2"} abc', 'queue_depth{shard="3"} 8'].join('\n');
    const set = await read(source, { series: 'queue_depth' });
    expect(set.series.map((s) => s.points[0]!.v)).toEqual([12, 8]);
    expect(set.warnings).toContain('2 malformed lines skipped in the exposition (first: line 2)');
  });

  it('says when the series is not in the exposition at all, which is no data rather than zero', async () => {
    const source = open();
    exposition = 'http_requests_total 5';
    const set = await read(source, { series: 'http_request_total' });
    expect(set.series).toEqual([]);
    expect(set.warnings).toContain('no series named http_request_total in the exposition');
  });

  it('fetches /metrics once per tick however many metrics read it', async () => {
    const source = open();
    exposition = Array.from({ length: 20 }, (_, i) => `gauge_${i} ${i}`).join('\n');
    const tick = () => Promise.all(Array.from({ length: 20 }, (_, i) => read(source, { series: `gauge_${i}` }, `g${i}`)));
    const first = await tick();
    expect(first.map(value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(hits).toBe(1);
    await clock.advance(15_000);
    await tick();
    expect(hits).toBe(2);
  });

  it('reports a failing /metrics as the HTTP status, naming host and port', async () => {
    const source = open();
    status = 503;
    await expect(read(source, { series: 'up' })).rejects.toMatchObject({
      kind: 'http',
      reason: `HTTP 503 Service Unavailable (127.0.0.1:${service.port})`,
    });
  });
});
