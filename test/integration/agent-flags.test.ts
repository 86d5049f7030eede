// `rollcall agent` replaces itself, once and in the same process, with one under the Node flags
// an idle service runs best with (src/util/node-flags.ts); ROLLCALL_AGENT_FLAGS keeps it as started.

import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../src/util/node-flags.js';
import { startAgent, startWatchedService, watchedProfile, type RunningAgent, type WatchedService } from '../support/agent.js';

let dir: string;
let service: WatchedService;
const agents: RunningAgent[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-agent-flags-'));
  service = await startWatchedService();
});
afterEach(async () => {
  for (const a of agents.splice(0)) {
    if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
    await a.exited;
  }
  await service.server.close();
  await rm(dir, { recursive: true, force: true });
});

async function commandLineOf(env: Record<string, string> = {}): Promise<{ argv: string[]; agent: RunningAgent }> {
  const profile = join(dir, 'checkout.yaml');
  writeFileSync(profile, watchedProfile('checkout', service, join(dir, 'rollbacks.txt')));
  const agent = startAgent([profile, '--state-dir', join(dir, 'state')], env);
  agents.push(agent);
  await agent.waitFor((l) => l.event === 'start');
  return { argv: readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== ''), agent };
}

describe('rollcall agent', () => {
  it('runs under the agent flags in the process it was started as, and stops cleanly on SIGTERM', async () => {
    const { argv, agent } = await commandLineOf();
    for (const flag of AGENT_NODE_FLAGS) expect(argv).toContain(flag);
    // The same arguments after the flags: the same agent.
    expect(argv.slice(argv.indexOf('agent'))).toEqual(['agent', join(dir, 'checkout.yaml'), '--state-dir', join(dir, 'state')]);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(agent.lines.at(-1)).toMatchObject({ event: 'stop', text: expect.stringContaining('stopped') });
  });

  it('keeps the flags it was started with when ROLLCALL_AGENT_FLAGS is set', async () => {
    const { argv } = await commandLineOf({ ROLLCALL_AGENT_FLAGS: 'mine' });
    for (const flag of AGENT_NODE_FLAGS) expect(argv).not.toContain(flag);
  });
});
