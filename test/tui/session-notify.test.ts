// Who a live console tells, and how often: real sessions on the real clock, a loopback /metrics
// server whose values the test sets, and a loopback webhook sink counting what arrives.

import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { until } from '../support/session.js';

let metrics: TestHttpServer;
let sink: TestHttpServer;
let errorRatio = 0.004;
let latency = 0.18;
let received: Array<{ event: string; metric?: string; countdown?: { graceMs: number } }> = [];

beforeAll(async () => {
  metrics = await startHttp((_req, res) => {
    res.end([`app_error_ratio{track="canary"} ${errorRatio}`, 'app_error_ratio{track="stable"} 0.003', `app_latency_p95_seconds ${latency}`, 'app_requests_per_second 400', 'app_queue_depth 12', ''].join('\n'));
  });
  sink = await startHttp((req, res) => {
    void readBody(req).then((text) => {
      received.push(JSON.parse(text) as (typeof received)[number]);
      res.end('ok');
    });
  });
});

afterAll(async () => {
  await Promise.all([metrics.close(), sink.close()]);
});

const open: Session[] = [];
const dirs: string[] = [];
afterEach(async () => {
  errorRatio = 0.004;
  latency = 0.18;
  received = [];
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The console end-to-end profile with a webhook target hearing rollbacks and actions. */
async function profileWith(rule = '- { metric: error_rate, warn: "> 1%", rollback: "> 2%" }'): Promise<Profile> {
  const text = (await readFile('test/fixtures/console/console.yaml', 'utf8'))
    .replace('- { metric: error_rate, warn: "> 1%", rollback: "> 2%" }', rule)
    .concat(`notify:\n  - { type: webhook, url: "${sink.url}/hook", on: [rollback, action] }\n`);
  return parseProfile(text, 'notify.yaml', { env: { ROLLCALL_CONSOLE_METRICS: metrics.url } }).profile;
}

async function start(profile: Profile, opts: Parameters<typeof openSession>[1] = {}): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-notify-'));
  dirs.push(dir);
  const session = await openSession(profile, { identity: { user: 'alice', host: 'bastion' }, stateDir: dir, ...opts });
  open.push(session);
  session.start();
  return session;
}


const decided = (decision: string, metric?: string) => (s: ConsoleState) =>
  s.snapshot.decision === decision && (metric === undefined || s.snapshot.metrics.some((m) => m.id === metric && m.state === 'breach'));

/** Lets deliveries in flight arrive: a few polls' worth of real time. */
const settle = () => new Promise((r) => setTimeout(r, 1_500));

describe('notifications from a live console', () => {
  it('are never sent by a read-only or a dry-run console, while the console that may act sends', { timeout: 30_000 }, async () => {
    errorRatio = 0.03;
    const profile = await profileWith();
    const readOnly = await start(profile, { readOnly: true });
    const dryRun = await start(profile, { dryRun: true });
    await until(readOnly, decided('ROLLBACK'));
    await until(dryRun, decided('ROLLBACK'));
    await settle();
    expect(received).toEqual([]);

    const acting = await start(profile);
    await until(acting, decided('ROLLBACK'));
    await settle();
    expect(received.map((r) => [r.event, r.metric])).toEqual([['rollback', 'error_rate']]);
  });

  it('limits by cause: a second ROLLBACK from another metric seconds later is sent, the same cause again is not', { timeout: 40_000 }, async () => {
    const session = await start(await profileWith());
    await until(session, (s) => s.snapshot.decision === 'HOLD');
    errorRatio = 0.03;
    await until(session, decided('ROLLBACK', 'error_rate'));
    errorRatio = 0.004;
    await until(session, (s) => s.snapshot.decision !== 'ROLLBACK');
    latency = 0.6;
    await until(session, decided('ROLLBACK', 'p95_latency'));
    latency = 0.18;
    await until(session, (s) => s.snapshot.decision !== 'ROLLBACK');
    // The first cause again, within the ten minutes: a flap, not news.
    errorRatio = 0.03;
    await until(session, decided('ROLLBACK', 'error_rate'));
    await settle();
    expect(received.map((r) => [r.event, r.metric])).toEqual([
      ['rollback', 'error_rate'],
      ['rollback', 'p95_latency'],
    ]);
  });

  it('announce the start of an automatic rollback countdown, with its grace period', { timeout: 30_000 }, async () => {
    errorRatio = 0.03;
    const session = await start(await profileWith('- { metric: error_rate, warn: "> 1%", rollback: "> 2%", auto: true, grace: 5m }'));
    await until(session, (s) => s.countdown !== undefined);
    await settle();
    expect(received.find((r) => r.event === 'auto-rollback')).toMatchObject({ metric: 'error_rate', countdown: { graceMs: 300_000 } });
    session.cancelAutoRollback();
  });
});
