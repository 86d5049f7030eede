import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/actions/audit.js';
import { Notifier } from '../../src/actions/notify.js';
import { ActionRunner } from '../../src/actions/runner.js';
import { openStateStore } from '../../src/actions/state-store.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { RolloutStore } from '../../src/engine/state.js';
import type { Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';

const DEPLOY_TOKEN = 's3cr3t-9f8e7d6c5b4a';
/** JSON escapes this one: it must be redacted before it is serialized, not after. */
const DB_PASSWORD = 'pa"ss\\word-77';
const HOOK_PATH = 'T0/B0/hookpath-4242';
const SCRIPTS = resolve(import.meta.dirname, '../fixtures/scripts');

let dir: string;
let server: TestHttpServer;
const bodies: string[] = [];
let store: RolloutStore | undefined;
let audit: AuditLog | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-secrets-'));
  server = await startHttp((req, res) => {
    void readBody(req).then((body) => {
      bodies.push(body);
      res.statusCode = req.url?.startsWith('/broken') ? 500 : 200;
      res.end();
    });
  });
});

afterAll(async () => {
  await audit?.close();
  await store?.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function profileYaml(deadPort: number): string {
  const env = '{ DEPLOY_TOKEN: "${DEPLOY_TOKEN}" }';
  return `
name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9" }
metrics:
  error_rate: { source: prom, query: "up", unit: ratio }
phases:
  - { name: canary, traffic: 10 }
actions:
  ok: { run: ["${SCRIPTS}/echo-secret.sh"], env: ${env} }
  fail: { run: ["${SCRIPTS}/echo-secret.sh", "1"], env: ${env} }
  hang: { run: ["${SCRIPTS}/echo-secret.sh", "hang"], env: ${env}, timeout: 300ms }
  argv: { run: ["${SCRIPTS}/args.sh", "--token=\${DEPLOY_TOKEN}", "--password=\${DB_PASSWORD}"] }
  shell: { run: [echo, '"$DEPLOY_TOKEN"', "\${DEPLOY_TOKEN}"], shell: true, env: ${env} }
  missing: { run: ["${dir}/\${DEPLOY_TOKEN}/flagctl"] }
notify:
  - { type: webhook, url: "${server.url}/hook", headers: { Authorization: "Bearer \${DEPLOY_TOKEN}" }, on: [action] }
  - { type: slack, url: "${server.url}/broken/${HOOK_PATH}", on: [action] }
  - { type: slack, url: "http://127.0.0.1:${deadPort}/services/${HOOK_PATH}", on: [action] }
`;
}

describe('secrets', () => {
  it('never appear in the audit log, events, notifications or messages, whatever an action does', { timeout: 30_000 }, async () => {
    const { profile } = parseProfile(profileYaml(await freePort()), join(dir, 'checkout.yaml'), {
      env: { DEPLOY_TOKEN, DB_PASSWORD },
    });
    const clock = new VirtualClock();
    store = await openStateStore(profile, { dir, clock });
    audit = await AuditLog.open(join(dir, 'checkout.audit.jsonl'), { secrets: profile.secrets });
    const notifier = new Notifier({ targets: profile.notify, profile, clock, retryDelayMs: 5 });
    const runner = new ActionRunner({ profile, store, audit, clock, notifier, identity: { user: 'alice', host: 'bastion-1' } });
    const seen: string[] = [];
    runner.subscribe((e) => seen.push(JSON.stringify(e)));
    notifier.subscribe((e) => seen.push(JSON.stringify(e)));
    const snapshot: Snapshot = {
      at: clock.now(),
      profile: 'checkout',
      decision: 'SOAK',
      reasons: [],
      metrics: [],
      phase: { index: 0, name: 'canary', title: 'canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
    };
    notifier.onSnapshot(undefined, snapshot);

    const outcomes = [];
    for (const name of ['ok', 'fail', 'hang', 'argv', 'shell', 'missing']) outcomes.push(await runner.run({ action: name, snapshot }));
    await notifier.flush();
    await audit.flush();

    // The actions really did print the token: what came back was redacted, not silent.
    expect(outcomes[0]!.outputTail).toEqual(['using token ***', 'auth failed for ***']);
    expect(outcomes[3]!.outputTail).toEqual(['arg=--token=***', 'arg=--password=***']);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, true, true, false]);
    expect(outcomes[2]!.timedOut).toBe(true);
    expect(bodies).toHaveLength(6 + 6 * 4);
    expect(seen.filter((e) => e.includes('"failed"'))).toHaveLength(12);

    const everything = [
      readFileSync(join(dir, 'checkout.audit.jsonl'), 'utf8'),
      ...seen,
      ...outcomes.map((o) => JSON.stringify(o)),
      ...bodies,
    ].join('\n');
    for (const secret of [DEPLOY_TOKEN, DB_PASSWORD, JSON.stringify(DB_PASSWORD).slice(1, -1), HOOK_PATH]) {
      expect(everything).not.toContain(secret);
    }
  });
});
