// The leading agent killed with -9 while its automatic rollback runs (real processes): the standby
// takes the lease, closes the interrupted run in the audit log as OUTCOME UNKNOWN, tells the
// notification targets once, and does not run a second automatic rollback for the same breach.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentTestbed, watchedProfile, type RunningAgent } from '../support/agent.js';

const bed = agentTestbed('killed-mid-action');


function agent(profile: string): RunningAgent {
  const a = bed.start([profile, '--state-dir', join(bed.dir, 'state'), '--lease-timeout', '3s']);
  return a;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leads = (l: { event: string; text: string }) => l.event === 'lease' && l.text.startsWith('leader');

describe('a leading agent killed during its automatic rollback', () => {
  it('leaves the standby to say the outcome is unknown, once, without rolling back a second time', async () => {
    const profile = join(bed.dir, 'checkout.yaml');
    const started = join(bed.dir, 'started.txt');
    const rollbacks = join(bed.dir, 'rollbacks.txt');
    // A rollback that takes 3 s: the leader dies in the middle of it.
    const slow = `actions:\n  rollback: { run: [sh, -c, "echo start >> ${started}; sleep 3; echo rolled >> ${rollbacks}"], confirm: typed }\n`;
    writeFileSync(profile, watchedProfile('checkout', bed.service, rollbacks).replace(/actions:\n.*\n/, slow));
    const a = agent(profile);
    await a.waitFor(leads);
    const b = agent(profile);
    await b.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby'));
    await b.waitFor((l) => l.event === 'warm');

    bed.service.rate = 0.05;
    await a.waitFor((l) => l.event === 'action' && l.text.startsWith('rollback started: $'), 20_000);
    // Killed once the command is under way (it has written its first line), not before it spawned.
    while (!existsSync(started)) await sleep(20);
    a.child.kill('SIGKILL');
    await a.exited;

    await b.waitFor(leads, 10_000);
    const unknown = await b.waitFor((l) => l.event === 'action' && l.level === 'error' && l.text.includes('OUTCOME UNKNOWN'));
    expect(unknown.text).toMatch(/^rollback started \S+ by \S+: OUTCOME UNKNOWN, rollcall stopped before it ended/);
    await b.waitFor((l) => l.event === 'auto-rollback' && l.text.endsWith('no second automatic rollback for this breach'));

    // The breach goes on past the grace period and the orphaned command's end: still one run.
    await sleep(5_000);
    expect(lines(started)).toEqual(['start']);
    expect(lines(rollbacks)).toEqual(['rolled']);
    expect(b.lines.some((l) => l.event === 'action' && l.text.startsWith('rollback started: $'))).toBe(false);
    const audit = lines(join(bed.dir, 'state', 'checkout.audit.jsonl')).map((l) => JSON.parse(l) as { event: string; outcomeUnknown?: boolean });
    expect(audit.map((e) => e.event)).toEqual(['auto-rollback-start', 'action-start', 'action']);
    expect(audit[2]!.outcomeUnknown).toBe(true);
    const actions = bed.service.hooks.filter((h) => h.event === 'action') as { event: string; headline?: string }[];
    expect(actions).toHaveLength(1);
  }, 60_000);
});
