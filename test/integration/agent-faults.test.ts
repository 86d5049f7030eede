// Faults of the history store under a running agent (a real process): the file deleted, then its
// path unusable. Each is said in the log, judging goes on, and storing comes back without a restart.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentTestbed, watchedProfile, type RunningAgent } from '../support/agent.js';

const bed = agentTestbed('agent-faults');

let agent: RunningAgent | undefined;


const removeHistory = (file: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true, recursive: true });
};

describe('the agent when its history store fails', () => {
  it('says the file was deleted, starts a new one, and judges on throughout', async () => {
    const profile = join(bed.dir, 'checkout.yaml');
    writeFileSync(profile, watchedProfile('checkout', bed.service, join(bed.dir, 'rollbacks.txt'), { auto: false }));
    const state = join(bed.dir, 'state');
    const history = join(state, 'checkout.history.sqlite');
    agent = bed.start([profile, '--state-dir', state]);
    await agent.waitFor((l) => l.event === 'warm');

    removeHistory(history);
    await agent.waitFor((l) => l.event === 'history' && l.level === 'error' && l.text === `history ${history} was removed: a new history starts now; judging goes on`);
    await agent.waitFor((l) => l.event === 'history' && l.text === 'history stored again');
    expect(existsSync(history)).toBe(true);

    // Now a path it cannot open at all (a directory where the file was): said, and judging goes on.
    removeHistory(history);
    mkdirSync(history);
    await agent.waitFor((l) => l.event === 'history' && l.level === 'error' && l.text.startsWith(`history ${history}: opening failed (`) && l.text.endsWith('; samples are not stored; judging goes on'));
    bed.service.rate = 0.015;
    await agent.waitFor((l) => l.event === 'decision' && l.text.startsWith('decision SOAK → HOLD'));
    const stored = agent.lines.filter((l) => l.text === 'history stored again').length;

    // Freed again: storing comes back by itself, no restart.
    rmSync(history, { recursive: true });
    await agent.waitFor((l) => l.event === 'history' && l.text === 'history stored again' && agent!.lines.filter((x) => x.text === 'history stored again').length > stored, 15_000);
    expect(existsSync(history)).toBe(true);
    expect(agent.child.exitCode).toBeNull();
  }, 40_000);
});
