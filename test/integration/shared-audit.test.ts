// The audit log shared through a PostgreSQL state store, on a real PostgreSQL: each console still
// writes its own file, every entry also lands in `<table>_audit`, the other consoles hear of it,
// `rollcall history` lists every console's entries, and a database that is gone never costs an
// action or its local audit line.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let db: TestPostgres;
let tables = 0;

beforeAll(async () => {
  db = await startPostgres();
});

afterAll(async () => {
  await db?.stop();
});

function profileText(table: string): string {
  return `
name: checkout-v2
sources: { probe: { type: exec, run: ["${process.execPath}", "-e", "console.log(0.001)"] } }
metrics: { error_rate: { source: probe, query: $, unit: ratio } }
phases:
  - { name: canary, traffic: 10 }
  - { name: full, traffic: 100 }
state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}", table: ${table}, timeout: 2s }
actions:
  restart: { run: ["${process.execPath}", "-e", "console.log('restarted')"], confirm: none }
  load-test: { run: ["${process.execPath}", "-e", ""], confirm: none }
  rollback: { run: ["${process.execPath}", "-e", "console.log('flag off')"], confirm: none }
`;
}

function profileOn(table = `audit_${++tables}`): Profile {
  return parseProfile(profileText(table), 'shared.yaml', { env: { ROLLOUT_STATE_DATABASE_URL: db.url } }).profile;
}

async function consoleOn(profile: Profile, user: string, host: string): Promise<{ session: Session; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-audit-'));
  const session = await openSession(profile, { stateDir: dir, identity: { user, host } });
  session.start();
  return { session, dir };
}

async function closeAll(consoles: { session: Session; dir: string }[]): Promise<void> {
  for (const c of consoles) {
    await c.session.close();
    await rm(c.dir, { recursive: true, force: true });
  }
}

/** Waits (real time) until the console's event log has a line matching each pattern. */
async function logged(session: Session, patterns: RegExp[], ms = 5_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = session.getSnapshot().events.map((e) => e.text);
    if (patterns.every((p) => lines.some((line) => p.test(line)))) return lines;
    if (Date.now() > deadline) throw new Error(`not in the event log: ${patterns.filter((p) => !lines.some((l) => p.test(l))).join(', ')}\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the shared audit log', () => {
  it("shows an action that leaves the rollout state alone, run on one console, in the other console's event log", async () => {
    const profile = profileOn();
    const alice = await consoleOn(profile, 'alice', 'bastion-1');
    const bob = await consoleOn(profile, 'bob', 'bastion-2');
    try {
      const outcome = await alice.session.run('restart', { forced: false });
      expect(outcome).toMatchObject({ ok: true });
      const lines = await logged(bob.session, [/^alice@bastion-1 ran restart → exit 0 \(\d+m?s\)$/]);
      expect(lines.filter((l) => l.includes('ran restart'))).toHaveLength(1);
      // Alice's own action is not told back to her as another console's.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(alice.session.getSnapshot().events.map((e) => e.text).some((l) => l.includes('alice@bastion-1 ran'))).toBe(false);
      // The local file is as before.
      const local = (await readFile(join(alice.dir, 'checkout-v2.audit.jsonl'), 'utf8')).trim().split('\n');
      expect(JSON.parse(local.at(-1)!)).toMatchObject({ event: 'action', action: 'restart', user: 'alice', ok: true });
    } finally {
      await closeAll([alice, bob]);
    }
  });

  it('lists the entries of two consoles in time order in `rollcall history`', async () => {
    ensureBuilt();
    const table = `audit_${++tables}`;
    const profile = profileOn(table);
    const alice = await consoleOn(profile, 'alice', 'bastion-1');
    const bob = await consoleOn(profile, 'bob', 'bastion-2');
    const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-audit-'));
    try {
      await alice.session.run('restart', { forced: false });
      await bob.session.run('load-test', { forced: false });
      await alice.session.run('load-test', { forced: false });
      await logged(alice.session, [/^bob@bastion-2 ran load-test → exit 0/]);
      const file = join(dir, 'shared.yaml');
      await writeFile(file, profileText(table));
      // Alice's state dir: her file alone would not have Bob's entry.
      const result = await runCli(['history', file, '--state-dir', alice.dir], { env: onlyEnv({ ROLLOUT_STATE_DATABASE_URL: db.url }) });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/ alice@bastion-1 restart canary → exit 0 /);
      expect(lines[1]).toMatch(/ bob@bastion-2 load-test canary → exit 0 /);
      expect(lines[2]).toMatch(/ alice@bastion-1 load-test canary → exit 0 /);
      expect(result.stdout).not.toContain(new URL(db.url).password);
    } finally {
      await closeAll([alice, bob]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the local audit log with a note in `rollcall history` when the database is unreachable', async () => {
    ensureBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'rollcall-shared-audit-'));
    try {
      const file = join(dir, 'shared.yaml');
      await writeFile(file, profileText('nowhere'));
      await writeFile(
        join(dir, 'checkout-v2.audit.jsonl'),
        `${JSON.stringify({ time: '2026-11-24T03:12:09.000Z', event: 'action', user: 'alice', host: 'bastion-1', profile: 'checkout-v2', phase: 'canary', action: 'restart', exitCode: 0, ok: true, durationMs: 300 })}\n`,
      );
      const result = await runCli(['history', file, '--state-dir', dir], { env: onlyEnv({ ROLLOUT_STATE_DATABASE_URL: 'postgres://rollcall:s3cret-pw@127.0.0.1:1/rollouts' }) });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /^rollcall history: cannot read the shared audit log on postgres:\/\/127\.0\.0\.1:1\/rollouts \(table nowhere_audit\): .*connection refused.*; showing this console's audit log only \(.*checkout-v2\.audit\.jsonl\)\n$/,
      );
      expect(result.stderr).not.toContain('s3cret-pw');
      expect(result.stdout).toBe('2026-11-24T03:12:09Z alice@bastion-1 restart canary → exit 0 (300ms)\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Last: it takes the server down.
  it('keeps the action and its local audit line when the database is unreachable, and says the entry was not shared', { timeout: 60_000 }, async () => {
    if (!db.outage) return;
    const profile = profileOn();
    const alice = await consoleOn(profile, 'alice', 'bastion-1');
    try {
      await db.outage.down();
      await logged(alice.session, [/^rollout state: the rollout state store is unreachable/], 15_000);
      // While the state database is gone only a rollback runs (unsaved): its audit entry cannot be shared either.
      const outcome = await alice.session.run('rollback', { forced: false });
      expect(outcome).toMatchObject({ ok: true, exitCode: 0, message: expect.stringMatching(/^rollback → exit 0 .*BUT the rollout state was not saved/) });
      const local = (await readFile(join(alice.dir, 'checkout-v2.audit.jsonl'), 'utf8')).trim().split('\n');
      expect(JSON.parse(local.at(-1)!)).toMatchObject({ event: 'action', action: 'rollback', ok: true, exitCode: 0 });
      const lines = await logged(alice.session, [/^audit not shared: .*\(postgres:\/\/127\.0\.0\.1:\d+\/postgres\).*; it is in the local audit log only$/], 15_000);
      expect(lines.join('\n')).not.toContain(new URL(db.url).password);
    } finally {
      await db.outage.up();
      await closeAll([alice]);
    }
  });
});
