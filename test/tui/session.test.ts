// The live session behind the console, with real parts: a loopback /metrics server, the fixture
// action script, a state directory and audit log on disk, the real poller on the real clock.

import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { parseProfile } from '../../src/profile/load.js';
import { loadProfileFile } from '../support/profile-file.js';
import type { Profile } from '../../src/profile/types.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { until } from '../support/session.js';

let server: TestHttpServer;
let failing = false;
let errorRatio = 0.004;
let profile: Profile;

beforeAll(async () => {
  server = await startHttp((_req, res) => {
    if (failing) {
      res.statusCode = 500;
      res.end('boom');
      return;
    }
    res.end([`app_error_ratio{track="canary"} ${errorRatio}`, 'app_error_ratio{track="stable"} 0.003', 'app_latency_p95_seconds 0.18', 'app_requests_per_second 400', 'app_queue_depth 12', ''].join('\n'));
  });
  ({ profile } = await loadProfileFile('test/fixtures/console/console.yaml', { env: { ROLLCALL_CONSOLE_METRICS: server.url } }));
});

afterAll(async () => {
  await server.close();
});

const open: Session[] = [];
const dirs: string[] = [];
afterEach(async () => {
  failing = false;
  errorRatio = 0.004;
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-session-'));
  dirs.push(dir);
  return dir;
}

async function start(opts: Parameters<typeof openSession>[1] = {}, on: Profile = profile): Promise<Session> {
  const session = await openSession(on, { identity: { user: 'alice', host: 'bastion' }, ...opts });
  open.push(session);
  session.start();
  return session;
}

/** Resolves with the first published state that satisfies `test`. */

const hasEvent = (pattern: RegExp) => (s: ConsoleState) => s.events.some((e) => pattern.test(e.text));

describe('the live session', () => {
  it('judges every metric once the sources answer, and says so once', async () => {
    const session = await start({ stateDir: tempDir() });
    const state = await until(session, hasEvent(/^every metric polled/));
    expect(state.snapshot.metrics.map((m) => [m.id, m.state])).toEqual([
      ['error_rate', 'ok'],
      ['p95_latency', 'ok'],
      ['throughput', 'ok'],
      ['queue_depth', 'ok'],
    ]);
    expect(state.snapshot.metrics[0]).toMatchObject({ value: 0.004, baseline: 0.003 });
    expect(state.sourceAges.app).toBeTypeOf('number');
    expect(state.events.filter((e) => /nodata → ok/.test(e.text))).toEqual([]);
  });

  it('folds a source failing on every poll into one event with a count', async () => {
    failing = true;
    const session = await start({ stateDir: tempDir() });
    const state = await until(session, (s) => s.events.some((e) => /^source app: .*500/.test(e.text) && e.count >= 3));
    const texts = state.events.filter((e) => /^source app:/.test(e.text)).map((e) => e.text);
    expect(new Set(texts).size).toBe(texts.length);
    // One line for the metrics' own queries, at most one more for the baseline query.
    expect(texts.length).toBeLessThanOrEqual(2);
  });

  it('ticks the checklist in the rollout state and the audit log', async () => {
    const dir = tempDir();
    const session = await start({ stateDir: dir });
    await until(session, hasEvent(/^every metric polled/));
    await session.toggleChecklist('Dashboards open');
    const state = await until(session, (s) => s.snapshot.phase.checklist[0]?.checked === true);
    expect(state.snapshot.phase.checklist[0]).toMatchObject({ item: 'Dashboards open', checked: true, by: 'alice@bastion' });
    expect(state.events.some((e) => e.text === 'checklist [x] Dashboards open (canary) by alice')).toBe(true);
    const audit = readFileSync(join(dir, 'console-e2e.audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit).toEqual([expect.objectContaining({ event: 'checklist', item: 'Dashboards open', checked: true, user: 'alice', phase: 'canary' })]);
  });

  it('ticks the rollback checklist once rolled back, in that rollback’s state and the audit log', async () => {
    const dir = tempDir();
    const withList: Profile = { ...profile, rollbackChecklist: [{ item: 'Verify application is stable', group: 'Immediate' }, { item: 'Conduct post-mortem', group: 'Long-term' }] };
    const session = await start({ stateDir: dir }, withList);
    await until(session, hasEvent(/^every metric polled/));
    expect(session.getSnapshot().snapshot.rollbackChecklist).toBeUndefined();
    await session.run('rollback', { forced: false });
    await until(session, (s) => s.snapshot.rollbackChecklist !== undefined);
    await session.toggleChecklist('Conduct post-mortem');
    const state = await until(session, (s) => s.snapshot.rollbackChecklist?.[1]?.checked === true);
    expect(state.snapshot.rollbackChecklist![1]).toMatchObject({ item: 'Conduct post-mortem', group: 'Long-term', by: 'alice@bastion' });
    expect(state.snapshot.phase.checklist[0]?.checked).toBe(false);
    expect(state.events.some((e) => e.text === 'checklist [x] Conduct post-mortem (after rollback) by alice')).toBe(true);
    const file = JSON.parse(readFileSync(join(dir, 'console-e2e.json'), 'utf8'));
    expect(file.rolledBack.checklist['Conduct post-mortem']).toMatchObject({ by: 'alice@bastion' });
    const audit = readFileSync(join(dir, 'console-e2e.audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ event: 'checklist', item: 'Conduct post-mortem', checked: true, note: 'after rollback' });
  });

  it('streams an action’s output, keeps its exit code and moves the rollout', async () => {
    const session = await start({ stateDir: tempDir() });
    await until(session, hasEvent(/^every metric polled/));
    const outcome = await session.run('rollback', { forced: false });
    expect(outcome).toMatchObject({ ok: true, exitCode: 0 });
    const state = await until(session, (s) => s.output?.running === false);
    expect(state.output).toMatchObject({ action: 'rollback', exitCode: 0, argv: ['sh', 'test/fixtures/console/action.sh', 'rollback', '0'] });
    expect(state.output?.lines).toEqual([
      { stream: 'stdout', text: 'fixture rollback: traffic set to 0%' },
      { stream: 'stderr', text: 'fixture rollback: done' },
    ]);
    expect(state.busy).toBeUndefined();
    const moved = await until(session, hasEvent(/^phase canary → off \(rollback\) by alice@bastion/));
    expect(moved.rollout.rolledBack).toMatchObject({ traffic: 0 });
  });

  it('refuses a promote outside PROMOTE unless forced, and audits the force', async () => {
    const dir = tempDir();
    const session = await start({ stateDir: dir });
    await until(session, hasEvent(/^every metric polled/));
    expect(session.getSnapshot().snapshot.decision).toBe('HOLD');
    const refused = await session.run('promote', { forced: false });
    expect(refused.refused).toBe(true);
    const forced = await session.run('promote', { forced: true });
    expect(forced).toMatchObject({ ok: true, forced: true });
    const audit = readFileSync(join(dir, 'console-e2e.audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.map((e) => [e.event, e.action, e.forced])).toEqual([
      ['refused', 'promote', false],
      ['action-start', 'promote', true],
      ['action', 'promote', true],
    ]);
  });

  it('shows what a dry run would run, and runs nothing', async () => {
    const session = await start({ stateDir: tempDir(), dryRun: true });
    await until(session, hasEvent(/^every metric polled/));
    await session.run('rollback', { forced: false });
    const state = await until(session, (s) => s.output?.running === false);
    expect(state.output).toMatchObject({ dryRun: true, lines: [] });
    expect(state.rollout.rolledBack).toBeNull();
  });

  it('gives a reopened console its event history from the audit log', async () => {
    const dir = tempDir();
    const first = await start({ stateDir: dir });
    await until(first, hasEvent(/^every metric polled/));
    await first.toggleChecklist('Dashboards open');
    await first.run('rollback', { forced: false });
    await first.close();

    const second = await start({ stateDir: dir });
    const events = second.getSnapshot().events.map((e) => e.text);
    expect(events).toEqual([
      'checklist [x] Dashboards open (canary) by alice [audit]',
      'rollback exit 0 by alice [audit]',
    ]);
    expect(second.getSnapshot().rollout.rolledBack).not.toBeNull();
    expect(second.getSnapshot().mode.readOnly).toBe(false);
  });

  it('opens read-only next to a console that holds the lock, and says who holds it', async () => {
    const dir = tempDir();
    await start({ stateDir: dir });
    const second = await start({ stateDir: dir });
    const state = second.getSnapshot();
    expect(state.mode.readOnly).toBe(true);
    expect(state.mode.readOnlyReason).toMatch(/locked by/);
    const outcome = await second.run('rollback', { forced: false });
    expect(outcome.refused).toBe(true);
  });

  it('replays a recording read-only, without touching the live rollout state', async () => {
    const dir = tempDir();
    const recording = join(dir, 'run.jsonl');
    const recorder = await start({ stateDir: dir, record: recording });
    await until(recorder, (s) => (s.series.error_rate?.groups[0]?.canary.length ?? 0) >= 2);
    await recorder.close();

    const replayDir = tempDir();
    const replay = await start({ stateDir: replayDir, replay: recording, speed: 1 });
    const state = await until(replay, (s) => s.snapshot.metrics[0]?.value === 0.004);
    expect(state.mode).toMatchObject({ readOnly: true, readOnlyReason: `replaying ${recording}`, replay: recording });
    expect(existsSync(join(replayDir, 'console-e2e.json'))).toBe(false);
  });

  it('logs a warning’s escalation to an action on the engine clock, once, replaying a recording', async () => {
    const dir = tempDir();
    const recording = join(dir, 'warn.jsonl');
    const t0 = Date.UTC(2026, 0, 5, 9, 0);
    const rows = [JSON.stringify({ recording: 'rollcall', version: 1, profile: profile.name, startedAt: t0 })];
    for (let t = t0; t <= t0 + 10 * 60_000; t += 1_000) {
      for (const [metric, v] of [['error_rate', 0.015], ['p95_latency', 0.2], ['throughput', 400], ['queue_depth', 12]] as const) {
        rows.push(JSON.stringify({ t, metric, track: 'canary', group: '', v }));
      }
      rows.push(JSON.stringify({ t, metric: 'error_rate', track: 'baseline', group: '', v: 0.003 }));
    }
    writeFileSync(recording, `${rows.join('\n')}\n`);
    const escalating: Profile = {
      ...profile,
      phases: profile.phases.map((p) => ({ ...p, rules: p.rules.map((r) => (r.metric === 'error_rate' ? { ...r, escalate: [{ afterMs: 120_000, to: 'reduce' }] } : r)) })),
      actions: { ...profile.actions, reduce: { ...profile.actions.rollback!, id: 'reduce', key: 'd', effect: 'traffic', traffic: 5 } },
    };
    const clock = new VirtualClock(t0);
    const session = await openSession(escalating, { identity: { user: 'alice', host: 'bastion' }, stateDir: dir, replay: recording, clock });
    open.push(session);
    session.start();
    for (let i = 0; i < 100; i++) await clock.advance(1_000);
    const warned = session.getSnapshot();
    expect(warned.snapshot.metrics[0]).toMatchObject({ state: 'warn', escalation: { next: { to: 'reduce' } } });
    expect(warned.events.some((e) => /escalated/.test(e.text))).toBe(false);
    for (let i = 0; i < 60; i++) await clock.advance(1_000);
    const escalated = session.getSnapshot();
    expect(escalated.snapshot.metrics[0]?.escalation?.reached).toMatchObject({ to: 'reduce', key: 'd' });
    const lines = escalated.events.filter((e) => /escalated/.test(e.text));
    expect(lines.map((e) => e.text)).toEqual(['error_rate escalated to reduce (key d): error_rate 1.5% > 1% (warn unresolved for 2m: escalated to reduce)']);
    expect(lines[0]!.level).toBe('bad');
  });

  it('moves to the phase --phase names and logs the move', async () => {
    const session = await start({ stateDir: tempDir(), phase: 'ramp-50' });
    const state = session.getSnapshot();
    expect(state.snapshot.phase).toMatchObject({ name: 'ramp-50', traffic: 50 });
    const moved = await until(session, hasEvent(/^phase canary → ramp-50 \(set\) by alice@bastion$/));
    expect(moved.rollout.history).toHaveLength(1);
  });

  it('counts down an automatic rollback and stops when cancelled', async () => {
    const text = (await readFile('test/fixtures/console/console.yaml', 'utf8')).replace(
      '- { metric: error_rate, warn: "> 1%", rollback: "> 2%" }',
      '- { metric: error_rate, warn: "> 1%", rollback: "> 2%", auto: true, grace: 5m }',
    );
    const { profile: auto } = parseProfile(text, 'auto.yaml', { env: { ROLLCALL_CONSOLE_METRICS: server.url } });
    errorRatio = 0.03;
    const session = await start({ stateDir: tempDir() }, auto);
    const counting = await until(session, (s) => s.countdown !== undefined);
    expect(counting.countdown).toMatchObject({ metric: 'error_rate', text: '3% > 2%' });
    expect(counting.countdown!.deadline - counting.now).toBeGreaterThan(4 * 60_000);
    session.cancelAutoRollback();
    const cancelled = await until(session, (s) => s.countdown === undefined);
    expect(cancelled.events.some((e) => e.text === 'auto-rollback for error_rate stopped: alice@bastion')).toBe(true);
    expect(cancelled.rollout.rolledBack).toBeNull();
  });
});
