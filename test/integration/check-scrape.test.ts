// `rollcall check` on metrics computed from two scrapes of a /metrics endpoint (counter rates,
// histogram quantiles): a one-shot check must scrape twice, or such metrics would always read as
// "no data" and hold the rollout whatever the service does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { ensureBuilt, runCli } from '../support/cli.js';
import type { CheckReport } from '../../src/commands/check-format.js';

let server: TestHttpServer;
let dir: string;
let canaryErrorShare = 0.001;
let requests = 0;
let errors = 0;

beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'rollcall-check-scrape-'));
  server = await startHttp((_req, res) => {
    // Every scrape sees 1,000 more canary requests, a share of them failed.
    requests += 1_000;
    errors += Math.round(1_000 * canaryErrorShare);
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      [
        '# TYPE app_requests_total counter',
        `app_requests_total{track="canary",code="200"} ${requests - errors}`,
        `app_requests_total{track="canary",code="500"} ${errors}`,
        '',
      ].join('\n'),
    );
  });
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function check(): Promise<{ code: number; report: CheckReport }> {
  const file = join(dir, 'scrape.yaml');
  await writeFile(
    file,
    `name: scrape-check
sources:
  svc: { type: scrape, url: "${server.url}/metrics" }
metrics:
  error_rate:
    source: svc
    unit: ratio
    interval: 2s
    query:
      series: app_requests_total
      match: { track: canary, code: "~5.." }
      mode: rate
      divideBy: { series: app_requests_total, match: { track: canary }, mode: rate }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 5%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
`,
  );
  const result = await runCli(['check', file, '--format', 'json', '--state-dir', dir]);
  return { code: result.code, report: JSON.parse(result.stdout) as CheckReport };
}

describe('check on a scraped counter rate', () => {
  it('judges a healthy canary green instead of holding on no data', async () => {
    canaryErrorShare = 0.001;
    const { code, report } = await check();
    expect(report.decision).toBe('SOAK');
    expect(code).toBe(0);
  });

  it('rolls back a failing canary and names the metric', async () => {
    canaryErrorShare = 0.12;
    const { code, report } = await check();
    expect(code).toBe(2);
    expect(report.decision).toBe('ROLLBACK');
    expect(report.reasons.join(' ')).toMatch(/error_rate 12% > 5%/);
  });
});
