// The shared rollout state on a real PostgreSQL: several consoles on one rollout (each its own
// store, as on different bastions) see each other's moves at once, never lose one another's
// changes, and a database that goes away or holds a row this build cannot read is said plainly.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isStateStoreError, openStateStore } from '../../src/actions/state-store.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { promoted, type RolloutState, type RolloutStore } from '../../src/engine/state.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import type { CheckReport } from '../../src/commands/check-format.js';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';
import { freePort } from '../support/port.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let db: TestPostgres;
let admin: pg.Client;
let tables = 0;
const open: RolloutStore[] = [];

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

afterAll(async () => {
  await admin?.end();
  await db?.stop();
});

/** A profile on the shared store; each test gets a table of its own unless it says otherwise. */
function profileOn(url: string, table = `state_${++tables}`, extra = ''): Profile {
  return parseProfile(
    `
name: checkout-v2
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics: { error_rate: { source: prom, query: q, unit: ratio } }
phases:
  - { name: canary, traffic: 10, checklist: [dashboards open] }
  - { name: ramp-50, traffic: 50 }
  - { name: full, traffic: 100 }
state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}", table: ${table} }
${extra}`,
    'shared.yaml',
    { env: { ROLLOUT_STATE_DATABASE_URL: url } },
  ).profile;
}

async function openStore(profile: Profile, opts: Parameters<typeof openStateStore>[1] = {}): Promise<RolloutStore> {
  const store = await openStateStore(profile, { user: 'alice@bastion-1', ...opts });
  open.push(store);
  return store;
}

/** Resolves with the first state a store hears of that passes `test`. */
function heard(store: RolloutStore, test: (state: RolloutState) => boolean): Promise<RolloutState> {
  return new Promise((resolve) => {
    const off = store.subscribe((state) => {
      if (!test(state)) return;
      off();
      resolve(state);
    });
  });
}

/** Waits (real time) until the console's event log has a line matching each pattern. */
async function logged(session: Session, patterns: RegExp[], ms = 3_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = session.getSnapshot().events.map((e) => e.text);
    if (patterns.every((p) => lines.some((line) => p.test(line)))) return lines;
    if (Date.now() > deadline) throw new Error(`not in the event log: ${patterns.filter((p) => !lines.some((l) => p.test(l))).join(', ')}\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function consoleOn(profile: Profile): Promise<{ session: Session; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-'));
  const session = await openSession(profile, { stateDir: dir, identity: { user: 'alice', host: 'bastion-1' } });
  session.start();
  return { session, dir };
}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms))]);
}

describe('the shared PostgreSQL rollout state', () => {
  it('creates its table on first use and starts the rollout at the first phase', async () => {
    const profile = profileOn(db.url, 'fresh_state');
    expect((await admin.query(`SELECT to_regclass('fresh_state') AS t`)).rows[0].t).toBeNull();
    const store = await openStore(profile);
    expect(store.readOnly).toBe(false);
    expect(store.read()).toMatchObject({ profile: 'checkout-v2', phase: 0, history: [] });
    const row = (await admin.query('SELECT state FROM fresh_state WHERE profile = $1', ['checkout-v2'])).rows[0];
    // The same document the state file holds.
    expect(row.state).toMatchObject({ version: 1, profile: 'checkout-v2', phase: 0, phaseName: 'canary' });
  });

  it('says where the state is shared and that every console may act', async () => {
    const profile = profileOn(db.url);
    await openStore(profile);
    const second = await openStore(profile, { user: 'bob@bastion-2' });
    expect(second.readOnly).toBe(false);
    expect(second.about).toMatch(/^rollout state shared on postgres:\/\/127\.0\.0\.1:\d+\/postgres \(1 other console\): every console may act/);
    expect(second.about).not.toContain(new URL(db.url).password);
  });

  it('shows a promote made on one console on the other within a second, through NOTIFY', async () => {
    const profile = profileOn(db.url);
    const alice = await openStore(profile);
    const bob = await openStore(profile, { user: 'bob@bastion-2' });
    const started = Date.now();
    const seen = heard(bob, (s) => s.phase === 1);
    await alice.update((s) => promoted(s, Date.now(), 'alice@bastion-1', 3));
    const state = await within(2_000, seen);
    // Well before the fallback poll (10 s): the notification did it.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(state.history).toEqual([expect.objectContaining({ from: 0, to: 1, by: 'alice@bastion-1', reason: 'promote' })]);
    expect(bob.read().phase).toBe(1);
  });

  it('lands both of two updates made at the same moment on two consoles', async () => {
    const profile = profileOn(db.url);
    const alice = await openStore(profile);
    const bob = await openStore(profile, { user: 'bob@bastion-2' });
    const tick = (who: string, item: string) => (s: RolloutState): RolloutState => ({
      ...s,
      checklist: { ...s.checklist, canary: { ...(s.checklist.canary ?? {}), [item]: { by: who, at: Date.now() } } },
    });
    // Each console acts on the state it last saw; the database hands each the other's change.
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => alice.update(tick('alice', `a${i}`))),
      ...Array.from({ length: 5 }, (_, i) => bob.update(tick('bob', `b${i}`))),
    ]);
    const row = (await admin.query(`SELECT state, revision FROM state_${tables} WHERE profile = 'checkout-v2'`)).rows[0];
    expect(Object.keys(row.state.checklist.canary).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
    expect(Number(row.revision)).toBe(11);
  });

  it('shares a checklist tick between consoles', async () => {
    const profile = profileOn(db.url);
    const alice = await openStore(profile);
    const bob = await openStore(profile, { user: 'bob@bastion-2' });
    const seen = heard(alice, (s) => s.checklist.canary?.['dashboards open'] !== undefined);
    await bob.update((s) => ({ ...s, checklist: { canary: { 'dashboards open': { by: 'bob@bastion-2', at: 1 } } } }));
    expect((await within(2_000, seen)).checklist.canary).toEqual({ 'dashboards open': { by: 'bob@bastion-2', at: 1 } });
  });

  it('moves to the phase --phase names, recorded for every console', async () => {
    const profile = profileOn(db.url);
    await openStore(profile, { phase: 'ramp-50' });
    const other = await openStore(profile, { user: 'bob@bastion-2' });
    expect(other.read()).toMatchObject({ phase: 1, history: [{ from: 0, to: 1, by: 'alice@bastion-1', reason: 'set' }] });
  });

  it('lets a read-only store follow but refuses its updates, and creates nothing', async () => {
    const profile = profileOn(db.url, 'never_created');
    const reader = await openStore(profile, { readOnly: true });
    expect(reader.readOnly).toBe(true);
    expect(reader.notice).toMatch(/^no rollout state yet in postgres:\/\/127\.0\.0\.1:\d+\/postgres \(table never_created\): judged as phase 1 \(canary\)/);
    await expect(reader.update((s) => s)).rejects.toThrow('the rollout state is read-only: opened read-only');
    expect((await admin.query(`SELECT to_regclass('never_created') AS t`)).rows[0].t).toBeNull();
    await expect(openStore(profile, { readOnly: true, phase: 'full' })).rejects.toThrow('--phase full: cannot change the rollout state: opened read-only');
  });

  it('reports a row written in a newer format and never overwrites it', async () => {
    const profile = profileOn(db.url);
    await (await openStore(profile)).close();
    const newer = { version: 2, profile: 'checkout-v2', phase: 2, phaseName: 'full', future: true };
    await admin.query(`UPDATE state_${tables} SET state = $1::jsonb, revision = revision + 1`, [JSON.stringify(newer)]);
    const store = await openStore(profile);
    expect(store.readOnly).toBe(true);
    expect(store.notice).toMatch(/^the rollout state of checkout-v2 in postgres:\/\/127\.0\.0\.1:\d+\/postgres \(table state_\d+\) was written by a newer rollcall \(format 2; this one reads format 1\); it is left as it is/);
    expect(store.read().phase).toBe(0);
    await expect(store.update((s) => promoted(s, 1, 'alice', 3))).rejects.toThrow(/cannot change now: .*newer rollcall/);
    expect((await admin.query(`SELECT state FROM state_${tables}`)).rows[0].state).toEqual(newer);
  });

  it('reports a row it cannot read, and recovers when someone fixes it', async () => {
    const profile = profileOn(db.url);
    const store = await openStore(profile);
    const broken = heard(store, () => store.readOnly);
    await admin.query(`UPDATE state_${tables} SET state = '{"version": 1, "profile": "checkout-v2"}', revision = revision + 1`);
    await admin.query(`NOTIFY state_${tables}, '{"profile":"checkout-v2","revision":99}'`);
    await within(2_000, broken);
    expect(store.notice).toMatch(/\(table state_\d+\) is corrupt \(phase: /);

    const fixed = heard(store, () => !store.readOnly);
    await admin.query(`DELETE FROM state_${tables}`);
    const writer = await openStore(profile, { user: 'bob@bastion-2', phase: 'full' });
    expect(writer.read().phase).toBe(2);
    await within(2_000, fixed);
    expect(store.read().phase).toBe(2);
  });

  it('fails to open an unreachable database in one line, without the password', async () => {
    const port = await freePort();
    const profile = profileOn(`postgres://rollcall:s3cret-pw@127.0.0.1:${port}/rollouts`);
    const error = await openStateStore(profile, {}).catch((e: unknown) => e);
    expect(isStateStoreError(error)).toBe(true);
    const text = (error as Error).message;
    expect(text).toBe(`cannot open the rollout state on postgres://127.0.0.1:${port}/rollouts: connection refused (postgres://127.0.0.1:${port}/rollouts)`);
    expect(text).not.toContain('s3cret-pw');
  });

  it("tells a console in its event log what another console did", async () => {
    const profile = profileOn(db.url);
    const { session, dir } = await consoleOn(profile);
    try {
      const bob = await openStore(profile, { user: 'bob@bastion-2' });
      await bob.update((s) => ({ ...s, checklist: { canary: { 'dashboards open': { by: 'bob@bastion-2', at: Date.now() } } } }));
      await bob.update((s) => promoted(s, Date.now(), 'bob@bastion-2', 3));
      await logged(session, [
        /^rollout state shared on postgres:\/\/127\.0\.0\.1:\d+\/postgres \(no other console\): every console may act/,
        /^checklist \[x\] dashboards open \(canary\) by bob@bastion-2$/,
        /^phase canary → ramp-50 \(promote\) by bob@bastion-2$/,
      ]);
      expect(session.getSnapshot().rollout.phase).toBe(1);
    } finally {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the phase from the database in `rollcall check`', async () => {
    ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-'));
    try {
      const profile = profileOn(db.url, 'check_state');
      const store = await openStore(profile, { phase: 'ramp-50' });
      await store.close();
      const file = join(dir, 'shared.yaml');
      await writeFile(
        file,
        `
name: checkout-v2
sources: { probe: { type: exec, run: ["${process.execPath}", "-e", "console.log(0.001)"] } }
metrics: { error_rate: { source: probe, query: $, unit: ratio } }
rules: [{ metric: error_rate, rollback: "> 5%" }]
phases:
  - { name: canary, traffic: 10 }
  - { name: ramp-50, traffic: 50 }
  - { name: full, traffic: 100 }
state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}", table: check_state }
`,
      );
      const result = await runCli(['check', file, '--format', 'json', '--state-dir', dir], {
        env: onlyEnv({ ROLLOUT_STATE_DATABASE_URL: db.url }),
      });
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as CheckReport;
      expect(report.phase).toMatchObject({ name: 'ramp-50', index: 1 });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain(new URL(db.url).password);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails `rollcall check` on an unreachable state database with one line and the usage exit code', async () => {
    ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-'));
    try {
      const port = await freePort();
      const file = join(dir, 'shared.yaml');
      await writeFile(
        file,
        `
name: checkout-v2
sources: { probe: { type: exec, run: ["${process.execPath}", "-e", "console.log(0.001)"] } }
metrics: { error_rate: { source: probe, query: $, unit: ratio } }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}" }
`,
      );
      const result = await runCli(['check', file], { env: onlyEnv({ ROLLOUT_STATE_DATABASE_URL: `postgres://rollcall:s3cret-pw@127.0.0.1:${port}/rollouts` }) });
      expect(result.code).toBe(3);
      expect(result.stderr).toBe(`rollcall check: cannot open the rollout state on postgres://127.0.0.1:${port}/rollouts: connection refused (postgres://127.0.0.1:${port}/rollouts)\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Last: it takes the server down.
  it('turns read-only while the database is down, refuses changes but still rolls back, and follows again once it is back', { timeout: 60_000 }, async () => {
    if (!db.outage) return;
    const profile = profileOn(
      db.url,
      undefined,
      `actions:\n  promote: { run: ["${process.execPath}", "-e", ""] }\n  rollback: { run: ["${process.execPath}", "-e", "console.log('flag off')"] }\n`,
    );
    const store = await openStore(profile);
    const { session, dir } = await consoleOn(profile);
    const down = heard(store, () => store.readOnly);
    await admin.end();
    await db.outage.down();
    await within(10_000, down);
    expect(store.notice).toMatch(/^the rollout state store is unreachable \(.*\(postgres:\/\/127\.0\.0\.1:\d+\/postgres\)\); reconnecting, changes to the rollout are refused until it is back$/);
    expect(store.notice).not.toContain(new URL(db.url).password);
    await expect(store.update((s) => promoted(s, 1, 'alice', 3))).rejects.toThrow(/cannot change now: the rollout state store is unreachable/);
    // The console keeps the last state it read.
    expect(store.read().phase).toBe(0);
    await logged(session, [/^rollout state: the rollout state store is unreachable/]);
    expect(session.getSnapshot().mode).toMatchObject({ readOnly: true, readOnlyReason: expect.stringMatching(/^the rollout state store is unreachable/) });
    const refused = await session.run('promote', { forced: true });
    expect(refused).toMatchObject({ refused: true, message: expect.stringMatching(/^read-only: the rollout state store is unreachable/) });
    // A rollback never waits for the state database: it runs, and says its state was not saved.
    expect(session.getSnapshot().mode.retreatOnly).toBe(true);
    const rolledBack = await session.run('rollback', { forced: false });
    expect(rolledBack).toMatchObject({ ok: true, message: expect.stringMatching(/^rollback → exit 0 .*BUT the rollout state was not saved/) });

    const back = heard(store, () => !store.readOnly);
    await db.outage.up();
    await within(15_000, back);
    await store.update((s) => promoted(s, 2, 'alice', 3));
    const other = await openStore(profile, { user: 'bob@bastion-2' });
    expect(other.read().phase).toBe(1);
    await logged(session, [/^rollout state store back: changes to the rollout allowed again$/, /^phase canary → ramp-50 \(promote\) by alice$/], 15_000);
    expect(session.getSnapshot().mode.readOnly).toBe(false);
    await session.close();
    await rm(dir, { recursive: true, force: true });
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
});
