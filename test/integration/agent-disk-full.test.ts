// The disk under the agent's state directory fills up while it leads a rollout (a real tmpfs filled
// to the last byte, a real agent process): the automatic rollback still runs, once; its audit lines
// and the rolled-back state are kept in memory and written when space comes back; the history says
// it is full and judging goes on; and a restarted agent does not roll back a second time.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentTestbed, watchedProfile, type RunningAgent } from '../support/agent.js';
import { mountSmallDisk } from '../support/small-disk.js';

const bed = agentTestbed('disk-full');

const disk = mountSmallDisk(1024);
const unavailable = 'unavailable' in disk ? disk.unavailable : undefined;
if (unavailable) console.warn(`skipped: ${unavailable}`);

let agent: RunningAgent | undefined;

afterAll(() => {
  if (!('unavailable' in disk)) disk.unmount();
});

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe.skipIf(unavailable !== undefined)('the agent when the disk under its state directory is full', () => {
  it('rolls back once, keeps the audit lines and the state in memory, and writes them when space comes back', async () => {
    if ('unavailable' in disk) return;
    const profile = join(bed.dir, 'checkout.yaml');
    const rollbacks = join(bed.dir, 'rollbacks.txt');
    writeFileSync(profile, watchedProfile('checkout', bed.service, rollbacks));
    const state = join(disk.dir, 'state');
    agent = bed.start([profile, '--state-dir', state]);
    await agent.waitFor((l) => l.event === 'warm');
    await agent.waitFor((l) => l.text === 'leader: automatic actions and notifications run here');

    disk.fill();
    await agent.waitFor((l) => l.event === 'history' && l.level === 'error' && l.text.includes('is full') && l.text.endsWith('judging goes on'));
    bed.service.rate = 0.05;
    const ended = await agent.waitFor((l) => l.event === 'action' && l.text.startsWith('rollback → exit 0'), 20_000);
    expect(ended.text).toContain('rolled back');
    expect(ended.text).toContain('NOT YET SAVED: cannot write the state file');
    expect(ended.text).toContain('no space left on device');
    expect(ended.text).toContain('AUDIT LOG NOT WRITTEN');
    expect(ended.text).toContain('kept in memory');
    await agent.waitFor((l) => l.event === 'audit' && l.level === 'error' && l.text.includes('no space left on device'));
    await agent.waitFor((l) => l.event === 'state' && l.level === 'error' && l.text.startsWith('rollout state not saved'));
    expect(lines(join(state, 'checkout.audit.jsonl'))).toEqual([]);

    // The breach goes on, but the rollout is rolled back in memory: nothing runs a second time.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(lines(rollbacks)).toEqual(['rolled']);

    disk.free();
    await agent.waitFor((l) => l.event === 'audit' && l.text === 'the audit lines kept in memory are written', 15_000);
    await agent.waitFor((l) => l.event === 'state' && l.text === 'rollout state saved', 15_000);
    await agent.waitFor((l) => l.event === 'history' && l.text === 'history stored again', 15_000);
    const audit = lines(join(state, 'checkout.audit.jsonl')).map((l) => JSON.parse(l) as { event: string; action?: string; auto?: boolean });
    expect(audit.map((e) => e.event)).toEqual(['auto-rollback-start', 'action-start', 'action']);
    expect(audit.slice(1).every((e) => e.action === 'rollback' && e.auto === true)).toBe(true);
    const saved = JSON.parse(readFileSync(join(state, 'checkout.json'), 'utf8')) as { rolledBack: { by: string } | null };
    expect(saved.rolledBack?.by).toMatch(/\(auto-rollback\)$/);

    // Killed and started again, the agent reads the saved rollback and runs nothing.
    agent.child.kill('SIGKILL');
    await agent.exited;
    agent = bed.start([profile, '--state-dir', state]);
    await agent.waitFor((l) => l.text === 'leader: automatic actions and notifications run here');
    await agent.waitFor((l) => l.event === 'warm');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(lines(rollbacks)).toEqual(['rolled']);
    expect(bed.service.hooks.filter((h) => h.event === 'action')).toHaveLength(1);
  }, 90_000);
});
