// The lease of a rollout whose state is shared in PostgreSQL, on a real server: one row, one holder
// however many agents race for it, a holder that cannot beat in time steps down, a clean stop hands
// it over at once, and a console's lookout on another host sees who leads.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { LeaseEvent } from '../../src/actions/lease.js';
import { PgLease, PgLeaseLookout } from '../../src/actions/lease-postgres.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let db: TestPostgres;
let admin: pg.Client;
let tables = 0;
const open: { stop?: () => unknown; close?: () => unknown }[] = [];

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterEach(async () => {
  for (const o of open.splice(0)) await (o.stop ?? o.close)!.call(o);
});
afterAll(async () => {
  await admin?.end();
  await db?.stop();
});

function profileOn(table = `lease_${++tables}`): Profile {
  return parseProfile(
    `
name: checkout
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics: { error_rate: { source: prom, query: q, unit: ratio } }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${DB}", table: ${table} }
`,
    'shared.yaml',
    { env: { DB: db.url } },
  ).profile;
}

function lease(profile: Profile, user: string, opts: { staleMs?: number; heartbeatMs?: number; elapsed?: () => number } = {}): { lease: PgLease; events: LeaseEvent[] } {
  const l = new PgLease(profile, profile.state!, { user, role: 'agent', staleMs: opts.staleMs ?? 1_000, heartbeatMs: opts.heartbeatMs ?? 60_000, ...(opts.elapsed ? { elapsed: opts.elapsed } : {}) });
  const events: LeaseEvent[] = [];
  l.on((e) => events.push(e));
  open.push(l);
  return { lease: l, events };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(test: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(20);
  }
}

describe('the PostgreSQL lease', () => {
  it('gives one row to exactly one of six agents racing for it', async () => {
    const profile = profileOn();
    const racers = Array.from({ length: 6 }, (_, i) => lease(profile, `agent-${i}`, { staleMs: 10_000 }));
    // No table and no row yet: all six create the table and insert at the same moment.
    await Promise.all(racers.map((r) => r.lease.check()));
    const holders = racers.filter((r) => r.lease.held);
    expect(holders).toHaveLength(1);
    expect(racers.flatMap((r) => r.events).filter((e) => e.type === 'acquired')).toHaveLength(1);
    expect(racers.flatMap((r) => r.events).filter((e) => e.type === 'problem').map((e) => JSON.stringify(e))).toEqual([]);
    const rows = (await admin.query(`SELECT "user" FROM lease_${tables}_lease WHERE profile = 'checkout'`)).rows;
    const winner = rows[0].user as string;
    expect(rows).toEqual([{ user: winner }]);
    // The others, looking again, name the one that holds it.
    const others = racers.filter((r) => !r.lease.held);
    await Promise.all(others.map((r) => r.lease.check()));
    expect(others.every((r) => r.events.some((e) => e.type === 'standby' && e.holder.startsWith(`agent ${winner}@`)))).toBe(true);
  });

  it('gives one holder when six agents race for an expired row at the same moment', async () => {
    const profile = profileOn();
    const old = lease(profile, 'old', { staleMs: 300 });
    await old.lease.check();
    await sleep(400);
    const racers = Array.from({ length: 6 }, (_, i) => lease(profile, `agent-${i}`, { staleMs: 10_000 }));
    await Promise.all(racers.map((r) => r.lease.check()));
    expect(racers.filter((r) => r.lease.held)).toHaveLength(1);
    const took = racers.flatMap((r) => r.events).filter((e) => e.type === 'acquired');
    expect(took).toHaveLength(1);
    expect(took[0]).toMatchObject({ took: { user: 'old', role: 'agent' } });
  });

  it('fences a holder that could not beat within the stale time, and lets a standby take the row only once it has expired', async () => {
    const profile = profileOn();
    const a = lease(profile, 'alice', { staleMs: 800 });
    const b = lease(profile, 'bob', { staleMs: 800 });
    await a.lease.check();
    expect(a.lease.held).toBe(true);
    await b.lease.check();
    expect(b.lease.held).toBe(false);
    // A stalls (no beat): by its own clock it stops holding before the row expires for B.
    await sleep(900);
    expect(a.lease.held).toBe(false);
    await b.lease.check();
    expect(b.lease.held).toBe(true);
    await a.lease.check();
    expect(a.events.at(-1)).toMatchObject({ type: 'lost', reason: expect.stringMatching(/^no heartbeat for 1s; stepping down$/) });
    expect(a.lease.held).toBe(false);
  });

  it('steps a holder down when its row was taken over, naming who took it', async () => {
    const profile = profileOn();
    // A's clock stands still: it believes its beat is fresh, while the database's expiry passes.
    const a = lease(profile, 'alice', { staleMs: 500, elapsed: () => 0 });
    const b = lease(profile, 'bob', { staleMs: 5_000 });
    await a.lease.check();
    await sleep(600);
    await b.lease.check();
    expect(b.lease.held).toBe(true);
    expect(a.lease.held).toBe(true);
    await a.lease.check();
    expect(a.lease.held).toBe(false);
    expect(a.events.at(-1)).toMatchObject({ type: 'lost', reason: expect.stringMatching(/^taken over by agent bob@\S+ \(pid \d+\)$/) });
  });

  it('renews its row every heartbeat, so a live holder keeps it past the stale time', async () => {
    const profile = profileOn();
    const a = lease(profile, 'alice', { staleMs: 600, heartbeatMs: 150 });
    const b = lease(profile, 'bob', { staleMs: 600 });
    a.lease.start();
    await until(() => a.lease.held, 3_000);
    await sleep(1_500);
    await b.lease.check();
    expect(b.lease.held).toBe(false);
    expect(a.lease.held).toBe(true);
    expect(a.events.filter((e) => e.type !== 'acquired')).toEqual([]);
  });

  it('hands the lease to a started standby at once when the holder stops cleanly', async () => {
    const profile = profileOn();
    const a = lease(profile, 'alice', { staleMs: 30_000 });
    const b = lease(profile, 'bob', { staleMs: 30_000, heartbeatMs: 30_000 });
    await a.lease.check();
    b.lease.start();
    await until(() => b.events.some((e) => e.type === 'standby'), 3_000);
    const stopped = Date.now();
    await a.lease.stop();
    // Long before its heartbeat (30 s): the release was NOTIFYed.
    await until(() => b.lease.held, 3_000);
    expect(Date.now() - stopped).toBeLessThan(1_500);
  });

  it("shows a console on another host the agent holding the lease, and forgets it once the row has expired", async () => {
    const profile = profileOn();
    const lookout = new PgLeaseLookout(profile, profile.state!, 50);
    open.push(lookout);
    await lookout.refresh();
    expect(lookout.look()).toEqual({});
    const a = lease(profile, 'alice', { staleMs: 700 });
    await a.lease.check();
    await lookout.refresh();
    const seen = lookout.look();
    expect(seen.holder).toMatchObject({ user: 'alice', role: 'agent' });
    expect(seen.news).toMatch(/^agent alice@\S+ \(pid \d+\)$/);
    expect(lookout.look().news).toBeUndefined();
    // No beat: once the row's expiry passes the lookout no longer counts it, even without reading again.
    await sleep(800);
    expect(lookout.holder()).toBeUndefined();
  });

  it('names the database without its password when it cannot be reached', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const profile = parseProfile(
      `
name: checkout
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics: { error_rate: { source: prom, query: q, unit: ratio } }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${DB}", timeout: 1s }
`,
      'shared.yaml',
      { env: { DB: url.toString() } },
    ).profile;
    const a = lease(profile, 'alice');
    await a.lease.check();
    expect(a.lease.held).toBe(false);
    const problem = a.events.find((e) => e.type === 'problem');
    expect(problem).toMatchObject({ type: 'problem', text: expect.stringMatching(/^cannot take the lease in table rollcall_state_lease: .*127\.0\.0\.1:1\/postgres/) });
    expect(JSON.stringify(a.events)).not.toContain(url.password);
  });
});
