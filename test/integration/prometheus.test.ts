import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { Metric } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { instantFor, testMetric } from '../support/metric.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';
import { buildProfile } from '../support/profile-builder.js';

// A small service with a canary and a stable track: every scrape, the canary serves 10 requests
// with 1 error and the stable track 20 requests with none; in-flight gauges stay at 3 and 7.
let service: TestHttpServer;
let scrapes = 0;
function serveMetrics(_req: IncomingMessage, res: ServerResponse): void {
  scrapes++;
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(
    [
      '# TYPE demo_requests_total counter',
      `demo_requests_total{track="canary"} ${scrapes * 10}`,
      `demo_requests_total{track="stable"} ${scrapes * 20}`,
      '# TYPE demo_errors_total counter',
      `demo_errors_total{track="canary"} ${scrapes}`,
      'demo_errors_total{track="stable"} 0',
      '# TYPE demo_inflight gauge',
      'demo_inflight{track="canary"} 3',
      'demo_inflight{track="stable"} 7',
      '',
    ].join('\n'),
  );
}

// A loopback proxy in front of the real Prometheus, as Grafana's datasource proxy or a Mimir
// gateway would be: it demands a bearer token and strips its path prefix.
const PROXY_PATH = '/api/datasources/proxy/uid/prom-1';
const PROXY_TOKEN = 'glsa_test_token';
let proxy: TestHttpServer;
let prometheus: TestPrometheus | undefined;

function forward(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.authorization !== `Bearer ${PROXY_TOKEN}`) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"message":"Unauthorized"}');
    return;
  }
  const path = req.url!.replace(PROXY_PATH, '').replace(/^\/prometheus/, '');
  const target = new URL(path, prometheus!.url);
  const upstream = request(target, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? '' } }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  });
  req.pipe(upstream);
}

// A fake Prometheus API, named as such: only for answers a real server will not give on demand
// (warnings, a gateway's HTML error page, a query timeout, a hang).
let fake: TestHttpServer;
async function fakePrometheusApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  switch (form.get('query')) {
    case 'with_warnings':
      return json(200, {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { track: 'canary' }, value: [1767225600.5, '0.25'] }] },
        warnings: ['PromQL info: metric might not be a counter,\nname does not end in _total'],
      });
    case 'gateway_down':
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    case 'not_json':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Grafana login</html>');
      return;
    case 'query_timeout':
      return json(503, { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
    case 'hang':
      return;
    default:
      return json(400, { status: 'error', errorType: 'bad_data', error: 'unknown fake query' });
  }
}

beforeAll(async () => {
  service = await startHttp(serveMetrics);
  proxy = await startHttp(forward);
  fake = await startHttp((req, res) => void fakePrometheusApi(req, res));
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${service.port}`], scrapeIntervalS: 1 });
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([service?.close(), proxy?.close(), fake?.close()]);
});

let sources: Map<string, Source> | undefined;
afterEach(async () => {
  if (sources) await closeSources(sources);
  sources = undefined;
});

function promSource(config: Record<string, unknown>): Source {
  sources = createSources(
    buildProfile({
      name: 'prometheus-test',
      sources: { prom: { type: 'prometheus', ...config } as never },
      metrics: {},
      phases: [{ name: 'canary', traffic: 10 }],
    }),
    { clock: realClock },
  );
  return sources.get('prom')!;
}

function metric(query: string, fields: Partial<Metric> = {}): Metric {
  return testMetric({ source: 'prom', query, ...fields });
}

function ask(source: Source, query: string, fields: Partial<Metric> = {}): Promise<SeriesSet> {
  return source.instant(instantFor(metric(query, fields)));
}

const byTrack = (set: SeriesSet) => Object.fromEntries(set.series.map((s) => [s.labels.track ?? '', s.points.at(-1)!.v]));

/** Waits until Prometheus has scraped enough for the query to answer `series` series. */
async function answered(source: Source, query: string, series: number): Promise<SeriesSet> {
  return vi.waitFor(
    async () => {
      const set = await ask(source, query);
      expect(set.series).toHaveLength(series);
      return set;
    },
    { timeout: 20_000, interval: 250 },
  );
}

describe('the prometheus source, against a real Prometheus scraping a local service', () => {
  it('answers an instant query with one series per label set', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    const set = await answered(source, 'demo_inflight', 2);
    expect(byTrack(set)).toEqual({ canary: 3, stable: 7 });
    expect(set.series[0]!.labels).toMatchObject({ __name__: 'demo_inflight', job: 'rollcall-test' });
    expect(Math.abs(set.series[0]!.points[0]!.t - Date.now())).toBeLessThan(60_000);
  });

  it('answers a ratio of rates, canary against stable', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    const query = 'sum by (track) (rate(demo_errors_total[10s])) / sum by (track) (rate(demo_requests_total[10s]))';
    expect(byTrack(await answered(source, query, 2))).toEqual({ canary: expect.closeTo(0.1, 9), stable: 0 });
  });

  it('answers a scalar as one unlabelled series', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    await answered(source, 'demo_inflight', 2);
    const set = await ask(source, 'scalar(sum(demo_inflight))');
    expect(set.series).toEqual([{ labels: {}, points: [{ t: expect.any(Number), v: 10 }] }]);
  });

  it('answers a range query with the points in the range, for backfill', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    await answered(source, 'demo_inflight', 2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const end = Date.now();
    const query = 'sum by (track) (demo_inflight)';
    const set = await source.range!({ metric: metric(query), query, start: end - 10_000, end, stepMs: 1_000, signal: new AbortController().signal });
    expect(byTrack(set)).toEqual({ canary: 3, stable: 7 });
    for (const s of set.series) {
      expect(s.points.length).toBeGreaterThanOrEqual(2);
      expect(s.points.every((p) => p.t >= end - 10_000 && p.t <= end)).toBe(true);
    }
  });

  it('answers an empty vector as no series, which is no data', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    expect((await ask(source, 'demo_inflight{track="none"}')).series).toEqual([]);
  });

  it('passes NaN and +Inf through as values, for the engine to judge', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    expect((await ask(source, '0/0')).series[0]!.points[0]!.v).toBeNaN();
    expect((await ask(source, '1/0')).series[0]!.points[0]!.v).toBe(Infinity);
    expect((await ask(source, '-1/0')).series[0]!.points[0]!.v).toBe(-Infinity);
  });

  it("reports a bad query with Prometheus' own message on one line", async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: prometheus.url });
    const failure = (await ask(source, 'sum(rate(demo_requests_total[5m])').catch((e: unknown) => e)) as Error & { kind: string; reason: string };
    expect(failure.kind).toBe('query');
    expect(failure.reason).toMatch(/^bad_data: .*parse error.* \(127\.0\.0\.1:\d+\)$/);
    expect(failure.reason).not.toContain('\n');
  });

  it('reaches Prometheus through a Grafana datasource proxy path with a bearer token', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: `${proxy.url}${PROXY_PATH}`, auth: { bearer: PROXY_TOKEN } });
    expect(byTrack(await answered(source, 'demo_inflight', 2))).toEqual({ canary: 3, stable: 7 });
  });

  it('reaches Prometheus under a Mimir-style /prometheus prefix with the token as a header', async (ctx) => {
    if (!prometheus) return ctx.skip();
    const source = promSource({ url: proxy.url, pathPrefix: '/prometheus', headers: { Authorization: `Bearer ${PROXY_TOKEN}` } });
    expect(byTrack(await answered(source, 'demo_inflight', 2))).toEqual({ canary: 3, stable: 7 });
  });

  it('reports a refused token as HTTP 401, without echoing the token', async () => {
    const source = promSource({ url: `${proxy.url}${PROXY_PATH}`, auth: { bearer: 'wrong-token-123' } });
    const failure = (await ask(source, 'up').catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'http', reason: `HTTP 401 Unauthorized (127.0.0.1:${proxy.port})` });
    expect(failure.message).not.toContain('wrong-token-123');
  });

  it('passes warnings along as one-line notes (fake API)', async () => {
    const source = promSource({ url: fake.url });
    const set = await ask(source, 'with_warnings');
    expect(set.series).toEqual([{ labels: { track: 'canary' }, points: [{ t: 1767225600500, v: 0.25 }] }]);
    expect(set.warnings).toEqual(['PromQL info: metric might not be a counter, name does not end in _total']);
  });

  it("reports a gateway's HTML error page as the HTTP status (fake API)", async () => {
    const source = promSource({ url: fake.url });
    await expect(ask(source, 'gateway_down')).rejects.toMatchObject({ kind: 'http', reason: `HTTP 502 Bad Gateway (127.0.0.1:${fake.port})` });
  });

  it('reports a 200 answer that is not JSON as a parse error (fake API)', async () => {
    const source = promSource({ url: fake.url });
    await expect(ask(source, 'not_json')).rejects.toMatchObject({
      kind: 'parse',
      reason: `not a Prometheus API answer: the response is not JSON (127.0.0.1:${fake.port})`,
    });
  });

  it("reports Prometheus' own query timeout as a timeout (fake API)", async () => {
    const source = promSource({ url: fake.url });
    await expect(ask(source, 'query_timeout')).rejects.toMatchObject({
      kind: 'timeout',
      reason: `timeout: query timed out in expression evaluation (127.0.0.1:${fake.port})`,
    });
  });

  it('gives up on a server that never answers after the metric timeout (fake API)', async () => {
    const source = promSource({ url: fake.url });
    await expect(ask(source, 'hang', { timeoutMs: 200 })).rejects.toMatchObject({
      kind: 'timeout',
      reason: `timed out after 200ms (127.0.0.1:${fake.port})`,
    });
  });

  it('reports a refused connection as unreachable with the address', async () => {
    const port = await freePort();
    const source = promSource({ url: `http://127.0.0.1:${port}` });
    await expect(ask(source, 'up')).rejects.toMatchObject({ kind: 'unreachable', reason: `connection refused (127.0.0.1:${port})` });
  });
});
