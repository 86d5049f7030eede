// Metrics that read fields of one JSON answer share one request per poll round (sources/http.ts):
// the agent's twenty metrics on a stats endpoint cost that endpoint one request every 15 s, not
// twenty. Against a real HTTP server that counts what it is asked; and the client over real TLS.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { buildProfile } from '../support/profile-builder.js';

const T = Date.UTC(2026, 0, 1);
let api: TestHttpServer;
let asked = 0;
let status = 200;

beforeAll(async () => {
  api = await startHttp((_req, res) => {
    asked++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ n: asked, a: 0.25, b: 0.5 }));
  });
});
afterAll(() => api.close());

async function withSource(run: (ask: (metric: 'a' | 'b' | 'n', at: number) => Promise<{ t: number; v: number }>) => Promise<void>): Promise<void> {
  const profile = buildProfile({
    name: 'shared',
    sources: { api: { type: 'http', url: api.url } },
    metrics: {
      a: { source: 'api', path: '/stats', query: '$.a', unit: 'ratio', interval: '15s' },
      b: { source: 'api', path: '/stats', query: '$.b', unit: 'ratio', interval: '15s' },
      n: { source: 'api', path: '/stats', query: '$.n', unit: 'count', interval: '15s' },
    },
    phases: [{ name: 'canary', traffic: 10 }],
  });
  const sources = createSources(profile, { clock: realClock });
  const source = sources.get('api') as Source;
  try {
    await run(async (id, at) => {
      const answer = await source.instant({ metric: profile.metrics[id]!, query: profile.metrics[id]!.query, time: at, signal: AbortSignal.timeout(5_000) });
      return answer.series[0]!.points[0]!;
    });
  } finally {
    await closeSources(sources);
  }
}

describe('metrics reading one http answer', () => {
  it('share one request a round, every sample stamped with the time that request was asked', async () => {
    asked = 0;
    await withSource(async (ask) => {
      expect(await ask('n', T)).toEqual({ t: T, v: 1 });
      // Within a tenth of the interval: the same round, the same answer.
      expect(await ask('a', T + 700)).toEqual({ t: T, v: 0.25 });
      expect(await ask('b', T + 1_500)).toEqual({ t: T, v: 0.5 });
      expect(asked).toBe(1);
    });
  });

  it('asks again for a metric that has read the answer already, or once the round is over', async () => {
    asked = 0;
    await withSource(async (ask) => {
      await ask('a', T);
      // The same metric again (the `r` key): a new request, which the others then share.
      expect(await ask('a', T + 100)).toEqual({ t: T + 100, v: 0.25 });
      expect(await ask('n', T + 200)).toEqual({ t: T + 100, v: 2 });
      // Past a tenth of the interval: another round.
      expect(await ask('b', T + 1_601)).toEqual({ t: T + 1_601, v: 0.5 });
      expect(asked).toBe(3);
    });
  });

  it('share a failing answer within the round, and ask again in the next', async () => {
    asked = 0;
    await withSource(async (ask) => {
      status = 503;
      try {
        await expect(ask('a', T)).rejects.toThrow(/HTTP 503/);
        await expect(ask('b', T + 100)).rejects.toThrow(/HTTP 503/);
        expect(asked).toBe(1);
        status = 200;
        expect(await ask('a', T + 15_000)).toEqual({ t: T + 15_000, v: 0.25 });
        expect(asked).toBe(2);
      } finally {
        status = 200;
      }
    });
  });
});

describe('an https endpoint', () => {
  it('speaks TLS, and refuses a self-signed certificate with a sentence, not a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-tls-'));
    try {
      const run = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      let reached = 0;
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        reached++;
        res.end('{"a":1}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const profile = buildProfile({
        name: 'tls',
        sources: { api: { type: 'http', url: `https://127.0.0.1:${port}` } },
        metrics: { a: { source: 'api', path: '/stats', query: '$.a', unit: 'ratio' } },
        phases: [{ name: 'canary', traffic: 10 }],
      });
      const sources = createSources(profile, { clock: realClock });
      try {
        const ask = sources.get('api')!.instant({ metric: profile.metrics.a!, query: '$.a', time: T, signal: AbortSignal.timeout(5_000) });
        await expect(ask).rejects.toMatchObject({ kind: 'unreachable', reason: `TLS certificate is self-signed (127.0.0.1:${port})` });
        expect(reached).toBe(0);
      } finally {
        await closeSources(sources);
        server.closeAllConnections();
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
