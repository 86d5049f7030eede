// A metric's sample count from a real Prometheus: the count query is asked beside the value, at
// the same moment, and the poller stores each value with the requests behind it, for the canary
// and for its baseline. The service behind it serves 10 canary requests (1 failing) and 20 stable
// ones per scrape.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import { parseProfile } from '../../src/profile/load.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';

let service: TestHttpServer;
let prometheus: TestPrometheus | undefined;
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
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  service = await startHttp(serveMetrics);
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${service.port}`], scrapeIntervalS: 1 });
  // increase() needs two samples in its range.
  const until = Date.now() + 20_000;
  while (prometheus && scrapes < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  if (prometheus) await new Promise((r) => setTimeout(r, 1_500));
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await service?.close();
});

describe('sample counts from a real Prometheus', () => {
  it('stores each ratio with the requests behind it, for the canary and its baseline', async () => {
    if (!prometheus) return;
    const { profile } = parseProfile(
      `
name: samples
sources:
  prom: { type: prometheus, url: "${prometheus.url}" }
metrics:
  error_rate:
    source: prom
    unit: ratio
    window: 10s
    query: sum(rate(demo_errors_total{track="canary"}[10s])) / sum(rate(demo_requests_total{track="canary"}[10s]))
    samples: { query: 'sum(increase(demo_requests_total{track="canary"}[10s]))', name: requests }
    baseline:
      query: sum(rate(demo_errors_total{track="stable"}[10s])) / sum(rate(demo_requests_total{track="stable"}[10s]))
      samples: sum(increase(demo_requests_total{track="stable"}[10s]))
phases: [{ name: canary, traffic: 10 }]
`,
      'samples.yaml',
      { env: {} },
    );
    const sources = createSources(profile, { clock: realClock });
    try {
      const store = new SeriesStore(profile);
      const poller = new Poller({ profile, sources, store, clock: realClock, jitter: 0 });
      await poller.pollOnce();
      const group = store.snapshot().error_rate!.groups[0]!;
      const canary = group.canary.toPoints().at(-1)!;
      const baseline = group.baseline.toPoints().at(-1)!;
      expect(canary.v).toBeCloseTo(0.1, 6);
      // Ten requests a second over 10 s, as Prometheus extrapolates them: about a hundred.
      expect(canary.n).toBeGreaterThan(50);
      expect(canary.n).toBeLessThan(200);
      expect(baseline.v).toBe(0);
      expect(baseline.n! / canary.n!).toBeCloseTo(2, 1);
    } finally {
      await closeSources(sources);
    }
  });
});
