// An http metric whose control group lives at another path of the same API (the canary's stats at
// /api/canary/stats, the stable track's at /api/stable/stats): `baseline: { path: … }`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState } from '../../src/engine/state.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

const FILE = 'profiles/checkout.yaml';

function yaml(url: string, baseline: string, extraSources = ''): string {
  return `name: checkout
sources:
  api: { type: http, url: "${url}" }
${extraSources}metrics:
  error_rate:
    source: api
    path: /api/canary/stats
    query: $.errorRate
    unit: ratio
    baseline: ${baseline}
rules:
  - { metric: error_rate, warn: "> 2x baseline" }
phases:
  - { name: canary, traffic: 10 }
`;
}

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

describe('baseline: { path } in a profile', () => {
  it('reads the metric’s own query from the other path unless it names one', () => {
    const { profile } = parseProfile(yaml('http://127.0.0.1:9', '{ path: /api/stable/stats }'), FILE, { env: {} });
    expect(profile.metrics.error_rate!.baseline).toEqual({ kind: 'query', query: '$.errorRate', source: 'api', path: '/api/stable/stats' });
    const own = parseProfile(yaml('http://127.0.0.1:9', '{ path: /api/stable/stats, query: $.rate }'), FILE, { env: {} }).profile;
    expect(own.metrics.error_rate!.baseline).toEqual({ kind: 'query', query: '$.rate', source: 'api', path: '/api/stable/stats' });
  });

  it('rejects path: on a baseline whose source is not http, at path:', () => {
    const text = yaml('http://127.0.0.1:9', '{ source: prom, query: "up", path: /x }', '  prom: { type: prometheus, url: "http://127.0.0.1:9090" }\n');
    expect(lines(text)).toEqual([`${FILE}:11:50: metrics.error_rate.baseline.path: path: applies to http sources; source prom is prometheus`]);
  });

  it('asks for a query or a path when the baseline map has neither', () => {
    expect(lines(yaml('http://127.0.0.1:9', '{ source: api }'))).toEqual([
      `${FILE}:10:15: metrics.error_rate.baseline: a baseline map needs query: (the control group's query) or, for an http source, path: (where the control group is read); or use select:`,
    ]);
  });

  it('checks the JSONPath the baseline will use, at the baseline', () => {
    expect(lines(yaml('http://127.0.0.1:9', '{ path: /api/stable/stats, query: errorRate }'))).toEqual([
      `${FILE}:10:49: metrics.error_rate.baseline.query: "errorRate" is not a JSONPath; an http query is a JSONPath such as $.canary.errors, or @status or @duration`,
    ]);
  });
});

describe('polling a baseline at another path', () => {
  let server: TestHttpServer;
  const asked: string[] = [];
  beforeAll(async () => {
    server = await startHttp((req, res) => {
      asked.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errorRate: req.url === '/api/canary/stats' ? 0.03 : 0.01 }));
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads the canary and the control group from their own paths and judges one against the other', async () => {
    const { profile } = parseProfile(yaml(server.url, '{ path: /api/stable/stats }'), FILE, { env: {} });
    const clock = new VirtualClock(Date.UTC(2026, 0, 5, 9));
    const sources = createSources(profile, { clock });
    const store = new SeriesStore(profile);
    const poller = new Poller({ profile, sources, store, clock });
    try {
      await poller.pollOnce();
    } finally {
      await poller.stop();
      await closeSources(sources);
    }
    expect(asked.sort()).toEqual(['/api/canary/stats', '/api/stable/stats']);
    const snap = evaluate(profile, initialState(profile.name, clock.now()), store.snapshot(), clock.now());
    expect(snap.metrics[0]).toMatchObject({ value: 0.03, baseline: 0.01, state: 'warn' });
  });
});
