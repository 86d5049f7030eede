// `rollcall agent` on a rollout whose state is shared in PostgreSQL, as real processes: two agents
// with different state directories (two hosts, as far as files go) share one lease row and one
// history, so exactly one acts, the other takes over after kill -9 without repeating anything, a
// restart of the database is said and survived, and `check` / `report` on a third "host" judge from
// the samples the leader stored.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/console/open-session.js';
import { runCli } from '../support/cli.js';
import { loadProfileFile } from '../support/profile-file.js';
import { until } from '../support/session.js';
import { agentTestbed, watchedProfile, type RunningAgent } from '../support/agent.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const bed = agentTestbed('agent-pg');

/** --lease-timeout 3s: a heartbeat a second; the stated takeover after kill -9 is stale + heartbeat, 4 s. */
const LEASE = ['--lease-timeout', '3s'];
const TAKEOVER_MS = 3_000 + 1_000;

let db: TestPostgres;
let admin: pg.Client;
let tables = 0;

beforeAll(async () => {
  db = await startPostgres();
  admin = await connect();
});
afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await db?.stop();
});
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The watched profile with its state (so its lease and history) in a table of its own. */
function sharedProfile(opts: { auto?: boolean; rule?: string } = {}): { file: string; table: string } {
  const table = `agents_${++tables}`;
  const file = join(bed.dir, 'checkout.yaml');
  let text = watchedProfile('checkout', bed.service, join(bed.dir, 'rollbacks.txt'), opts.auto === false ? { auto: false } : {});
  if (opts.rule) text = text.replace('rollback: "> 2%"', opts.rule);
  writeFileSync(file, `${text}state: { store: postgres, url: "\${DB}", table: ${table}, timeout: 2s }\n`);
  return { file, table };
}

/** An agent on its own state directory: another host, as far as lock files go. */
function agent(profile: string, host: string): RunningAgent {
  const a = bed.start([profile, '--state-dir', join(bed.dir, host), ...LEASE], { DB: db.url });
  return a;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leads = (l: { event: string; text: string }) => l.event === 'lease' && l.text.startsWith('leader');
const countBy = (items: { event: string }[]) => items.reduce<Record<string, number>>((acc, h) => ({ ...acc, [h.event]: (acc[h.event] ?? 0) + 1 }), {});
const acted = (a: RunningAgent) => a.lines.filter((l) => l.event === 'auto-rollback' || l.event === 'action' || l.event === 'notify');

describe('rollcall agent with its state shared in PostgreSQL', () => {
  it('lets one of two agents on two hosts lead, and the other take over within the stated time after kill -9, acting and notifying once', async () => {
    const { file, table } = sharedProfile();
    const a = agent(file, 'host-a');
    await a.waitFor(leads);
    expect(a.lines.find((l) => l.event === 'start')!.text).toMatch(new RegExp(`history: postgres://127\\.0\\.0\\.1:\\d+/postgres \\(tables ${table}_history_\\*\\)`));
    const b = agent(file, 'host-b');
    await b.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby: the lease is held by agent'));
    await b.waitFor((l) => l.event === 'warm');

    bed.service.rate = 0.05;
    await a.waitFor((l) => l.event === 'action' && /auto-rollback/.test(l.text), 20_000);
    await sleep(2_500);
    expect(readFileSync(join(bed.dir, 'rollbacks.txt'), 'utf8')).toBe('rolled\n');
    const sent = countBy(bed.service.hooks);
    expect(sent.action).toBe(1);
    expect(Object.values(sent).every((n) => n === 1)).toBe(true);
    expect(acted(b)).toEqual([]);

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    const took = await b.waitFor(leads, 15_000);
    // Stated: the row expires stale time after the last beat, and the standby looks every heartbeat (plus opening the state).
    expect(Date.parse(took.time) - killedAt).toBeLessThan(TAKEOVER_MS + 1_500);
    expect(b.lines.some((l) => l.event === 'lease' && /^lease taken over from agent \S+ \(pid \d+\)$/.test(l.text))).toBe(true);
    await sleep(3_000);
    expect(readFileSync(join(bed.dir, 'rollbacks.txt'), 'utf8')).toBe('rolled\n');
    expect(countBy(bed.service.hooks)).toEqual(sent);
    expect(acted(b)).toEqual([]);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    // The history is in the database, not in either state directory, and holds one agent's samples at a time.
    expect(existsSync(join(bed.dir, 'host-a', 'checkout.history.sqlite'))).toBe(false);
    expect(existsSync(join(bed.dir, 'host-b', 'checkout.history.sqlite'))).toBe(false);
    const stored = (await admin.query(`SELECT at FROM ${table}_history_recent UNION ALL SELECT start FROM ${table}_history_chunk ORDER BY 1`)).rows.map((r) => Number(r.at));
    const seconds = (Date.parse(b.lines.at(-1)!.time) - Date.parse(a.lines[0]!.time)) / 1000;
    expect(stored.length).toBeGreaterThan(5);
    expect(stored.length).toBeLessThanOrEqual(seconds + 3);
    // No hole at the failover: what B saw after A's last stored sample was stored too, polls a second apart.
    await b.waitFor((l) => l.event === 'history' && /^\d+ samples seen while another agent stored are stored too/.test(l.text));
    const gaps = stored.slice(1).map((t, i) => t - stored[i]!);
    expect(Math.max(...gaps)).toBeLessThan(2_500);
    // A clean stop gives the row back.
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}_lease`)).rows[0].n).toBe(0);
  }, 90_000);

  it("keeps a console on a third host from notifying or counting down while the agent leads, and seeds it with the agent's stored samples", async () => {
    const { file } = sharedProfile();
    const a = agent(file, 'host-a');
    await a.waitFor(leads);
    await a.waitFor((l) => l.event === 'warm');
    await sleep(2_000);
    const { profile } = await loadProfileFile(file, { env: { ...process.env, DB: db.url } });
    const session = await openSession(profile, { stateDir: join(bed.dir, 'host-c'), identity: { user: 'carol', host: 'bastion-3' } });
    try {
      session.start();
      const opened = session.getSnapshot();
      expect(opened.events.some((e) => /^\d+ samples from the agent's history$/.test(e.text))).toBe(true);
      expect(opened.series.error_rate!.groups[0]!.canary.length).toBeGreaterThanOrEqual(2);
      bed.service.rate = 0.05;
      await until(session, (s) => s.events.some((e) => /^agent \S+ \(pid \d+\) holds the lease: it sends the notifications and runs auto-rollbacks, not this console$/.test(e.text)));
      await a.waitFor((l) => l.event === 'action' && /auto-rollback/.test(l.text), 20_000);
      await sleep(2_500);
      expect(session.getSnapshot().countdown).toBeUndefined();
      expect(readFileSync(join(bed.dir, 'rollbacks.txt'), 'utf8')).toBe('rolled\n');
      expect(Object.values(countBy(bed.service.hooks)).every((n) => n === 1)).toBe(true);
    } finally {
      await session.close();
    }
  }, 60_000);

  it("judges an http source's `for` window on another host from the samples the agent stored, in check and in report --since", async () => {
    const { file } = sharedProfile({ auto: false, rule: 'rollback: "> 2%", for: 4s' });
    bed.service.rate = 0.05;
    const a = agent(file, 'host-a');
    await a.waitFor((l) => l.event === 'metric' && /error_rate pending → breach/.test(l.text), 20_000);
    // Let a poll round be flushed (250 ms batches).
    await sleep(500);
    const check = await runCli(['check', file, '--state-dir', join(bed.dir, 'host-c'), '--format', 'json'], { env: { DB: db.url } });
    expect(check.stderr).toBe('');
    // One fresh poll cannot fill a 4 s window (HOLD, exit 1): the stored samples do, ROLLBACK (exit 2).
    expect(check.code).toBe(2);
    const report = await runCli(['report', file, '--state-dir', join(bed.dir, 'host-c'), '--since', '1h', '--format', 'json'], { env: { DB: db.url } });
    const canary = (JSON.parse(report.stdout) as { metrics: { groups: { canary: { samples: number; max?: number } }[] }[] }).metrics[0]!.groups[0]!.canary;
    expect(canary.samples).toBeGreaterThanOrEqual(4);
    expect(canary.max).toBe(0.05);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 60_000);

  it('says so when PostgreSQL restarts under a leading agent, stores history again after it, and still rolls back once', async (ctx) => {
    if (!db.outage) ctx.skip();
    const { file, table } = sharedProfile();
    const a = agent(file, 'host-a');
    await a.waitFor(leads);
    const b = agent(file, 'host-b');
    await b.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby'));
    await a.waitFor((l) => l.event === 'warm');
    await admin.end().catch(() => undefined);
    await db.outage!.down();
    try {
      // Longer than the stale time: the leader fences itself and steps down.
      await a.waitFor((l) => l.event === 'lease' && l.level === 'warn' && /^lease lost: no heartbeat for \ds/.test(l.text), 10_000);
      await a.waitFor((l) => l.event === 'history' && l.level === 'error' && new RegExp(`^history on ${table}_history_\\*: writing failed \\(`).test(l.text), 10_000);
    } finally {
      await db.outage!.up();
      admin = await connect();
    }
    const back = (x: RunningAgent) => x.lines.some(leads) && x.lines.findLastIndex(leads) > x.lines.findIndex((l) => /^lease lost/.test(l.text));
    const deadline = Date.now() + 20_000;
    while (!back(a) && !b.lines.some(leads) && Date.now() < deadline) await sleep(100);
    const leader = back(a) ? a : b;
    const standby = leader === a ? b : a;
    expect(leader.lines.some(leads)).toBe(true);
    await a.waitFor((l) => l.event === 'history' && l.text === 'history stored again', 15_000);
    // Said once, not once a second for the whole outage.
    expect(a.lines.filter((l) => l.event === 'history' && l.level === 'error')).toHaveLength(1);
    // The standby, which could not see the lease row either, kept storing nothing: no second copy of the outage's samples.
    expect(b.lines.filter((l) => l.event === 'history' && l.level === 'error').map((l) => `${l.time} ${l.text}`)).toEqual([]);
    expect(a.lines.filter((l) => l.event === 'lease' && l.level === 'error').length).toBeLessThanOrEqual(2);

    bed.service.rate = 0.05;
    await leader.waitFor((l) => l.event === 'action' && /auto-rollback/.test(l.text), 20_000);
    await sleep(2_500);
    expect(readFileSync(join(bed.dir, 'rollbacks.txt'), 'utf8')).toBe('rolled\n');
    expect(countBy(bed.service.hooks).action).toBe(1);
    expect(Object.values(countBy(bed.service.hooks)).every((n) => n === 1)).toBe(true);
    expect(acted(standby)).toEqual([]);
    // Samples stored after the restart reach the database.
    const after = Number((await admin.query(`SELECT count(*) AS n FROM ${table}_history_recent WHERE at > $1`, [Date.now() - 3_000])).rows[0].n);
    expect(after).toBeGreaterThan(0);
  }, 90_000);
});
