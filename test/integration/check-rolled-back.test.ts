// `check` and `report` on a rollout that was rolled back: they say ROLLED BACK (since when, by
// whom, where to, the rollback checklist), exit 5, and never "HOLD soaking" as if it were live.
// The built CLI against a loopback /metrics server, the rollout state written by the real store.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/actions/state-store.js';
import type { CheckReport } from '../../src/commands/check-format.js';
import type { Review } from '../../src/commands/review.js';
import { realClock } from '../../src/engine/clock.js';
import { rolledBack } from '../../src/engine/state.js';
import { loadProfileFile as loadProfile } from '../support/profile-file.js';
import { ensureBuilt, onlyEnv, runCli, type CliResult } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

const PROFILE = `name: rolled-it
title: Rolled back (integration)
sources:
  app: { type: scrape, url: "\${APP_METRICS_URL}/metrics" }
metrics:
  error_rate: { source: app, unit: ratio, interval: 1s, query: { series: app_error_ratio } }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
  - { name: full, traffic: 100 }
actions:
  rollback: { run: ["true"] }
rollbackChecklist:
  - Post in the incident channel
`;

let app: TestHttpServer;
let dir: string;
let file: string;
let stateDir: string;

beforeAll(async () => {
  ensureBuilt();
  app = await startHttp((_req, res) => res.end('app_error_ratio 0.004\n'));
  dir = await mkdtemp(join(tmpdir(), 'rollcall-rolled-back-'));
  file = join(dir, 'rolled.yaml');
  stateDir = join(dir, 'state');
  await writeFile(file, PROFILE);
  const { profile } = await loadProfile(file, { env: { APP_METRICS_URL: app.url } });
  const store = await openStateStore(profile, { dir: stateDir, clock: realClock, user: 'alice@bastion' });
  // Rolled back two minutes ago by the automatic rollback.
  await store.update((s) => rolledBack(s, Date.now() - 2 * 60_000, 'alice@bastion (auto-rollback)', profile.rollbackTo));
  await store.close();
});

afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

function rollcall(args: string[]): Promise<CliResult> {
  return runCli([...args, '--state-dir', stateDir], { env: onlyEnv({ PATH: process.env.PATH ?? '', APP_METRICS_URL: app.url }) });
}

const ROLLED = /^ROLLED BACK since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(2m(\d+s)?\) by alice@bastion \(auto-rollback\), to 0% traffic$/m;

describe('a rolled-back rollout', () => {
  it('check says ROLLED BACK with since, by whom and its checklist, and exits 5', async () => {
    const run = await rollcall(['check', file]);
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(ROLLED);
    expect(run.stdout).toMatch(/^phase 1\/2 canary \(0% traffic, was 10%\) · rolled back$/m);
    expect(run.stdout).toMatch(/^the phase would decide \(not in force while rolled back\): SOAK$/m);
    expect(run.stdout).toMatch(/^after rollback 0\/1\n {2}\[ \] Post in the incident channel$/m);
    // Never a live decision as its headline.
    expect(run.stdout).not.toMatch(/^(HOLD|SOAK|PROMOTE|ROLLBACK)$/m);
  });

  it('check markdown leads with ROLLED BACK', async () => {
    const run = await rollcall(['check', file, '--format', 'markdown']);
    expect(run.code).toBe(5);
    expect(run.stdout.split('\n')[0]).toMatch(/^\*\*ROLLED BACK\*\* — Rolled back \(integration\) · phase 1\/2 canary/);
    expect(run.stdout).toMatch(ROLLED);
  });

  it('check json has the status, who rolled it back, since when, and exit code 5', async () => {
    const run = await rollcall(['check', file, '--format', 'json']);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(run.code).toBe(5);
    expect(report).toMatchObject({ status: 'ROLLED BACK', exitCode: 5, rolledBack: { traffic: 0, phase: null, by: 'alice@bastion (auto-rollback)' } });
    expect(report.rolledBack!.forMs).toBeGreaterThanOrEqual(2 * 60_000);
    expect(report.rollbackChecklist).toEqual([{ item: 'Post in the incident channel', checked: false }]);
  });

  it('report says Now: ROLLED BACK, in text, markdown and json, and exits 5', async () => {
    const text = await rollcall(['report', file, '--since', '10m', '--format', 'text']);
    expect(text.code).toBe(5);
    expect(text.stdout).toMatch(/^Now: ROLLED BACK since \S+ \S+ UTC \(2m(\d+s)?\) by alice@bastion \(auto-rollback\), to 0% traffic$/m);
    expect(text.stdout).not.toMatch(/^Now: (HOLD|SOAK)/m);
    const markdown = await rollcall(['report', file, '--since', '10m']);
    expect(markdown.stdout).toMatch(/^Now: \*\*ROLLED BACK\*\* since /m);
    const json = await rollcall(['report', file, '--since', '10m', '--format', 'json']);
    const review = JSON.parse(json.stdout) as Review;
    expect(review.now.status).toBe('ROLLED BACK');
    expect(review.rolledBack).toMatchObject({ by: 'alice@bastion (auto-rollback)', traffic: 0 });
  });
});
