// A console beside an agent: while a live agent holds the rollout's lease, the console neither
// counts down an automatic rollback nor notifies; once the lease is gone it does both again.

import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteHistory } from '../../src/actions/history-sqlite.js';
import { leasePath } from '../../src/actions/lease.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { parseProfile } from '../../src/profile/load.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { until } from '../support/session.js';

const open: Session[] = [];
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const c of cleanup.splice(0)) await c();
});


describe('a console while an agent holds the lease', () => {
  it('starts no auto-rollback and sends no notification until the agent lets the lease go', async () => {
    const hooks: string[] = [];
    const server: TestHttpServer = await startHttp((req, res) => {
      if (req.url === '/hook') {
        void readBody(req).then((b) => hooks.push((JSON.parse(b) as { event: string }).event));
        res.end('ok');
        return;
      }
      res.end(['app_error_ratio{track="canary"} 0.03', 'app_error_ratio{track="stable"} 0.003', 'app_latency_p95_seconds 0.18', 'app_requests_per_second 400', 'app_queue_depth 12', ''].join('\n'));
    });
    cleanup.push(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-session-agent-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = (await readFile('test/fixtures/console/console.yaml', 'utf8')).replace(
      '- { metric: error_rate, warn: "> 1%", rollback: "> 2%" }',
      `- { metric: error_rate, warn: "> 1%", rollback: "> 2%", auto: true, grace: 5m }`,
    ) + `notify:\n  - { type: webhook, url: "${server.url}/hook", on: [warn, breach, rollback] }\n`;
    const { profile } = parseProfile(text, 'auto.yaml', { env: { ROLLCALL_CONSOLE_METRICS: server.url } });
    const lease = leasePath(dir, profile.name);
    const now = Date.now();
    writeFileSync(lease, JSON.stringify({ pid: process.pid, host: hostname(), user: 'rollcall', role: 'agent', acquiredAt: now, heartbeatAt: now + 60_000, staleMs: 120_000, nonce: 'agent' }));

    const session = await openSession(profile, { identity: { user: 'alice', host: 'bastion' }, stateDir: dir });
    open.push(session);
    session.start();
    await until(session, (s) => s.snapshot.metrics.some((m) => m.id === 'error_rate' && m.state === 'breach'));
    const noted = await until(session, (s) => s.events.some((e) => /^agent rollcall@.* holds the lease: it sends the notifications and runs auto-rollbacks, not this console$/.test(e.text)));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(session.getSnapshot().countdown).toBeUndefined();
    expect(noted.snapshot.autoRollback).toBeDefined();
    expect(hooks).toEqual([]);

    // The agent goes: the console counts down itself (within the lookout's 2 s cache).
    unlinkSync(lease);
    const counting = await until(session, (s) => s.countdown !== undefined, 10_000);
    expect(counting.countdown).toMatchObject({ metric: 'error_rate' });
  }, 30_000);

  it("opens with the agent's stored samples in its series, before any poll", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-session-agent-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = await readFile('test/fixtures/console/console.yaml', 'utf8');
    // Nothing listens there: whatever the console shows came from the history.
    const { profile } = parseProfile(text, 'console.yaml', { env: { ROLLCALL_CONSOLE_METRICS: 'http://127.0.0.1:9' } });
    const now = Date.now();
    const stored = Array.from({ length: 30 }, (_, i) => ({ t: now - (30 - i) * 15_000, v: 0.001 * (i + 1) }));
    const history = openSqliteHistory(profile, dir);
    history.samples('error_rate', 'canary', new Map([['', stored]]));
    await history.close();

    const session = await openSession(profile, { identity: { user: 'alice', host: 'bastion' }, stateDir: dir, readOnly: true });
    open.push(session);
    const state = session.getSnapshot();
    expect(state.series.error_rate!.groups[0]!.canary.toPoints()).toEqual(stored);
    expect(state.events.some((e) => e.text === "30 samples from the agent's history")).toBe(true);
  });
});
