// A console attached to a real `rollcall agent`: it shows the agent's judgement and polls no
// source while the agent lives; after kill -9 it says so and polls by itself. The service tells
// the two apart by path: the agent's profile resolves ROLLCALL_ATTACH_URL to /agent, the console's
// to /console.

import { existsSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { agentSocketPath } from '../../src/agent/socket.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { parseProfile } from '../../src/profile/load.js';
import { agentTestbed, errorRateProfile, type RunningAgent } from '../support/agent.js';
import { until as untilState } from '../support/session.js';

const PROFILE = errorRateProfile('attach', '${ROLLCALL_ATTACH_URL}');

const bed = agentTestbed('attach');

beforeEach(() => {
  bed.service.rate = 0.015;
});

const stateDir = () => join(bed.dir, 'state');

async function leadingAgent(): Promise<RunningAgent> {
  const file = join(bed.dir, 'attach.yaml');
  writeFileSync(file, PROFILE);
  const a = bed.start([file, '--state-dir', stateDir(), '--lease-timeout', '3s'], { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/agent` });
  await a.waitFor((l) => l.event === 'socket' && l.text.startsWith('consoles attach at'));
  return a;
}

async function console(): Promise<Session> {
  const { profile } = parseProfile(PROFILE, join(bed.dir, 'attach.yaml'), { env: { ROLLCALL_ATTACH_URL: `${bed.service.server.url}/console` } });
  const session = await openSession(profile, { identity: { user: 'alice', host: 'bastion' }, stateDir: stateDir() });
  bed.keep(session);
  session.start();
  return session;
}

const until = (session: Session, test: (s: ConsoleState) => boolean, timeoutMs = 8_000) => untilState(session, test, timeoutMs);

describe('a console beside a running agent', () => {
  it("shows the agent's judgement without polling a source, and polls by itself once the agent is killed", async () => {
    const agent = await leadingAgent();
    const warm = await agent.waitFor((l) => l.event === 'warm');
    expect(statSync(agentSocketPath(stateDir(), 'attach')).mode & 0o777).toBe(0o600);

    const session = await console();
    const opened = session.getSnapshot();
    expect(opened.mode.attached).toEqual({ host: hostname() });
    expect(warm.text).toMatch(new RegExp(`^every metric polled: ${opened.snapshot.decision}`));
    expect(opened.snapshot.decision).toBe('HOLD');
    expect(opened.snapshot.metrics.find((m) => m.id === 'error_rate')?.value).toBeCloseTo(0.015);
    expect(opened.events.some((e) => /^attached to agent on .+ \(pid \d+, .+\.agent\.sock\): its judgement is shown, this console polls no source$/.test(e.text))).toBe(true);

    // The agent's polls go on and reach the console as new series; the console makes none.
    const agentPolls = bed.service.polls.agent;
    const points = (s: ConsoleState) => s.series.error_rate?.groups[0]?.canary.length ?? 0;
    const before = points(session.getSnapshot());
    await until(session, (s) => points(s) >= before + 2);
    // What the agent says of a change reaches the console's event log.
    bed.service.rate = 0.005;
    await until(session, (s) => s.events.some((e) => e.text === 'error_rate warn → ok') && s.snapshot.decision === 'SOAK');
    expect(bed.service.polls.agent).toBeGreaterThanOrEqual(agentPolls + 2);
    expect(bed.service.polls.console).toBe(0);

    agent.child.kill('SIGKILL');
    const fell = await until(session, (s) => s.events.some((e) => /^agent on .+ went away \(.+\): this console polls the sources itself; it looks for an agent again every 5s$/.test(e.text)));
    expect(fell.mode.attached).toBeUndefined();
    await until(session, () => bed.service.polls.console > 0);
    // Its own loop judges now: it says so when every metric has answered it.
    await until(session, (s) => s.events.some((e) => e.text.startsWith('every metric polled: SOAK')));
  }, 20_000);

  it('is standalone when no agent serves the rollout, and an agent started over a killed one’s socket serves again', async () => {
    // A socket file left by a killed agent answers nothing: the console polls by itself at once.
    const first = await leadingAgent();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(agentSocketPath(stateDir(), 'attach'))).toBe(true);
    const alone = await console();
    expect(alone.getSnapshot().mode.attached).toBeUndefined();
    await until(alone, () => bed.service.polls.console > 0);
    await alone.close();

    const second = await leadingAgent();
    const attached = await console();
    expect(attached.getSnapshot().mode.attached).toEqual({ host: hostname() });

    // Stopped cleanly, the agent takes its socket away.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(agentSocketPath(stateDir(), 'attach'))).toBe(false);
  }, 20_000);
});
