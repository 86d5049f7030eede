// Exactly one actor, whoever is watching: a real agent leads a rollout and two consoles watch it,
// with the state in a file (both consoles on the agent's host, attached to its socket) and shared
// in PostgreSQL (the consoles on "other hosts": state directories of their own, polling by
// themselves). The breach is rolled back once, by the agent, and every notification reaches the
// webhook sink once.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/console/open-session.js';
import type { Session } from '../../src/console/session.js';
import { parseProfile } from '../../src/profile/load.js';
import { agentTestbed, watchedProfile } from '../support/agent.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { until } from '../support/session.js';

const bed = agentTestbed('two-consoles');

let db: TestPostgres;
let tables = 0;

beforeAll(async () => {
  db = await startPostgres();
});
afterAll(async () => {
  await db?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stores = [
  { store: 'file', state: () => '', consoleDir: () => join(bed.dir, 'state') },
  {
    store: 'PostgreSQL',
    state: () => `state: { store: postgres, url: "\${ROLLOUT_STATE_DATABASE_URL}", table: two_consoles_${++tables}, timeout: 2s }\n`,
    consoleDir: (user: string) => join(bed.dir, `host-of-${user}`),
  },
];

describe.each(stores)('an agent and two consoles on one rollout, the state in a $store store', ({ state, consoleDir }) => {
  it('roll back once, by the agent, and send every message once', async () => {
    const file = join(bed.dir, 'checkout.yaml');
    const rollbacks = join(bed.dir, 'rollbacks.txt');
    const text = watchedProfile('checkout', bed.service, rollbacks) + state();
    writeFileSync(file, text);
    const env = { ROLLOUT_STATE_DATABASE_URL: db.url };
    const agent = bed.start([file, '--state-dir', join(bed.dir, 'state'), '--lease-timeout', '3s'], env);
    await agent.waitFor((l) => l.event === 'lease' && l.text.startsWith('leader'));
    await agent.waitFor((l) => l.event === 'warm');
    const { profile } = parseProfile(text, file, { env });
    const sessions: Session[] = [];
    for (const user of ['alice', 'bob']) {
      const session = await openSession(profile, { stateDir: consoleDir(user), identity: { user, host: `bastion-${user}` } });
      sessions.push(bed.keep(session));
      session.start();
    }

    bed.service.rate = 0.05;
    await agent.waitFor((l) => l.event === 'action' && l.text.startsWith('rollback → exit 0'), 20_000);
    for (const session of sessions) await until(session, (s) => s.snapshot.rolledBack !== undefined && s.snapshot.rolledBack !== null, 15_000);
    // Past every grace period and a few judgements more: nothing else acts or sends.
    await sleep(4_000);
    expect(readFileSync(rollbacks, 'utf8')).toBe('rolled\n');
    const sent = bed.service.hooks.reduce<Record<string, number>>((acc, h) => ({ ...acc, [h.event]: (acc[h.event] ?? 0) + 1 }), {});
    expect(sent.action).toBe(1);
    expect(sent.rollback).toBe(1);
    expect(Object.values(sent).every((n) => n === 1)).toBe(true);
  }, 60_000);
});
