import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import type { Metric, Profile } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { instantFor, testMetric } from '../support/metric.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';
import { buildProfile } from '../support/profile-builder.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

// A real HTTP server standing in for a service's health and stats endpoints.
let api: TestHttpServer;
const seen: Seen[] = [];

beforeAll(async () => {
  api = await startHttp(async (req, res) => {
    const body = await readBody(req);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const path = req.url!.split('?')[0];
    switch (path) {
      case '/v1/stats':
        return json(200, { canary: { error_rate: 0.012, p95_ms: '245.5', status: 'degraded', pending: null }, pods: [{ cpu: 0.5 }, { cpu: 0.7 }] });
      case '/v1/down':
        return json(503, { error: 'maintenance' });
      case '/v1/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>login</html>');
      case '/v1/slow':
        return setTimeout(() => json(200, { ok: 1 }), 150);
      case '/v1/hang':
        return; // never answers
      case '/v1/echo-secret':
        return json(200, { note: 'token s3cr3t-token-value rejected' });
      default:
        return json(404, { error: 'no route' });
    }
  });
});
afterAll(() => api.close());

let sources: Map<string, Source> | undefined;
afterEach(async () => {
  if (sources) await closeSources(sources);
  sources = undefined;
  seen.length = 0;
});

function httpSource(config: Record<string, unknown>, secrets: string[] = []): Source {
  const profile: Profile = {
    ...buildProfile({
      name: 'http-test',
      sources: { api: { type: 'http', url: api.url, ...config } as never },
      metrics: {},
      phases: [{ name: 'canary', traffic: 10 }],
    }),
    secrets,
  };
  sources = createSources(profile, { clock: realClock });
  return sources.get('api')!;
}

function metric(query: string, fields: Partial<Metric> = {}): Metric {
  return testMetric({ source: 'api', query, path: '/v1/stats', ...fields });
}

const only = (set: { series: Array<{ points: Array<{ v: number }> }> }) => set.series.map((s) => s.points[0]!.v);

describe('the http source, against a real local HTTP server', () => {
  it('picks a number with a JSONPath, sending the configured method, headers and bearer token', async () => {
    const source = httpSource({ headers: { 'X-Team': 'checkout' }, auth: { bearer: 'tok-123' } });
    const set = await source.instant(instantFor(metric('$.canary.error_rate')));
    expect(only(set)).toEqual([0.012]);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/stats', headers: { 'x-team': 'checkout', authorization: 'Bearer tok-123' } });
  });

  it('POSTs an object body as JSON and reads a numeric string as a number', async () => {
    const source = httpSource({ method: 'POST', body: { window: '5m', track: 'canary' }, auth: { basic: { username: 'ops', password: 'pw' } } });
    const set = await source.instant(instantFor(metric('$.canary.p95_ms')));
    expect(only(set)).toEqual([245.5]);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ window: '5m', track: 'canary' });
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ops:pw').toString('base64')}`);
  });

  it('appends the metric path to the source URL, keeping both query strings', async () => {
    sources = createSources(
      buildProfile({
        name: 'http-test',
        sources: { api: { type: 'http', url: `${api.url}/v1/?tenant=a` } },
        metrics: {},
        phases: [{ name: 'canary', traffic: 10 }],
      }),
      { clock: realClock },
    );
    await sources.get('api')!.instant(instantFor(metric('$.canary.error_rate', { path: 'stats?window=5m' })));
    expect(seen[0]!.url).toBe('/v1/stats?tenant=a&window=5m');
  });

  it('answers one series per match, labelled by where in the document it was found', async () => {
    const source = httpSource({});
    const set = await source.instant(instantFor(metric('$.pods[*].cpu')));
    expect(set.series.map((s) => [s.labels, s.points[0]!.v])).toEqual([
      [{ path: '/pods/0/cpu' }, 0.5],
      [{ path: '/pods/1/cpu' }, 0.7],
    ]);
  });

  it('gives the status code for @status, even a 503, so health checks can judge it', async () => {
    const source = httpSource({});
    expect(only(await source.instant(instantFor(metric('@status', { path: '/v1/down' }))))).toEqual([503]);
    expect(only(await source.instant(instantFor(metric('@status'))))).toEqual([200]);
  });

  it("gives the response time for @duration in the metric's unit", async () => {
    const source = httpSource({});
    const [ms] = only(await source.instant(instantFor(metric('@duration', { path: '/v1/slow', unit: 'milliseconds' }))));
    const [s] = only(await source.instant(instantFor(metric('@duration', { path: '/v1/slow', unit: 'seconds' }))));
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(30_000);
    expect(s).toBeGreaterThanOrEqual(0.14);
    expect(s).toBeLessThan(30);
  });

  it('reports a non-2xx answer as the HTTP status, naming host and port', async () => {
    const source = httpSource({});
    await expect(source.instant(instantFor(metric('$.x', { path: '/v1/down' })))).rejects.toMatchObject({
      kind: 'http',
      reason: `HTTP 503 Service Unavailable (127.0.0.1:${api.port})`,
    });
  });

  it('reports an answer that is not JSON as a parse error', async () => {
    const source = httpSource({});
    await expect(source.instant(instantFor(metric('$.x', { path: '/v1/html' })))).rejects.toMatchObject({
      kind: 'parse',
      reason: `response is not JSON (text/html) (127.0.0.1:${api.port})`,
    });
  });

  it('has no data when the JSONPath matches nothing or only null', async () => {
    const source = httpSource({});
    expect((await source.instant(instantFor(metric('$.canary.missing')))).series).toEqual([]);
    expect((await source.instant(instantFor(metric('$.canary.pending')))).series).toEqual([]);
  });

  it('reports a JSONPath that matches a non-number as a parse error quoting what it found', async () => {
    const source = httpSource({});
    await expect(source.instant(instantFor(metric('$.canary.status')))).rejects.toMatchObject({
      kind: 'parse',
      reason: `$.canary.status matched "degraded", not a number (127.0.0.1:${api.port})`,
    });
  });

  it('reports a refused connection as unreachable with the address, and never the credentials in the URL', async () => {
    const port = await freePort();
    sources = createSources(
      buildProfile({
        name: 'http-test',
        sources: { api: { type: 'http', url: `http://admin:hunter2@127.0.0.1:${port}/health` } },
        metrics: {},
        phases: [{ name: 'canary', traffic: 10 }],
      }),
      { clock: realClock },
    );
    const failure = await sources.get('api')!.instant(instantFor(metric('@status'))).catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: 'unreachable', reason: `connection refused (127.0.0.1:${port})` });
    expect(String((failure as Error).message)).not.toContain('hunter2');
  });

  it('gives up on a server that never answers after the metric timeout, as a timeout', async () => {
    const source = httpSource({});
    await expect(source.instant(instantFor(metric('$.ok', { path: '/v1/hang', timeoutMs: 200 })))).rejects.toMatchObject({
      kind: 'timeout',
      reason: `timed out after 200ms (127.0.0.1:${api.port})`,
    });
  });

  it('reports an abort by the caller as aborted, not as a failure of the source', async () => {
    const source = httpSource({});
    const controller = new AbortController();
    const pending = source.instant(instantFor(metric('$.ok', { path: '/v1/hang' }), { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });

  it("masks the profile's secrets in any reason it gives", async () => {
    const source = httpSource({}, ['s3cr3t-token-value']);
    const failure = (await source.instant(instantFor(metric('$.note', { path: '/v1/echo-secret' }))).catch((e: unknown) => e)) as Error;
    expect(failure.message).toContain('***');
    expect(failure.message).not.toContain('s3cr3t-token-value');
  });

  it('answers every query of a source whose URL is not one with a one-line reason naming it', async () => {
    const source = httpSource({ url: 'not a url' });
    await expect(source.instant(instantFor(metric('$.x')))).rejects.toMatchObject({ kind: 'query', reason: expect.stringMatching(/^sources\.api: .*Invalid URL/) });
  });
});
