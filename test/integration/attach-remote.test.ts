// Consoles attached over HTTP (`rollcall watch --agent URL`) to real agents, a standby agent serving
// consoles, a console finding the standby again after kill -9 of the leader, and a hostile "agent"
// whose messages the console cleans or refuses.

import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleState } from '../../src/console/console-state.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState } from '../../src/engine/state.js';
import { parseProfile } from '../../src/profile/load.js';
import { agentTestbed, errorRateProfile, type RunningAgent } from '../support/agent.js';
import { startHttp } from '../support/http.js';
import { freePort } from '../support/port.js';
import { until as untilState } from '../support/session.js';

const PROFILE = errorRateProfile('remote', '${ROLLCALL_ATTACH_URL}');

const bed = agentTestbed('attach-remote');

beforeEach(() => {
  bed.service.rate = 0.005;
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const stateDir = () => join(bed.dir, 'state');
const profile = () => parseProfile(PROFILE, join(bed.dir, 'remote.yaml'), { env: { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/console` } }).profile;

function agent(...extra: string[]): RunningAgent {
  const file = join(bed.dir, 'remote.yaml');
  writeFileSync(file, PROFILE);
  return bed.start([file, '--state-dir', stateDir(), '--lease-timeout', '3s', ...extra], { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/agent` });
}

async function console(agentUrl?: string): Promise<Session> {
  const session = await openSession(profile(), { identity: { user: 'alice', host: 'bastion' }, stateDir: stateDir(), ...(agentUrl ? { agentUrl } : {}) });
  bed.keep(session);
  session.start();
  return session;
}

const until = (session: Session, test: (s: ConsoleState) => boolean, timeoutMs = 10_000) => untilState(session, test, timeoutMs);

describe('a console with --agent URL', () => {
  it("shows the agent's judgement over HTTP, polls no source, and the agent polls at once when asked", async () => {
    const port = await freePort();
    const a = agent('--listen', `127.0.0.1:${port}`);
    await a.waitFor((l) => l.event === 'warm');
    const session = await console(`http://127.0.0.1:${port}`);
    const opened = session.getSnapshot();
    expect(opened.mode.attached).toEqual({ host: hostname() });
    expect(opened.events.some((e) => e.text.startsWith(`attached to agent on ${hostname()} (pid ${a.child.pid}, http://127.0.0.1:${port})`))).toBe(true);
    expect(opened.snapshot.metrics[0]?.value).toBeCloseTo(0.005);
    const asked = bed.service.polls.agent;
    session.pollNow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Within a poll interval's tenth, not a second later: the agent heard the `r` key.
    expect(bed.service.polls.agent).toBeGreaterThan(asked);
    expect(bed.service.polls.console).toBe(0);
  }, 20_000);

  it('is served by a standby agent too, which judges without acting', async () => {
    const leader = agent();
    await leader.waitFor((l) => l.event === 'lease' && l.text.startsWith('leader'));
    const port = await freePort();
    const standby = agent('--listen', `127.0.0.1:${port}`);
    await standby.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby'));
    await standby.waitFor((l) => l.event === 'warm');
    const session = await console(`http://127.0.0.1:${port}`);
    expect(session.getSnapshot().mode.attached).toEqual({ host: hostname() });
    expect(session.getSnapshot().snapshot.decision).toBe('SOAK');
    expect(bed.service.polls.console).toBe(0);
  }, 20_000);

  it('says why it is standalone when nothing answers at the URL, and polls by itself', async () => {
    const port = await freePort();
    const session = await console(`http://127.0.0.1:${port}`);
    expect(session.getSnapshot().mode.attached).toBeUndefined();
    expect(session.getSnapshot().events.some((e) => e.text === `cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED: standalone, this console polls the sources itself`)).toBe(true);
    await until(session, () => bed.service.polls.console > 0);
  });
});

describe('a console on this host', () => {
  it('attaches again, to the standby that took the lease over, after kill -9 of the leader', async () => {
    const leader = agent();
    await leader.waitFor((l) => l.event === 'socket');
    const standby = agent();
    await standby.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby'));
    const session = await console();
    expect(session.getSnapshot().mode.attached).toEqual({ host: hostname() });
    leader.child.kill('SIGKILL');
    await until(session, (s) => s.events.some((e) => e.text.includes('went away')));
    const again = await until(session, (s) => s.events.some((e) => e.text.startsWith(`attached again, to agent on ${hostname()} (pid ${standby.child.pid})`)), 15_000);
    expect(again.mode.attached).toEqual({ host: hostname() });
    // Back on the agent: the console's own polls stop (a request already on its way may still land).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mine = bed.service.polls.console;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(bed.service.polls.console).toBe(mine);
  }, 30_000);
});

describe('a hostile agent', () => {
  async function fakeAgent(send: (lines: unknown[]) => unknown[]): Promise<string> {
    const p = profile();
    const state = initialState(p.name, Date.now());
    const snapshot = evaluate(p, state, {}, Date.now());
    const hello = { type: 'hello', host: 'evil\u001b[2J\u0007host', pid: 4242, profile: p.name, startedAt: 0 };
    const view = { type: 'view', now: Date.now(), snapshot: { ...snapshot, reasons: ['\u001b]0;pwned\u0007owned', ...snapshot.reasons] }, rollout: state, sourceAges: {}, series: {} };
    const fake = await startHttp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(send([hello, view]).map((m) => `${JSON.stringify(m)}\n`).join(''));
    });
    closers.push(() => fake.close());
    return fake.url;
  }

  it('has its strings made printable before they reach the screen', async () => {
    const url = await fakeAgent((lines) => lines);
    const session = await console(url);
    const s = session.getSnapshot();
    expect(s.mode.attached?.host).toBe('evil [2J host');
    expect(s.snapshot.reasons[0]).toBe(' ]0;pwned owned');
    expect(JSON.stringify(s.snapshot)).not.toMatch(/[\u0000-\u001f]/);
  });

  it('is refused, and the console polls by itself, when its judgement names metrics the profile does not have', async () => {
    const url = await fakeAgent(([hello, view]) => {
      const v = view as { snapshot: { metrics: { id: string }[] } };
      return [hello, { ...v, snapshot: { ...v.snapshot, metrics: v.snapshot.metrics.map((m) => ({ ...m, id: 'constructor' })) } }];
    });
    const session = await console(url);
    expect(session.getSnapshot().mode.attached).toBeUndefined();
    expect(session.getSnapshot().events.some((e) => /judges another version of remote .*: standalone/.test(e.text))).toBe(true);
    await until(session, () => bed.service.polls.console > 0);
  });
});
