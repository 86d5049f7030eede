// Operator actions in consoles beside a real leading agent (the built bundle) with the file store:
// the agent holds the state file's lock, so each console's change of the rollout is relayed to it
// on its unix socket, while the action's command, output and audit lines stay in the console.

import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/actions/audit.js';
import { stateRevision } from '../../src/actions/state-relay.js';
import { parseStateDocument, toStateDocument } from '../../src/actions/state-document.js';
import { agentSocketPath, encode, LineReader } from '../../src/agent/socket.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { promoted } from '../../src/engine/state.js';
import { parseProfile } from '../../src/profile/load.js';
import { agentTestbed, errorRateProfile, type RunningAgent } from '../support/agent.js';
import { freePort } from '../support/port.js';
import { until as untilState } from '../support/session.js';

const profileText = (marker: string, hook: string) =>
  errorRateProfile('relay', '${ROLLCALL_ATTACH_URL}', {
    phases: ['name: canary\n    traffic: 10\n    duration: 1h\n    checklist: [one, two, three, four, five, six]', '{ name: half, traffic: 50 }', '{ name: full, traffic: 100 }'],
    more: `actions:
  promote: { key: p, run: [/bin/sh, -c, 'echo "$PPID" >> ${marker}; echo promoting to {{next.traffic}}'] }
  rollback: { key: r, run: [/bin/sh, -c, 'echo rolling back'] }
notify:
  - { type: webhook, url: "${hook}", on: [action] }
`,
  });

const bed = agentTestbed('relay');

beforeEach(() => {
  bed.service.rate = 0.005;
});

const stateDir = () => join(bed.dir, 'state');
const marker = () => join(bed.dir, 'ran-in');
const profileFile = () => join(bed.dir, 'relay.yaml');
const profile = () => parseProfile(profileText(marker(), `${bed.service.server.url}/hook`), profileFile(), { env: { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/console` } }).profile;
const stateFile = () => JSON.parse(readFileSync(join(stateDir(), 'relay.json'), 'utf8')) as { phaseName: string; history: { by: string; reason: string }[]; checklist: Record<string, Record<string, { by: string }>> };
const until = (session: Session, test: (s: ConsoleState) => boolean, timeoutMs = 10_000) => untilState(session, test, timeoutMs);

async function leadingAgent(...extra: string[]): Promise<RunningAgent> {
  writeFileSync(profileFile(), profileText(marker(), `${bed.service.server.url}/hook`));
  const lease = extra.includes('--lease-timeout') ? [] : ['--lease-timeout', '3s'];
  const a = bed.start([profileFile(), '--state-dir', stateDir(), ...lease, ...extra], { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/agent` });
  await a.waitFor((l) => l.event === 'socket' && l.text.startsWith('consoles attach at'));
  return a;
}

async function console(user: string, opts: { agentUrl?: string; phase?: string } = {}): Promise<Session> {
  const session = await openSession(profile(), { identity: { user, host: 'bastion' }, stateDir: stateDir(), ...opts });
  bed.keep(session);
  session.start();
  return session;
}

describe('a console beside a leading agent, with the state file', () => {
  it("promotes: the command runs in the console, the state file and the audit log name the operator, the agent notifies it once, and its view and a second console show the new phase within a second", async () => {
    const agent = await leadingAgent();
    const alice = await console('alice');
    const bob = await console('bob');
    expect(alice.getSnapshot().mode).toMatchObject({ readOnly: false, attached: {} });
    expect(bob.getSnapshot().mode.readOnly).toBe(false);
    expect(alice.getSnapshot().events.map((e) => e.text)).toContain(`actions run in this console; the changes they make to the rollout are saved by the agent (pid ${agent.child.pid}), which holds the state file`);

    const outcome = await alice.run('promote', { forced: true });
    const done = Date.now();
    expect(outcome.ok).toBe(true);
    expect(outcome.message).toMatch(/^promote → exit 0 \(.+\); rollout now in half \(50% traffic\)$/);
    // The command ran here, a child of this process, not of the agent.
    expect(readFileSync(marker(), 'utf8').trim()).toBe(String(process.pid));
    expect(alice.getSnapshot().output?.lines.map((l) => l.text)).toContain('promoting to 50');

    expect(stateFile().phaseName).toBe('half');
    expect(stateFile().history.at(-1)).toMatchObject({ by: 'alice@bastion', reason: 'promote' });
    const { entries } = await readAudit(join(stateDir(), 'relay.audit.jsonl'));
    expect(entries.filter((e) => e.action === 'promote').map((e) => [e.event, e.user, e.ok])).toEqual([
      ['action-start', 'alice', undefined],
      ['action', 'alice', true],
    ]);
    const logged = await agent.waitFor((l) => l.event === 'relay' && l.text.startsWith('rollout state changed'));
    expect(logged.level).toBe('info');
    expect(logged).toMatchObject({ by: 'alice@bastion', text: 'rollout state changed by alice@bastion from a console: promote canary → half' });

    // The agent, which notifies while it leads, sends the action on, once, naming the operator.
    const action = await agent.waitFor((l) => l.event === 'relay' && l.text.startsWith('promote run by'));
    expect(action).toMatchObject({ by: 'alice@bastion', text: expect.stringMatching(/^promote run by alice@bastion in a console: promote → exit 0 .+; rollout now in half/) });
    // The agent judged again at once: its view reaches both consoles.
    await until(bob, (s) => s.snapshot.phase.name === 'half' && s.rollout.phase === 1, 1_000);
    expect(Date.now() - done).toBeLessThan(1_000);
    await until(alice, (s) => s.snapshot.phase.name === 'half', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(bed.service.hooks.filter((h) => h.event === 'action').map((h) => h.action?.message)).toEqual([expect.stringMatching(/rollout now in half \(50% traffic\) \(by alice@bastion\)$/)]);
  }, 30_000);

  it('moves the rollout where --phase says, relayed to the agent and recorded as the operator', async () => {
    const agent = await leadingAgent();
    const alice = await console('alice', { phase: 'full' });
    await until(alice, (s) => s.snapshot.phase.name === 'full', 3_000);
    expect(stateFile().phaseName).toBe('full');
    expect(stateFile().history).toMatchObject([{ by: 'alice@bastion', reason: 'set', from: 0, to: 2 }]);
    expect(await agent.waitFor((l) => l.event === 'relay')).toMatchObject({ by: 'alice@bastion', text: expect.stringMatching(/: set canary → full$/) });
    // A phase the profile does not have is refused at open, as without an agent.
    await expect(console('alice', { phase: 'everyone' })).rejects.toThrow('--phase: no phase named "everyone" in relay; phases: canary, half, full');
  }, 30_000);

  it("lands two consoles' changes made at once, the later one derived again from the earlier one's result", async () => {
    const agent = await leadingAgent();
    const alice = await console('alice');
    const bob = await console('bob');
    // Frozen, the agent reads nothing: both consoles derive from the same state and send before
    // either change is applied, so without the compare-and-swap one tick would overwrite the other.
    const crossing = async <T>(changes: () => Promise<T>[], waitMs: number): Promise<T[]> => {
      agent.child.kill('SIGSTOP');
      const started = changes();
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      agent.child.kill('SIGCONT');
      return Promise.all(started);
    };
    await crossing(() => [...['one', 'two', 'three'].map((item) => alice.toggleChecklist(item)), ...['four', 'five', 'six'].map((item) => bob.toggleChecklist(item))], 300);
    const ticked = stateFile().checklist.canary!;
    expect(Object.fromEntries(Object.entries(ticked).map(([item, t]) => [item, t.by]))).toEqual({
      one: 'alice@bastion',
      two: 'alice@bastion',
      three: 'alice@bastion',
      four: 'bob@bastion',
      five: 'bob@bastion',
      six: 'bob@bastion',
    });
    const { entries } = await readAudit(join(stateDir(), 'relay.audit.jsonl'));
    expect(entries.filter((e) => e.event === 'checklist').length).toBe(6);
    await until(alice, (s) => s.snapshot.phase.checklist.every((c) => c.checked), 2_000);

    // Two promotes at once: the second is derived from the first's result, so both land, in order.
    const both = await crossing(() => [alice.run('promote', { forced: true }), bob.run('promote', { forced: true })], 600);
    expect(both.map((o) => o.ok && !o.message.includes('not saved'))).toEqual([true, true]);
    expect(stateFile().phaseName).toBe('full');
    expect(stateFile().history.map((m) => m.reason)).toEqual(['promote', 'promote']);
    expect(new Set(stateFile().history.map((m) => m.by))).toEqual(new Set(['alice@bastion', 'bob@bastion']));
  }, 30_000);

  it('refuses a hostile or stale change, or action news, on the socket with a reason, and changes nothing', async () => {
    const agent = await leadingAgent();
    const p = profile();
    const before = readFileSync(join(stateDir(), 'relay.json'), 'utf8');
    const loaded = parseStateDocument(JSON.parse(before), 'the state file', p);
    if (!('state' in loaded)) throw new Error(loaded.problem);
    const now = loaded.state;
    const base = stateRevision(now, p);
    const good = toStateDocument(promoted(now, 1, 'mallory@x', 3), p);
    const ask = async (...messages: unknown[]): Promise<Record<string, unknown>[]> => {
      const socket = connect(agentSocketPath(stateDir(), 'relay'));
      const reader = new LineReader();
      const replies: Record<string, unknown>[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.setEncoding('utf8');
        socket.on('error', reject);
        socket.on('data', (chunk: string) => {
          for (const m of reader.push(chunk) ?? []) {
            const r = m as Record<string, unknown>;
            if (r.type === 'refused' || r.type === 'applied' || r.type === 'conflict') replies.push(r);
          }
          if (replies.length === messages.length) resolve();
        });
        socket.on('connect', () => socket.write(messages.map((m) => (typeof m === 'string' ? `${m}\n` : encode(m as never))).join('')));
      });
      socket.destroy();
      return replies;
    };
    const update = (id: string, over: Record<string, unknown>) => ({ type: 'update', id, base, next: good, by: 'mallory@x', deadline: Date.now() + 60_000, ...over });
    const replies = await ask(
      update('other-profile', { next: { ...good, profile: 'payments' } }),
      update('out-of-range', { next: { ...good, phase: 7 } }),
      update('unknown-phase', { next: { ...good, phaseName: 'everyone' } }),
      update('rolled-back-nowhere', { next: { ...good, rolledBack: { at: 1, by: 'x', phase: 9, traffic: 0 } } }),
      update('oversized', { next: { ...good, history: Array.from({ length: 4_000 }, () => ({ at: 1, from: 0, to: 1, by: 'x'.repeat(60), reason: 'promote' })) } }),
      update('not-a-state', { next: 'phase 2 please' }),
      update('no-operator', { by: '' }),
      update('too-late', { deadline: Date.now() - 1 }),
      update('', {}),
      update('stale', { base: 'not-the-current-one' }),
    );
    const byId = Object.fromEntries(replies.map((r) => [r.id, r]));
    expect(byId['other-profile']).toMatchObject({ type: 'refused', reason: 'the state sent belongs to profile "payments", not "relay"' });
    expect(byId['out-of-range']).toMatchObject({ type: 'refused', reason: expect.stringContaining('has phase 7') });
    expect(byId['unknown-phase']).toMatchObject({ type: 'refused', reason: 'the state sent is at phase "everyone", which relay no longer has' });
    expect(byId['rolled-back-nowhere']).toMatchObject({ type: 'refused', reason: 'the state sent is rolled back to phase 9; relay has 3' });
    expect(byId.oversized).toMatchObject({ type: 'refused', reason: expect.stringMatching(/^the state sent is \d+ bytes; at most 262144 are taken$/) });
    expect(byId['not-a-state']).toMatchObject({ type: 'refused', reason: expect.stringContaining('corrupt') });
    expect(byId['no-operator']).toMatchObject({ type: 'refused', reason: expect.stringContaining('operator') });
    expect(byId['too-late']).toMatchObject({ type: 'refused', reason: 'the request came after the console stopped waiting; nothing was applied' });
    expect(byId['']).toMatchObject({ type: 'refused', reason: expect.stringContaining('no id') });
    expect(byId.stale).toMatchObject({ type: 'conflict', revision: base, state: { phaseName: 'canary' } });
    // Each refusal is in the agent's log, naming the operator only when the request was well formed.
    await agent.waitFor((l) => l.event === 'relay' && l.text.includes('came after'));
    const refusals = agent.lines.filter((l) => l.event === 'relay');
    expect(refusals.every((l) => l.level === 'warn' && l.text.startsWith('a change of the rollout state from a console was refused: '))).toBe(true);
    expect(refusals.length).toBe(9);
    expect(refusals.find((l) => l.text.includes('came after'))).toMatchObject({ by: 'mallory@x' });
    expect(refusals.find((l) => l.text.includes('operator'))).not.toHaveProperty('by');
    expect(readFileSync(join(stateDir(), 'relay.json'), 'utf8')).toBe(before);

    // On the right base a change lands; one that then erases the phase history is refused.
    const [applied] = await ask(update('good', {}));
    expect(applied).toMatchObject({ type: 'applied', state: { phaseName: 'half' } });
    const after = readFileSync(join(stateDir(), 'relay.json'), 'utf8');
    const [erase] = await ask(update('erase', { base: (applied as { revision: string }).revision, next: toStateDocument({ ...now, phase: 1 }, p) }));
    expect(erase).toMatchObject({ type: 'refused', reason: 'the state sent rewrites the phase history; a change may only add to it' });
    expect(readFileSync(join(stateDir(), 'relay.json'), 'utf8')).toBe(after);

    // Action news for an action the profile does not have (or not an outcome at all) is refused, and nothing is sent.
    const news = connect(agentSocketPath(stateDir(), 'relay'));
    await new Promise((resolve) => news.once('connect', resolve));
    const outcome = { action: 'wipe', argv: [], exitCode: 0, signal: null, durationMs: 1, ok: true, outputTail: [], message: 'wiped' };
    news.write(encode({ type: 'action', by: 'mallory@x', outcome }) + encode({ type: 'action', by: 'mallory@x', outcome: { ...outcome, action: 'promote', ok: 'yes' } } as never));
    await agent.waitFor((l) => l.text === 'action news from a console was refused: relay has no action "wipe"');
    await agent.waitFor((l) => l.text === 'action news from a console was refused: the action news is not an outcome (ok: Invalid input: expected boolean, received string)');
    news.destroy();
    expect(bed.service.hooks).toEqual([]);
  }, 30_000);

  it('has its state-changing keys off over --agent URL, and says why', async () => {
    const port = await freePort();
    await leadingAgent('--listen', `127.0.0.1:${port}`);
    const before = readFileSync(join(stateDir(), 'relay.json'), 'utf8');
    const remote = await console('carol', { agentUrl: `http://127.0.0.1:${port}` });
    const mode = remote.getSnapshot().mode;
    expect(mode.readOnly).toBe(true);
    expect(mode.readOnlyReason).toMatch(/^attached to the agent on .+ over HTTP: the rollout is changed only from a console on the agent's host$/);
    const outcome = await remote.run('promote', { forced: true });
    expect(outcome).toMatchObject({ ok: false, refused: true });
    expect(outcome.message).toContain('over HTTP');
    await expect(remote.toggleChecklist('one')).rejects.toThrow(/over HTTP/);
    expect(readFileSync(join(stateDir(), 'relay.json'), 'utf8')).toBe(before);
  }, 30_000);

  it('says the state was not saved when the agent does not answer in time, and the agent, woken later, applies nothing', async () => {
    // A lease long enough to outlive the pause: the agent wakes as the leader and reads the request.
    const agent = await leadingAgent('--lease-timeout', '30s');
    const alice = await console('alice');
    agent.child.kill('SIGSTOP');
    const outcome = await alice.run('promote', { forced: true });
    expect(outcome.message).toMatch(/; BUT the rollout state was not saved: the agent did not answer in 3s; nothing was sent again$/);
    agent.child.kill('SIGCONT');
    // Woken, the agent reads the request it was sent, too late: it says so, and changes nothing.
    const late = await agent.waitFor((l) => l.event === 'relay' && l.text.startsWith('a change'));
    expect(late).toMatchObject({ level: 'warn', by: 'alice@bastion', text: 'a change of the rollout state from a console was refused: the request came after the console stopped waiting; nothing was applied' });
    expect(stateFile().history).toEqual([]);
  }, 30_000);

  it('says the state was not saved when the agent is killed -9 while it holds the change, applies it nowhere twice, and lets the console act on the file once the lock is stale', async () => {
    const agent = await leadingAgent();
    const alice = await console('alice');
    // Frozen, the agent reads nothing: the change waits in its socket until it dies.
    agent.child.kill('SIGSTOP');
    const running = alice.run('promote', { forced: true });
    await until(alice, (s) => s.output?.running === false || s.events.some((e) => e.text.startsWith('promote started')));
    await new Promise((resolve) => setTimeout(resolve, 700));
    agent.child.kill('SIGKILL');
    const outcome = await running;
    expect(outcome.message).toMatch(/^promote → exit 0 \(.+\); BUT the rollout state was not saved: the agent went away before it answered; nothing was sent again$/);
    expect(stateFile().phaseName).toBe('canary');
    expect(stateFile().history).toEqual([]);
    const { entries } = await readAudit(join(stateDir(), 'relay.audit.jsonl'));
    expect(entries.filter((e) => e.action === 'promote').map((e) => e.event)).toEqual(['action-start', 'action']);
    expect(agent.lines.some((l) => l.event === 'relay')).toBe(false);

    // The dead agent's lock is stale: the console, polling by itself now, changes the file itself.
    await agent.exited;
    await until(alice, (s) => s.mode.attached === undefined && !s.mode.readOnly);
    const again = await alice.run('promote', { forced: true });
    expect(again.message).toMatch(/rollout now in half/);
    expect(stateFile().history.map((m) => [m.reason, m.by])).toEqual([['promote', 'alice@bastion']]);
  }, 30_000);

  it('is read-only once the agent is gone and another console holds the lock, still rolls back (unsaved), and can act again once that console lets go', async () => {
    const agent = await leadingAgent();
    const alice = await console('alice');
    agent.child.kill('SIGKILL');
    await agent.exited;
    await until(alice, (s) => s.mode.attached === undefined);
    // A console opened now finds no agent and takes the dead agent's lock.
    const bob = await console('bob');
    expect(bob.getSnapshot().mode.readOnly).toBe(false);
    const locked = await until(alice, (s) => s.mode.readOnly, 12_000);
    expect(locked.mode.readOnlyReason).toMatch(/^the agent went away \(its connection closed\) and the rollout state is locked by .+ \(pid \d+\)$/);
    expect(locked.mode.retreatOnly).toBe(true);

    const promote = await alice.run('promote', { forced: true });
    expect(promote).toMatchObject({ ok: false, refused: true });
    const rollback = await alice.run('rollback', { forced: false });
    expect(rollback.message).toMatch(/^rollback → exit 0 \(.+\); BUT the rollout state was not saved: the agent went away \(its connection closed\) and the rollout state is locked by .+$/);
    expect(stateFile().history).toEqual([]);

    await bob.close();
    await until(alice, (s) => !s.mode.readOnly, 12_000);
    const again = await alice.run('promote', { forced: true });
    expect(again.message).toMatch(/rollout now in half/);
    expect(stateFile().history.map((m) => [m.reason, m.by])).toEqual([['promote', 'alice@bastion']]);
  }, 40_000);
});
