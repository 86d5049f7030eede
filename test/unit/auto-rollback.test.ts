import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutoRollback, type AutoRollbackEvent } from '../../src/actions/auto-rollback.js';
import { AuditLog, readAudit } from '../../src/actions/audit.js';
import { ActionRunner } from '../../src/actions/runner.js';
import { openStateStore } from '../../src/actions/state-store.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { RolloutStore } from '../../src/engine/state.js';
import type { Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';

const ARGS = resolve(import.meta.dirname, '../fixtures/scripts/args.sh');
const SLOW = resolve(import.meta.dirname, '../fixtures/scripts/slow.sh');
const identity = { user: 'alice', host: 'bastion-1' };
const GRACE = 60_000;

type Actions = NonNullable<ProfileInput['actions']>;
const ROLLBACK: Actions = { rollback: { run: [ARGS, '{{rollback.traffic}}'] } };

/** JSON is YAML: the profile goes through the real loader, its auto rule included. */
function profileWith(actions: Actions): Profile {
  const input: ProfileInput = {
    name: 'checkout',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
    rules: [{ metric: 'error_rate', rollback: '> 2%', auto: true, grace: '60s' }],
    phases: [
      { name: 'canary', traffic: 10 },
      { name: 'full', traffic: 100 },
    ],
    actions,
  };
  return parseProfile(JSON.stringify(input), 'checkout.yaml').profile;
}

let dir: string;
let clock: VirtualClock;
const opened: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-auto-'));
  clock = new VirtualClock();
});

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
  await rm(dir, { recursive: true, force: true });
});

function snapshot(firing: boolean, rolledBack = false): Snapshot {
  return {
    at: clock.now(),
    profile: 'checkout',
    decision: firing ? 'ROLLBACK' : 'SOAK',
    reasons: firing ? ['error_rate 2.4% > 2% for 5m (rollback)'] : [],
    metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state: firing ? 'breach' : 'ok', value: firing ? 0.024 : 0.004, thresholds: [] }],
    phase: { index: 0, name: 'canary', title: 'canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
    ...(firing ? { autoRollback: { metric: 'error_rate', text: '> 2%', firedAt: clock.now(), graceMs: GRACE } } : {}),
    ...(rolledBack ? { rolledBack: { at: clock.now(), traffic: 0, phase: null } } : {}),
  };
}

async function setup(opts: { actions?: Actions; store?: RolloutStore } = {}) {
  const profile = profileWith(opts.actions ?? ROLLBACK);
  const store = opts.store ?? (await openStateStore(profile, { dir, clock }));
  audit = await AuditLog.open(join(dir, 'checkout.audit.jsonl'));
  if (!opts.store) opened.push(store);
  opened.push(audit);
  const runner = new ActionRunner({ profile, store, audit, clock, identity });
  const auto = new AutoRollback({ profile, runner, audit, clock, identity });
  const events: AutoRollbackEvent[] = [];
  auto.subscribe((e) => events.push(e));
  const fired = new Promise<AutoRollbackEvent>((r) => auto.subscribe((e) => e.type === 'fired' && r(e)));
  return { profile, store, runner, auto, events, fired };
}

let audit: AuditLog;
const audited = async () => {
  await audit.flush();
  return (await readAudit(join(dir, 'checkout.audit.jsonl'))).entries;
};

describe('auto-rollback', () => {
  it('counts the grace period down and then runs the rollback action automatically', async () => {
    const { auto, store, events, fired } = await setup();
    const started = clock.now();
    auto.update(snapshot(true));
    expect(auto.countdown).toEqual({ metric: 'error_rate', text: '> 2%', startedAt: started, deadline: started + GRACE, remainingMs: GRACE });
    await clock.advance(45_000);
    auto.update(snapshot(true));
    expect(auto.countdown?.remainingMs).toBe(15_000);
    expect(store.read().rolledBack).toBeNull();

    await clock.advance(15_000);
    const event = await fired;
    expect(event).toMatchObject({ type: 'fired', outcome: { action: 'rollback', ok: true, auto: true, outputTail: ['arg=0'] } });
    expect(auto.countdown).toBeUndefined();
    expect(store.read().rolledBack).toMatchObject({ at: started + GRACE, by: 'alice@bastion-1 (auto-rollback)' });
    expect(events.map((e) => e.type)).toEqual(['started', 'fired']);
    const entries = await audited();
    expect(entries.map((e) => e.event)).toEqual(['auto-rollback-start', 'action-start', 'action']);
    expect(entries[0]).toMatchObject({ metric: 'error_rate', graceMs: GRACE, decision: 'ROLLBACK' });
    expect(entries[1]).toMatchObject({ action: 'rollback', auto: true, run: entries[2]!.run });
    expect(entries[2]).toMatchObject({ action: 'rollback', auto: true, forced: false, ok: true });
  });

  it('cancels on a key, audits who cancelled, and does not restart for the same breach', async () => {
    const { auto, store, events } = await setup();
    auto.update(snapshot(true));
    await clock.advance(20_000);
    expect(auto.cancel('alice@bastion-1')).toBe(true);
    expect(auto.countdown).toBeUndefined();
    auto.update(snapshot(true));
    await clock.advance(5 * GRACE);
    auto.update(snapshot(true));
    expect(auto.countdown).toBeUndefined();
    expect(store.read().rolledBack).toBeNull();
    expect(events).toEqual([
      expect.objectContaining({ type: 'started' }),
      { type: 'cancelled', metric: 'error_rate', by: 'alice@bastion-1' },
    ]);
    const cancel = (await audited()).find((e) => e.event === 'auto-rollback-cancel');
    expect(cancel).toMatchObject({ cancelled: true, by: 'alice@bastion-1', metric: 'error_rate', user: 'alice' });
  });

  it('starts a new countdown once the breach has recovered and fires again', async () => {
    const { auto } = await setup();
    auto.update(snapshot(true));
    auto.cancel('alice@bastion-1');
    auto.update(snapshot(false));
    await clock.advance(10_000);
    auto.update(snapshot(true));
    expect(auto.countdown).toMatchObject({ startedAt: clock.now(), remainingMs: GRACE });
    auto.dispose();
  });

  it('stops by itself when the metric recovers during the grace period', async () => {
    const { auto, store, events } = await setup();
    auto.update(snapshot(true));
    await clock.advance(30_000);
    auto.update(snapshot(false));
    expect(auto.countdown).toBeUndefined();
    await clock.advance(2 * GRACE);
    expect(store.read().rolledBack).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'cancelled', metric: 'error_rate', by: 'recovered' });
    expect((await audited()).at(-1)).toMatchObject({ event: 'auto-rollback-cancel', by: 'recovered', note: 'error_rate recovered during the grace period' });
  });

  it('counts down only on the console that holds the rollout lock', async () => {
    const profile = profileWith(ROLLBACK);
    const holder = await openStateStore(profile, { dir, clock });
    const follower = await openStateStore(profile, { dir, clock });
    opened.push(holder, follower);
    const { auto, events } = await setup({ store: follower });
    auto.update(snapshot(true));
    auto.update(snapshot(true));
    expect(auto.countdown).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'notice' });
    expect((events[0] as { message: string }).message).toMatch(
      /^auto-rollback: error_rate > 2% is firing, but read-only: locked by .+ \(pid \d+\); no countdown on this console$/,
    );
  });

  it('does not count down again once the rollout is rolled back', async () => {
    const { auto } = await setup();
    auto.update(snapshot(true, true));
    expect(auto.countdown).toBeUndefined();
  });

  it('waits for a running action to finish before rolling back', async () => {
    const { auto, runner, store, events, fired } = await setup({
      actions: { ...ROLLBACK, deploy: { run: [SLOW, '1'] } },
    });
    auto.update(snapshot(true));
    const deploying = runner.run({ action: 'deploy', snapshot: snapshot(true) });
    await clock.advance(GRACE);
    expect(events.at(-1)).toEqual({ type: 'notice', message: 'auto-rollback: waiting for "deploy" to finish' });
    await deploying;
    await clock.advance(1_000);
    await fired;
    expect(store.read().rolledBack).not.toBeNull();
  });
});
