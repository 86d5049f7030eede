import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionRunner, TAIL_LINES, type RunnerEvent } from '../../src/actions/runner.js';
import { AuditLog, readAudit } from '../../src/actions/audit.js';
import { openStateStore } from '../../src/actions/state-store.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { RolloutStore } from '../../src/engine/state.js';
import type { Decision, Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import type { ProfileInput } from '../../src/profile/schema.js';
import type { Profile } from '../../src/profile/types.js';

const SCRIPTS = resolve(import.meta.dirname, '../fixtures/scripts');
const script = (name: string) => join(SCRIPTS, name);
const identity = { user: 'alice', host: 'bastion-1' };

type ActionInput = NonNullable<ProfileInput['actions']>[string];

function action(id: string, run: string[], extra: Partial<ActionInput> = {}): [string, ActionInput] {
  return [id, { run, timeout: '20s', ...extra }];
}

/** JSON is YAML: the profile goes through the real loader, defaults and checks included. */
function profileWith(actions: Array<[string, ActionInput]>): Profile {
  const input: ProfileInput = {
    name: 'checkout',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
    phases: [
      { name: 'canary', traffic: 10 },
      { name: 'ramp-50', traffic: 50 },
      { name: 'full', traffic: 100 },
    ],
    actions: Object.fromEntries(actions),
  };
  return parseProfile(JSON.stringify(input), 'checkout.yaml').profile;
}

function snapshot(decision: Decision, over: Partial<Snapshot> = {}): Snapshot {
  return {
    at: Date.UTC(2026, 0, 1),
    profile: 'checkout',
    decision,
    reasons: decision === 'HOLD' ? ['error_rate 1.2% > 1% (warn)'] : [],
    metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state: 'ok', value: 0.004, thresholds: [] }],
    phase: { index: 0, name: 'canary', title: 'canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
    ...over,
  };
}

let dir: string;
let clock: VirtualClock;
let store: RolloutStore;
let audit: AuditLog;
const opened: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-runner-'));
  clock = new VirtualClock();
});

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(actions: Array<[string, ActionInput]>, opts: { readOnly?: boolean; dryRun?: boolean } = {}) {
  const profile = profileWith(actions);
  store = await openStateStore(profile, { dir, clock, user: 'alice@bastion-1' });
  audit = await AuditLog.open(join(dir, 'checkout.audit.jsonl'));
  opened.push(store, audit);
  const runner = new ActionRunner({ profile, store, audit, clock, identity, ...opts });
  const events: RunnerEvent[] = [];
  runner.subscribe((e) => events.push(e));
  return { profile, runner, events };
}

const allEntries = async () => (await readAudit(join(dir, 'checkout.audit.jsonl'))).entries;
/** What was recorded about outcomes: every entry but the starts written before each spawn. */
const entries = async () => (await allEntries()).filter((e) => e.event !== 'action-start');

function alive(pid: number): boolean {
  try {
    // A killed child whose parent died waits as a zombie until init reaps it: that is not alive.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('action runner', () => {
  it('runs the argv without a shell, filling placeholders from profile and phase values', async () => {
    const pwned = join(dir, 'pwned');
    const { runner, events } = await setup([
      action('announce', [script('args.sh'), '{{profile.name}}', '{{next.traffic}}', `$(touch ${pwned})`, 'a; rm -rf /']),
    ]);
    const outcome = await runner.run({ action: 'announce', snapshot: snapshot('SOAK') });
    expect(outcome.ok).toBe(true);
    expect(outcome.argv).toEqual([script('args.sh'), 'checkout', '50', `$(touch ${pwned})`, 'a; rm -rf /']);
    expect(outcome.outputTail).toEqual(['arg=checkout', 'arg=50', `arg=$(touch ${pwned})`, 'arg=a; rm -rf /']);
    expect(events.map((e) => e.type)).toEqual(['start', 'output', 'output', 'output', 'output', 'end']);
    expect(existsSync(pwned)).toBe(false);
  });

  it('has the start on disk before the command runs, paired with its end by the run id', async () => {
    const log = join(dir, 'checkout.audit.jsonl');
    // The command reads the audit log itself: its own start must already be there.
    const { runner } = await setup([action('restart', ['/bin/sh', '-c', 'grep -c \'"event":"action-start"\' "$0"', log])]);
    const outcome = await runner.run({ action: 'restart', snapshot: snapshot('HOLD') });
    expect(outcome.outputTail).toEqual(['1']);
    const [start, end] = await allEntries();
    expect(start).toMatchObject({ event: 'action-start', action: 'restart', pid: process.pid, user: 'alice', decision: 'HOLD' });
    expect(end).toMatchObject({ event: 'action', action: 'restart', ok: true, run: start!.run });
    expect(start!.run).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses, and audits, an action whose variables were not set when the profile was loaded for check or report', async () => {
    const text = JSON.stringify({
      name: 'checkout',
      sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
      metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
      phases: [{ name: 'canary', traffic: 10 }],
      actions: { rollback: { run: [script('args.sh'), '${FLAG_TOKEN}'] } },
    });
    const profile = parseProfile(text, 'checkout.yaml', { env: {}, envMode: 'sources' }).profile;
    store = await openStateStore(profile, { dir, clock, user: 'alice@bastion-1' });
    audit = await AuditLog.open(join(dir, 'checkout.audit.jsonl'));
    opened.push(store, audit);
    const runner = new ActionRunner({ profile, store, audit, clock, identity });
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome).toMatchObject({ refused: true, message: 'rollback needs FLAG_TOKEN, not set when the profile was loaded' });
    expect(await allEntries()).toMatchObject([{ event: 'refused', action: 'rollback' }]);
  });

  it('writes no start for a dry run, which spawns nothing', async () => {
    const { runner } = await setup([action('restart', [script('args.sh')])], { dryRun: true });
    await runner.run({ action: 'restart', snapshot: snapshot('HOLD') });
    expect((await allEntries()).map((e) => e.event)).toEqual(['action']);
  });

  it('never lets a metric label or value reach a command, even through a shell', async () => {
    const pwned = join(dir, 'pwned');
    const hostile = `x; rm -rf ${dir}; $(touch ${pwned})`;
    const { runner } = await setup([
      action('argv', [script('args.sh'), '{{phase.name}}', '{{phase.traffic}}']),
      action('sh', ['echo', 'phase={{phase.name}}', 'traffic={{phase.traffic}}'], { shell: true }),
    ]);
    const snap = snapshot('HOLD', {
      reasons: [hostile],
      metrics: [
        { id: 'error_rate', title: hostile, unit: 'ratio', state: 'warn', value: 0.012, group: `endpoint=${hostile}`, reason: hostile, thresholds: [] },
      ],
    });
    const viaArgv = await runner.run({ action: 'argv', snapshot: snap });
    const viaShell = await runner.run({ action: 'sh', snapshot: snap });
    expect(viaArgv.argv).toEqual([script('args.sh'), 'canary', '10']);
    expect(viaShell.argv).toEqual(['/bin/sh', '-c', 'echo phase=canary traffic=10']);
    expect(viaShell.outputTail).toEqual(['phase=canary traffic=10']);
    expect(existsSync(pwned)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  it('runs through /bin/sh only where the profile writes shell: true', async () => {
    const { runner } = await setup([
      action('plain', ['echo', 'one; echo two']),
      action('shell', ['echo', 'one;', 'echo', 'two'], { shell: true }),
    ]);
    expect((await runner.run({ action: 'plain', snapshot: snapshot('SOAK') })).outputTail).toEqual(['one; echo two']);
    expect((await runner.run({ action: 'shell', snapshot: snapshot('SOAK') })).outputTail).toEqual(['one', 'two']);
  });

  it('merges the action env over the environment it was started with', async () => {
    const { runner } = await setup([action('env', ['/bin/sh', '-c', 'echo "$FLAG_ENV $PATH"'], { env: { FLAG_ENV: 'staging' } })]);
    const outcome = await runner.run({ action: 'env', snapshot: snapshot('SOAK') });
    expect(outcome.outputTail).toEqual([`staging ${process.env.PATH}`]);
  });

  it('moves the rollout to the next phase after a successful promote', async () => {
    const { runner } = await setup([action('promote', [script('args.sh'), '{{next.traffic}}'])]);
    await clock.advance(60_000);
    const outcome = await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/promote → exit 0 \(\d+m?s\); rollout now in ramp-50 \(50% traffic\)/);
    const state = store.read();
    expect(state.phase).toBe(1);
    expect(state.phaseStartedAt).toBe(clock.now());
    expect(state.history.at(-1)).toMatchObject({ from: 0, to: 1, by: 'alice@bastion-1', reason: 'promote' });
  });

  it('marks the rollout rolled back after a successful rollback', async () => {
    const { runner } = await setup([action('rollback', [script('args.sh'), '{{rollback.traffic}}'])]);
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputTail).toEqual(['arg=0']);
    expect(store.read().rolledBack).toMatchObject({ by: 'alice@bastion-1', traffic: 0 });
  });

  it('records the share a partial rollback set, in the rollout state, the outcome and the audit log', async () => {
    const { runner } = await setup([
      action('promote', [script('args.sh')]),
      action('reduce-to-5', [script('args.sh'), '5'], { effect: { traffic: 5 } }),
    ]);
    await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    await clock.advance(60_000);
    const outcome = await runner.run({ action: 'reduce-to-5', snapshot: snapshot('HOLD') });
    expect(outcome.message).toMatch(/^reduce-to-5 → exit 0 \(\d+m?s\); traffic now 5% \(reduced from 50%\)$/);
    expect(outcome.traffic).toEqual({ share: 5, from: 50 });
    expect(store.read()).toMatchObject({ phase: 1, traffic: { share: 5, from: 50, at: clock.now(), by: 'alice@bastion-1', action: 'reduce-to-5' } });
    expect((await entries()).at(-1)).toMatchObject({ event: 'action', action: 'reduce-to-5', traffic: 5, trafficFrom: 50 });
    const saved = JSON.parse(readFileSync(join(dir, 'checkout.json'), 'utf8'));
    expect(saved.traffic).toMatchObject({ share: 5, from: 50 });
  });

  it('reduces to the previous phase’s share with traffic: prev, and a promote clears it', async () => {
    const { runner } = await setup([
      action('promote', [script('args.sh')]),
      action('reduce', [script('args.sh'), '{{prev.traffic}}'], { effect: { traffic: 'prev' } }),
    ]);
    await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    const outcome = await runner.run({ action: 'reduce', snapshot: snapshot('HOLD') });
    expect(outcome.outputTail).toEqual(['arg=50']);
    expect(store.read().traffic).toMatchObject({ share: 50, from: 100 });
    await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    expect(store.read().traffic).toBeNull();
  });

  it('leaves the recorded share alone when a partial rollback fails', async () => {
    const { runner } = await setup([action('reduce-to-5', [script('fail.sh'), '3'], { effect: { traffic: 5 } })]);
    const outcome = await runner.run({ action: 'reduce-to-5', snapshot: snapshot('HOLD') });
    expect(outcome.ok).toBe(false);
    expect(outcome.traffic).toBeUndefined();
    expect(store.read().traffic ?? null).toBeNull();
  });

  it('leaves the rollout state unchanged when the command fails, and says so loudly', async () => {
    const { runner, events } = await setup([action('promote', [script('fail.sh'), '3'])]);
    const outcome = await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    expect(outcome).toMatchObject({ ok: false, exitCode: 3, signal: null });
    expect(outcome.message).toMatch(/^promote FAILED: exit 3 after \d+m?s; rollout state unchanged$/);
    expect(outcome.outputTail).toContain('flagctl: permission denied');
    expect(events).toContainEqual({ type: 'output', action: 'promote', stream: 'stderr', line: 'flagctl: permission denied' });
    expect(events.at(-1)).toEqual({ type: 'end', outcome });
    expect(store.read().phase).toBe(0);
    expect(store.read().history).toEqual([]);
    const [entry] = await entries();
    expect(entry).toMatchObject({ event: 'action', action: 'promote', ok: false, exitCode: 3, note: outcome.message });
  });

  it('says a command that cannot be started could not be started', async () => {
    const { runner } = await setup([action('rollback', [join(dir, 'no-such-flagctl'), 'set', '0'])]);
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toBe(`rollback FAILED: could not start "${join(dir, 'no-such-flagctl')}": command not found; rollout state unchanged`);
    expect(outcome.error).toBe(`could not start "${join(dir, 'no-such-flagctl')}": command not found`);
    expect((await entries())[0]).toMatchObject({ ok: false, exitCode: null, error: outcome.error });
    expect(store.read().rolledBack).toBeNull();
  });

  it('stops a command that outlives its timeout and changes nothing', async () => {
    const { runner } = await setup([action('rollback', [script('slow.sh'), '60'], { timeout: '1s' })]);
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome).toMatchObject({ ok: false, timedOut: true, signal: 'SIGTERM', outputTail: ['started'] });
    expect(outcome.message).toBe('rollback FAILED: timed out after 1s, process group killed (SIGTERM); rollout state unchanged');
    expect(store.read().rolledBack).toBeNull();
    expect((await entries())[0]).toMatchObject({ timedOut: true, ok: false });
  });

  it('kills a command that ignores SIGTERM with SIGKILL', async () => {
    const { runner } = await setup([action('stubborn', [script('ignore-term.sh')], { timeout: '1s' })]);
    const outcome = await runner.run({ action: 'stubborn', snapshot: snapshot('SOAK') });
    expect(outcome).toMatchObject({ ok: false, timedOut: true, signal: 'SIGKILL', outputTail: ['ignoring SIGTERM'] });
  });

  it('takes down the children a command started along with it', async () => {
    const pids = join(dir, 'pids');
    const { runner } = await setup([action('spawner', [script('spawn-children.sh'), pids], { timeout: '2s' })]);
    const outcome = await runner.run({ action: 'spawner', snapshot: snapshot('SOAK') });
    expect(outcome.timedOut).toBe(true);
    const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(children).toHaveLength(2);
    expect(children.filter(alive)).toEqual([]);
  });

  it('streams a flood of output line by line and keeps only the last lines in the outcome', async () => {
    const { runner } = await setup([action('flood', [script('flood.sh'), '100000'])]);
    let streamed = 0;
    let last: RunnerEvent | undefined;
    runner.subscribe((e) => {
      if (e.type === 'output') {
        streamed++;
        last = e;
      }
    });
    const outcome = await runner.run({ action: 'flood', snapshot: snapshot('SOAK') });
    expect(outcome.ok).toBe(true);
    expect(streamed).toBe(100_000);
    expect(last).toEqual({ type: 'output', action: 'flood', stream: 'stdout', line: 'line 100000' });
    expect(outcome.outputTail).toHaveLength(TAIL_LINES);
    expect(outcome.outputTail.at(-1)).toBe('line 100000');
  });

  it('refuses a second action while one runs, naming the running one', async () => {
    const { runner, events } = await setup([action('deploy', [script('slow.sh'), '1']), action('rollback', [script('args.sh')])]);
    const first = runner.run({ action: 'deploy', snapshot: snapshot('SOAK') });
    expect(runner.busy).toBe('deploy');
    const second = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(second).toMatchObject({ refused: true, ok: false, message: 'busy: "deploy" is running; one action at a time' });
    expect(events).toContainEqual({ type: 'refused', action: 'rollback', reason: 'busy: "deploy" is running; one action at a time' });
    expect((await first).ok).toBe(true);
    expect(runner.busy).toBeUndefined();
  });

  it('refuses promote unless the decision is PROMOTE, and audits a forced one as forced', async () => {
    const { runner } = await setup([action('promote', [script('args.sh'), '{{next.traffic}}'])]);
    const refused = await runner.run({ action: 'promote', snapshot: snapshot('HOLD') });
    expect(refused.refused).toBe(true);
    expect(refused.message).toBe(
      'promote needs the decision PROMOTE; it is HOLD (error_rate 1.2% > 1% (warn)); force it with a second confirmation',
    );
    expect(store.read().phase).toBe(0);
    const forced = await runner.run({ action: 'promote', snapshot: snapshot('HOLD'), forced: true });
    expect(forced).toMatchObject({ ok: true, forced: true });
    expect(store.read().phase).toBe(1);
    const [first, second] = await entries();
    expect(first).toMatchObject({ event: 'refused', action: 'promote', forced: false, decision: 'HOLD' });
    expect(second).toMatchObject({ event: 'action', action: 'promote', forced: true, ok: true, decision: 'HOLD' });
  });

  it('refuses every action in read-only mode and says so', async () => {
    const touched = join(dir, 'touched');
    const { runner, events } = await setup([action('rollback', ['touch', touched])], { readOnly: true });
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome).toMatchObject({ refused: true, message: 'read-only: actions are disabled (--read-only)' });
    expect(events).toEqual([{ type: 'refused', action: 'rollback', reason: 'read-only: actions are disabled (--read-only)' }]);
    expect(existsSync(touched)).toBe(false);
  });

  it('refuses actions while another console holds the rollout lock, with its notice', async () => {
    const { profile } = await setup([action('rollback', [script('args.sh')])]);
    const follower = await openStateStore(profile, { dir, clock });
    opened.push(follower);
    const runner = new ActionRunner({ profile, store: follower, audit, clock, identity });
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome.refused).toBe(true);
    expect(outcome.message).toMatch(/^read-only: locked by .+@.+ \(pid \d+\)$/);
  });

  it('shows the argv it would run in dry-run mode and runs nothing', async () => {
    const touched = join(dir, 'touched');
    const { runner, events } = await setup([action('promote', ['touch', touched, '{{next.name}}'])], { dryRun: true });
    const outcome = await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    expect(outcome).toMatchObject({ ok: true, dryRun: true, argv: ['touch', touched, 'ramp-50'] });
    expect(outcome.message).toBe(`dry run: promote would run: touch ${touched} ramp-50`);
    expect(events[0]).toEqual({ type: 'start', action: 'promote', argv: ['touch', touched, 'ramp-50'] });
    expect(existsSync(touched)).toBe(false);
    expect(store.read().phase).toBe(0);
    expect((await entries())[0]).toMatchObject({ event: 'action', dryRun: true });
  });

  it('runs a then chain after success and stops at the first failure', async () => {
    const { runner, events } = await setup([
      action('deploy', [script('args.sh'), 'deploy'], { then: 'verify' }),
      action('verify', [script('fail.sh')], { then: 'promote' }),
      action('promote', [script('args.sh'), 'promote']),
    ]);
    const outcome = await runner.run({ action: 'deploy', snapshot: snapshot('PROMOTE') });
    expect(outcome).toMatchObject({ action: 'verify', ok: false, exitCode: 1 });
    expect(events.filter((e) => e.type === 'start').map((e) => (e.type === 'start' ? e.action : ''))).toEqual(['deploy', 'verify']);
    expect(store.read().phase).toBe(0);
    expect((await entries()).map((e) => [e.action, e.ok])).toEqual([
      ['deploy', true],
      ['verify', false],
    ]);
  });

  it('runs the whole then chain when every step succeeds', async () => {
    const { runner } = await setup([
      action('deploy', [script('args.sh'), 'deploy'], { then: 'promote' }),
      action('promote', [script('args.sh'), '{{phase.name}}']),
    ]);
    const outcome = await runner.run({ action: 'deploy', snapshot: snapshot('PROMOTE') });
    expect(outcome).toMatchObject({ action: 'promote', ok: true, outputTail: ['arg=canary'] });
    expect(store.read().phase).toBe(1);
  });

  it('says loudly when a command succeeded but the rollout state could not be saved', async () => {
    const { runner } = await setup([action('promote', [script('args.sh')])]);
    await store.close();
    const outcome = await runner.run({ action: 'promote', snapshot: snapshot('PROMOTE') });
    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/^promote → exit 0 \(\d+m?s\); BUT the rollout state was not saved: .+/);
  });

  it('says so in the outcome when the audit log cannot be written', async () => {
    const { runner, events } = await setup([action('rollback', [script('args.sh')])]);
    await audit.close();
    const outcome = await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK') });
    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/; AUDIT LOG NOT WRITTEN: cannot write audit log .*checkout\.audit\.jsonl: .+$/);
    expect(events.at(-1)).toEqual({ type: 'end', outcome });
  });

  it('records the decision and metric values of the moment in the audit log', async () => {
    const { runner } = await setup([action('rollback', [script('args.sh')])]);
    await runner.run({ action: 'rollback', snapshot: snapshot('ROLLBACK', { reasons: ['error_rate 2.4% > 2% (rollback)'] }) });
    const [entry] = await entries();
    expect(entry).toMatchObject({
      event: 'action',
      user: 'alice',
      host: 'bastion-1',
      profile: 'checkout',
      phase: 'canary',
      action: 'rollback',
      argv: [script('args.sh')],
      exitCode: 0,
      ok: true,
      decision: 'ROLLBACK',
      metrics: [{ name: 'error_rate', state: 'ok', value: 0.004, unit: 'ratio' }],
      forced: false,
      auto: false,
      dryRun: false,
    });
    expect(entry!.time).toBe(new Date(clock.now()).toISOString());
  });
});
