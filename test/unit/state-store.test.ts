// The rollout state file on a real file system: atomic writes, the lock that makes a second
// console read-only, taking over a dead console's lock, and files that cannot be trusted.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProfile } from '../../src/profile/load.js';
import { defaultStateDir, isStateStoreError, openStateStore, statePath } from '../../src/actions/state-store.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { promoted, type RolloutStore } from '../../src/engine/state.js';

const T0 = Date.UTC(2026, 0, 5, 9);

const profile = parseProfile(
  `
name: checkout-v2
sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }
metrics: { error_rate: { source: prom, query: q, unit: ratio } }
phases:
  - { name: canary, traffic: 10 }
  - { name: ramp-50, traffic: 50 }
  - { name: full, traffic: 100 }
`,
  'test.yaml',
  { env: {} },
).profile;

let dir: string;
let clock: VirtualClock;
const open: RolloutStore[] = [];

async function openStore(opts: Parameters<typeof openStateStore>[1] = {}): Promise<RolloutStore> {
  const store = await openStateStore(profile, { dir, clock, user: 'alice@bastion', ...opts });
  open.push(store);
  return store;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-state-'));
  clock = new VirtualClock(T0);
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

function fileState() {
  return readFile(statePath(profile, dir), 'utf8').then((text) => JSON.parse(text));
}

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the rollout state store', () => {
  it('starts a new rollout at the first phase and writes it down', async () => {
    const store = await openStore();
    expect(store.readOnly).toBe(false);
    expect(store.notice).toBeUndefined();
    expect(store.read()).toMatchObject({ profile: 'checkout-v2', phase: 0, phaseStartedAt: T0, history: [] });
    expect(await fileState()).toMatchObject({ version: 1, profile: 'checkout-v2', phase: 0, phaseName: 'canary' });
  });

  it('persists every update atomically, leaving no temporary file behind', async () => {
    const store = await openStore();
    await store.update((s) => promoted(s, T0 + 1_000, 'alice@bastion', profile.phases.length));
    expect(await fileState()).toMatchObject({ phase: 1, phaseName: 'ramp-50', phaseStartedAt: T0 + 1_000 });
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);

    await store.close();
    const again = await openStore();
    expect(again.read()).toMatchObject({ phase: 1, history: [{ from: 0, to: 1, by: 'alice@bastion', reason: 'promote' }] });
  });

  it('tells subscribers about each change', async () => {
    const store = await openStore();
    const seen: number[] = [];
    store.subscribe((s) => seen.push(s.phase));
    await store.update((s) => promoted(s, T0, 'alice', 3));
    await store.update((s) => promoted(s, T0, 'alice', 3));
    expect(seen).toEqual([1, 2]);
  });

  it('opens a second console read-only and says who holds the lock', async () => {
    await openStore();
    const second = await openStore({ user: 'bob@bastion' });
    expect(second.readOnly).toBe(true);
    expect(second.notice).toBe(`locked by ${(await lockOwner()).user}@${hostname()} (pid ${process.pid})`);
    await expect(second.update((s) => s)).rejects.toThrow(/read-only: locked by/);
  });

  it('lets a read-only console follow the moves the lock holder makes', async () => {
    const holder = await openStore();
    const follower = await openStore();
    const heard = new Promise<number>((resolve) => follower.subscribe((s) => resolve(s.phase)));
    await holder.update((s) => promoted(s, T0 + 5_000, 'alice', 3));
    // Heard through the file watch alone, before anything asks it to read.
    expect(await heard).toBe(1);
    expect(follower.read().phase).toBe(1);
  });

  it('releases the lock on close so the next console can write', async () => {
    const first = await openStore();
    await first.close();
    const next = await openStore();
    expect(next.readOnly).toBe(false);
  });

  it('takes over a lock left by a console that died', async () => {
    const pid = deadPid();
    await writeFile(join(dir, 'checkout-v2.lock'), JSON.stringify({ pid, user: 'carol', host: hostname(), at: T0, nonce: 'x' }));
    const store = await openStore();
    expect(store.readOnly).toBe(false);
    expect((await lockOwner()).pid).toBe(process.pid);
  });

  it('respects a lock held from another host, whose process it cannot see', async () => {
    await writeFile(join(dir, 'checkout-v2.lock'), JSON.stringify({ pid: 4242, user: 'alice', host: 'bastion-2', at: T0, nonce: 'x' }));
    const store = await openStore();
    expect(store.readOnly).toBe(true);
    expect(store.notice).toBe('locked by alice@bastion-2 (pid 4242)');
  });

  it('never takes the lock when opened read-only on purpose', async () => {
    const reader = await openStore({ readOnly: true });
    expect(reader.readOnly).toBe(true);
    expect(reader.notice).toBeUndefined();
    const writer = await openStore();
    expect(writer.readOnly).toBe(false);
  });

  it('moves to the phase named by --phase and records who did it', async () => {
    clock = new VirtualClock(T0 + 60_000);
    const store = await openStore({ phase: 'ramp-50' });
    expect(store.read()).toMatchObject({
      phase: 1,
      phaseStartedAt: T0 + 60_000,
      history: [{ at: T0 + 60_000, from: 0, to: 1, by: 'alice@bastion', reason: 'set' }],
    });
    expect(await fileState()).toMatchObject({ phaseName: 'ramp-50' });
  });

  it('refuses an unknown --phase with the phases it knows', async () => {
    const error = await openStore({ phase: 'ramp-25' }).catch((e: unknown) => e);
    expect(isStateStoreError(error)).toBe(true);
    expect((error as Error).message).toBe('--phase: no phase named "ramp-25" in checkout-v2; phases: canary, ramp-50, full');
    // and leaves no lock behind
    expect((await openStore()).readOnly).toBe(false);
  });

  it('refuses --phase while another console holds the lock', async () => {
    await openStore();
    await expect(openStore({ phase: 'full' })).rejects.toThrow(/--phase full: cannot change the rollout state: locked by/);
  });

  describe('a state file that cannot be trusted', () => {
    const file = () => statePath(profile, dir);
    const valid = (over: Record<string, unknown>) =>
      JSON.stringify({
        version: 1, profile: 'checkout-v2', phase: 1, phaseName: 'ramp-50', phaseStartedAt: T0,
        checklist: {}, rolledBack: null, paused: false, history: [], ...over,
      });

    it.each([
      { story: 'a corrupt file', text: '{"version": 1, "profile": "checkout-v2", "pha', problem: /is corrupt \(not JSON\)/ },
      { story: 'a file with a wrong field', text: valid({ phaseStartedAt: 'yesterday' }), problem: /is corrupt \(phaseStartedAt: / },
      { story: "another profile's file", text: valid({ profile: 'search-v3' }), problem: /belongs to profile "search-v3", not "checkout-v2"/ },
      { story: 'a file from a newer rollcall', text: valid({ version: 2 }), problem: /was written by a newer rollcall \(format 2; this one reads format 1\)/ },
      { story: 'a phase the profile no longer has', text: valid({ phase: 3, phaseName: 'ramp-75' }), problem: /is at phase "ramp-75", which checkout-v2 no longer has/ },
    ])('keeps $story aside and says it starts again at the first phase', async ({ text, problem }) => {
      await writeFile(file(), text);
      const store = await openStore();
      expect(store.notice).toMatch(problem);
      expect(store.notice).toMatch(/kept as .*checkout-v2\.json\.corrupt-20260105T090000Z; starting again at the first phase \(canary\)$/);
      expect(store.read().phase).toBe(0);
      expect(await readFile(`${file()}.corrupt-20260105T090000Z`, 'utf8')).toBe(text);
      expect(await fileState()).toMatchObject({ phase: 0, phaseName: 'canary' });
    });

    it('leaves a bad file in place when read-only, and says so', async () => {
      await writeFile(file(), 'not json');
      const store = await openStore({ readOnly: true });
      expect(store.notice).toBe(`the state file ${file()} is corrupt (not JSON); starting again at the first phase (canary)`);
      expect(await readFile(file(), 'utf8')).toBe('not json');
    });

    it('finds the phase by name when the profile reordered its phases', async () => {
      await writeFile(file(), valid({ phase: 0, phaseName: 'ramp-50' }));
      const store = await openStore();
      expect(store.notice).toBeUndefined();
      expect(store.read().phase).toBe(1);
    });
  });

  it('defaults to $XDG_STATE_HOME/rollcall, else ~/.local/state/rollcall', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/var/lib/me' })).toBe('/var/lib/me/rollcall');
    expect(defaultStateDir({})).toMatch(/\/\.local\/state\/rollcall$/);
  });
});

async function lockOwner(): Promise<{ pid: number; user: string }> {
  return JSON.parse(await readFile(join(dir, 'checkout-v2.lock'), 'utf8'));
}
