import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lease, leasePath, readLease, type LeaseEvent } from '../../src/actions/lease.js';

let dir: string;
let file: string;
/** The wall clock (written down, may jump) and the monotonic one (what the lease times itself by). */
let now: number;
let mono: number;
const clock = () => now;
const elapsed = () => mono;
const leases: Lease[] = [];

/** Real time passing: both clocks move. */
function pass(ms: number): void {
  now += ms;
  mono += ms;
}

function lease(user: string): { lease: Lease; events: LeaseEvent[] } {
  const l = new Lease(file, { user, heartbeatMs: 1_000, staleMs: 3_000, now: clock, elapsed });
  const events: LeaseEvent[] = [];
  l.on((e) => events.push(e));
  leases.push(l);
  return { lease: l, events };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-lease-'));
  file = leasePath(dir, 'checkout-v2');
  now = Date.now();
  mono = 1_000_000;
});
afterEach(async () => {
  for (const l of leases.splice(0)) l.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the lease on a rollout', () => {
  it('goes to the first agent while the second stands by naming the holder', () => {
    const a = lease('alice');
    const b = lease('bob');
    a.lease.check();
    b.lease.check();
    expect(a.lease.held).toBe(true);
    expect(b.lease.held).toBe(false);
    expect(b.events).toEqual([{ type: 'standby', holder: `agent alice@${hostname()} (pid ${process.pid})` }]);
    expect(readLease(file)?.user).toBe('alice');
  });

  it('passes to the standby once the holder lets it go', () => {
    const a = lease('alice');
    const b = lease('bob');
    a.lease.check();
    a.lease.stop();
    expect(existsSync(file)).toBe(false);
    b.lease.check();
    expect(b.lease.held).toBe(true);
  });

  it('is taken over when its heartbeat is stale, and the old holder steps down without acting again', () => {
    const a = lease('alice');
    const b = lease('bob');
    a.lease.check();
    b.lease.check();
    pass(3_001);
    // The holder sees for itself that its heartbeat is too old, before any standby moves.
    expect(a.lease.held).toBe(false);
    b.lease.check();
    expect(b.lease.held).toBe(true);
    expect(b.events.at(-1)).toMatchObject({ type: 'acquired', took: { user: 'alice' } });
    a.lease.check();
    expect(a.events.at(-1)).toEqual({ type: 'lost', reason: 'no heartbeat for 3s; stepping down' });
    expect(a.lease.held).toBe(false);
    expect(readLease(file)?.user).toBe('bob');
  });

  it('stays with a holder that keeps beating', () => {
    const a = lease('alice');
    const b = lease('bob');
    for (let i = 0; i < 10; i++) {
      a.lease.check();
      b.lease.check();
      pass(1_000);
    }
    expect(a.lease.held).toBe(true);
    expect(b.lease.held).toBe(false);
  });

  it('stays with a beating holder when the wall clock jumps an hour forward or back', () => {
    const a = lease('alice');
    const b = lease('bob');
    for (const jump of [3_600_000, -7_200_000]) {
      now += jump;
      for (let i = 0; i < 5; i++) {
        a.lease.check();
        b.lease.check();
        pass(1_000);
        expect(a.lease.held).toBe(true);
      }
    }
    expect(b.lease.held).toBe(false);
    expect(a.events).toEqual([{ type: 'acquired', took: undefined }]);
    expect(readLease(file)?.user).toBe('alice');
  });

  it('is taken over from a silent holder after staleMs of the standby\'s own time, though the wall clock went back', () => {
    const a = lease('alice');
    const b = lease('bob');
    a.lease.check();
    b.lease.check();
    // Alice stops beating; the wall clock is set back a day, which makes her last beat look recent.
    now -= 86_400_000;
    pass(2_000);
    b.lease.check();
    expect(b.lease.held).toBe(false);
    pass(1_001);
    b.lease.check();
    expect(b.lease.held).toBe(true);
    expect(a.lease.held).toBe(false);
  });

  it('is taken at once from a process of this host that is gone', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(file, JSON.stringify({ pid: dead, host: hostname(), user: 'carol', role: 'agent', acquiredAt: now, heartbeatAt: now, staleMs: 3_000, nonce: 'x' }));
    const b = lease('bob');
    b.lease.check();
    expect(b.lease.held).toBe(true);
    expect(b.events).toEqual([expect.objectContaining({ type: 'acquired', took: expect.objectContaining({ user: 'carol', pid: dead }) })]);
  });

  it('tells a holder whose lease another process replaced that it is lost', () => {
    const a = lease('alice');
    a.lease.check();
    writeFileSync(file, JSON.stringify({ ...readLease(file)!, nonce: 'someone-else', user: 'mallory' }));
    pass(1_000);
    a.lease.check();
    expect(a.lease.held).toBe(false);
    expect(a.events.at(-1)).toEqual({ type: 'lost', reason: `taken over by agent mallory@${hostname()} (pid ${process.pid})` });
  });
});
