// Faults of the history store under a running agent (a real process): the file deleted, then its
// path unusable. Each is said in the log, judging goes on, and storing comes back without a restart.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgent, startWatchedService, watchedProfile, type RunningAgent, type WatchedService } from '../support/agent.js';

let dir: string;
let service: WatchedService;
let agent: RunningAgent | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-agent-faults-'));
  service = await startWatchedService();
});
afterEach(async () => {
  if (agent && agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
  await agent?.exited;
  agent = undefined;
  await service.server.close();
  await rm(dir, { recursive: true, force: true });
});

const removeHistory = (file: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true, recursive: true });
};

describe('the agent when its history store fails', () => {
  it('says the file was deleted, starts a new one, and judges on throughout', async () => {
    const profile = join(dir, 'checkout.yaml');
    writeFileSync(profile, watchedProfile('checkout', service, join(dir, 'rollbacks.txt'), { auto: false }));
    const state = join(dir, 'state');
    const history = join(state, 'checkout.history.sqlite');
    agent = startAgent([profile, '--state-dir', state]);
    await agent.waitFor((l) => l.event === 'warm');

    removeHistory(history);
    await agent.waitFor((l) => l.event === 'history' && l.level === 'error' && l.text === `history ${history} was removed: a new history starts now; judging goes on`);
    await agent.waitFor((l) => l.event === 'history' && l.text === 'history stored again');
    expect(existsSync(history)).toBe(true);

    // Now a path it cannot open at all (a directory where the file was): said, and judging goes on.
    removeHistory(history);
    mkdirSync(history);
    await agent.waitFor((l) => l.event === 'history' && l.level === 'error' && l.text.startsWith(`history ${history}: opening failed (`) && l.text.endsWith('; samples are not stored; judging goes on'));
    service.rate = 0.015;
    await agent.waitFor((l) => l.event === 'decision' && l.text.startsWith('decision SOAK → HOLD'));
    const stored = agent.lines.filter((l) => l.text === 'history stored again').length;

    // Freed again: storing comes back by itself, no restart.
    rmSync(history, { recursive: true });
    await agent.waitFor((l) => l.event === 'history' && l.text === 'history stored again' && agent!.lines.filter((x) => x.text === 'history stored again').length > stored, 15_000);
    expect(existsSync(history)).toBe(true);
    expect(agent.child.exitCode).toBeNull();
  }, 40_000);
});
