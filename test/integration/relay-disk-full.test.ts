// Consoles beside a leading agent whose state directory's disk is full (a real tmpfs filled to the
// last byte, a real agent process): a relayed change is in effect at once, held in the agent's
// memory, and the console says it is not yet saved; a second console's change is derived from the
// agent's state, not from the file the disk kept old; both are written when space comes back.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSession } from '../../src/console/open-session.js';
import { parseProfile } from '../../src/profile/load.js';
import { agentTestbed, errorRateProfile } from '../support/agent.js';
import { until } from '../support/session.js';
import { mountSmallDisk } from '../support/small-disk.js';

const disk = mountSmallDisk(1024);
const unavailable = 'unavailable' in disk ? disk.unavailable : undefined;
if (unavailable) console.warn(`skipped: ${unavailable}`);

const bed = agentTestbed('relay-disk-full');

afterEach(() => {
  if (!('unavailable' in disk)) disk.free();
});
afterAll(() => {
  if (!('unavailable' in disk)) disk.unmount();
});

describe.skipIf(unavailable !== undefined)('consoles beside an agent whose disk is full', () => {
  it('promote at once, say the change is not yet saved, derive from the agent’s state rather than the stale file, and are saved when space comes back', async () => {
    if ('unavailable' in disk) return;
    const text = errorRateProfile('checkout', bed.service.server.url, {
      phases: ['{ name: canary, traffic: 10, duration: 1h }', '{ name: half, traffic: 50 }', '{ name: full, traffic: 100 }'],
      more: 'actions:\n  promote: { run: [sh, -c, "echo promoting"] }\n',
    });
    const file = join(bed.dir, 'checkout.yaml');
    writeFileSync(file, text);
    const state = join(disk.dir, 'state');
    const agent = bed.start([file, '--state-dir', state, '--lease-timeout', '30s']);
    await agent.waitFor((l) => l.event === 'socket');
    const { profile } = parseProfile(text, file);
    const open = async (user: string) => {
      const session = await openSession(profile, { identity: { user, host: 'bastion' }, stateDir: state });
      bed.keep(session);
      session.start();
      return session;
    };
    const alice = await open('alice');
    const bob = await open('bob');
    const stateFile = () => JSON.parse(readFileSync(join(state, 'checkout.json'), 'utf8')) as { phaseName: string; history: { by: string }[] };

    disk.fill();
    const first = await alice.run('promote', { forced: true });
    expect(first.message).toMatch(/; rollout now in half \(50% traffic\); NOT YET SAVED: the agent holds it: cannot write the state file .+: no space left on device; kept in memory and saved when the disk allows/);
    await until(bob, (s) => s.snapshot.phase.name === 'half', 2_000);
    expect(stateFile().phaseName).toBe('canary');

    // Bob's console derives from the file, which the full disk keeps at canary: the agent answers
    // with the state it holds, and bob's promote follows alice's instead of undoing it.
    const second = await bob.run('promote', { forced: true });
    expect(second.message).toMatch(/; rollout now in full \(100% traffic\); NOT YET SAVED: /);

    disk.free();
    await agent.waitFor((l) => l.event === 'state' && l.text === 'rollout state saved', 15_000);
    expect(stateFile().phaseName).toBe('full');
    expect(stateFile().history.map((m) => m.by)).toEqual(['alice@bastion', 'bob@bastion']);
  }, 60_000);
});
