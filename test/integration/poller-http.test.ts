// The poller against real HTTP servers on 127.0.0.1 through the real `http` source, on the real
// clock: samples arrive on schedule, failures show with their reason and recover, a hung server
// neither delays another source nor keeps stop() waiting.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import { startHttp } from '../support/http.js';
import { buildProfile } from '../support/profile-builder.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real server on 127.0.0.1 that counts requests, and requests the client gave up on. */
async function serve(handler: Handler): Promise<{ url: string; host: string; requests: () => number; closedEarly: () => number }> {
  let requests = 0;
  let closedEarly = 0;
  const server = await startHttp((req, res) => {
    requests++;
    res.on('close', () => {
      if (!res.writableFinished) closedEarly++;
    });
    handler(req, res);
  });
  cleanup.push(() => server.close());
  return { url: server.url, host: `127.0.0.1:${server.port}`, requests: () => requests, closedEarly: () => closedEarly };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function until(what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function setup(metrics: Record<string, { source: string; query: string; interval?: string; timeout?: string }>, urls: Record<string, string>) {
  const profile = buildProfile({
    name: 'http-poll',
    sources: Object.fromEntries(Object.entries(urls).map(([id, url]) => [id, { type: 'http', url }])),
    metrics: Object.fromEntries(Object.entries(metrics).map(([id, m]) => [id, { unit: 'ratio', interval: '100ms', timeout: '1s', ...m }])),
    phases: [{ name: 'canary', traffic: 10 }],
  });
  const sources = createSources(profile, { clock: realClock });
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources, store, clock: realClock });
  cleanup.push(async () => {
    await poller.stop();
    await closeSources(sources);
  });
  return { profile, store, poller };
}

describe('polling a real HTTP endpoint', () => {
  it('stores each answer as a sample of the metric, in time order', async () => {
    let n = 0;
    const server = await serve((_req, res) => json(res, 200, { errors: { rate: ++n / 1_000 } }));
    const { store, poller } = setup({ error_rate: { source: 'api', query: '$.errors.rate' } }, { api: server.url });
    poller.start();
    await until('five samples', () => (store.snapshot().error_rate?.groups[0]?.canary.length ?? 0) >= 5);
    await poller.stop();
    const points = store.snapshot().error_rate!.groups[0]!.canary.toPoints();
    expect(points.slice(0, 5).map((p) => p.v)).toEqual([0.001, 0.002, 0.003, 0.004, 0.005]);
    for (let i = 1; i < points.length; i++) expect(points[i]!.t).toBeGreaterThan(points[i - 1]!.t);
    expect(store.snapshot().error_rate!.consecutiveErrors).toBe(0);
  });

  it('shows a failing endpoint with its status and address, then recovers', async () => {
    let healthy = false;
    const server = await serve((_req, res) => (healthy ? json(res, 200, { v: 1 }) : json(res, 500, { error: 'boom' })));
    const { store, poller } = setup({ m: { source: 'api', query: '$.v' } }, { api: server.url });
    await poller.pollOnce();
    const failing = store.snapshot().m!;
    expect(failing.consecutiveErrors).toBe(1);
    expect(failing.lastError?.reason).toBe(`HTTP 500 Internal Server Error (${server.host})`);
    healthy = true;
    await poller.pollOnce();
    expect(store.snapshot().m).toMatchObject({ consecutiveErrors: 0, groups: [{ key: '' }] });
    expect(store.snapshot().m!.groups[0]!.canary.toPoints()).toMatchObject([{ v: 1 }]);
  });

  it('keeps polling a healthy server on time while another server hangs, and times the hung one out', async () => {
    const hung = await serve(() => {});
    let n = 0;
    const fine = await serve((_req, res) => json(res, 200, { v: ++n }));
    const { store, poller } = setup(
      {
        stuck: { source: 'slow', query: '$.v', interval: '100ms', timeout: '300ms' },
        fine: { source: 'fast', query: '$.v' },
      },
      { slow: hung.url, fast: fine.url },
    );
    poller.start();
    await until('a timeout on the hung server', () => store.snapshot().stuck?.lastError !== undefined);
    // In the time the hung server took to time out once, the healthy one kept answering.
    expect(store.snapshot().fine!.groups[0]!.canary.length).toBeGreaterThanOrEqual(2);
    expect(store.snapshot().stuck!.lastError?.reason).toBe(`timed out after 300ms (${hung.host})`);
    expect(store.snapshot().stuck!.groups).toEqual([]);
  });

  it('stops promptly while a request hangs, closing that request', async () => {
    const hung = await serve(() => {});
    const { poller, store } = setup({ m: { source: 'slow', query: '$.v', timeout: '1m' } }, { slow: hung.url });
    poller.start();
    await until('the request to arrive', () => hung.requests() === 1);
    await poller.stop();
    await until('the server to see the request closed', () => hung.closedEarly() === 1);
    expect(store.snapshot().m!.consecutiveErrors).toBe(0);
  });
});
