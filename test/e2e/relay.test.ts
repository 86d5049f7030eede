// The built CLI in a real terminal beside a real leading agent: keys pressed in `rollcall watch`
// run the action in the console, and the change it makes reaches the agent, which saves it. Over
// `--agent URL` the same key is refused, and the console says why.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { whoAmI } from '../../src/actions/identity.js';
import { startAgent, type RunningAgent } from '../support/agent.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';
import { openTerminal, quote, tmuxFound, tmuxRequired, type Terminal } from '../support/tmux.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const PROFILE = 'test/fixtures/console/console.yaml';

let server: TestHttpServer;
let stateDir: string;
const cleanups: (() => void)[] = [];
const agents: RunningAgent[] = [];

beforeAll(async () => {
  if (!tmuxFound) {
    if (tmuxRequired) throw new Error('tmux is required for the console end-to-end tests (CI=true or ROLLCALL_REQUIRE_TMUX=1) but is not installed');
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  server = await startHttp((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(['app_error_ratio{track="canary"} 0.004', 'app_error_ratio{track="stable"} 0.003', 'app_latency_p95_seconds 0.18', 'app_requests_per_second 400', 'app_queue_depth 10', ''].join('\n'));
  });
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const a of agents.splice(0)) {
    if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    await a.exited;
  }
  rmSync(stateDir, { recursive: true, force: true });
});

async function leadingAgent(...extra: string[]): Promise<RunningAgent> {
  stateDir = mkdtempSync(join(tmpdir(), 'rollcall-relay-e2e-'));
  const a = startAgent([PROFILE, '--state-dir', stateDir, '--lease-timeout', '3s', ...extra], { ROLLCALL_CONSOLE_METRICS: server.url });
  agents.push(a);
  await a.waitFor((l) => l.event === 'socket');
  return a;
}

function watch(...args: string[]): Terminal {
  const cli = ['env', `ROLLCALL_CONSOLE_METRICS=${server.url}`, 'node', CLI, 'watch', PROFILE, '--state-dir', stateDir, ...args].map(quote).join(' ');
  const terminal = openTerminal(cli, { columns: 120, rows: 36 }, ROOT);
  cleanups.push(() => terminal.close());
  return terminal;
}

describe.skipIf(!tmuxFound && !tmuxRequired)('rollcall watch beside a leading agent', () => {
  it('rolls back from the keyboard: the output is in the console, the agent saves the change under the operator', async () => {
    const agent = await leadingAgent();
    const c = watch();
    await c.waitFor(`attached to agent on ${hostname()}`);
    await c.waitFor('saved by the agent');
    c.keys('r');
    await c.waitFor('Type rollback to run it');
    c.type('rollback');
    c.keys('Enter');
    await c.waitFor('fixture rollback: traffic set to 0%');
    await c.waitFor(/ROLLED BACK\s+rolled back to 0% traffic/);
    const operator = `${whoAmI().user}@${hostname()}`;
    expect(await agent.waitFor((l) => l.event === 'relay' && l.text.startsWith('rollout state changed'))).toMatchObject({ by: operator, text: `rollout state changed by ${operator} from a console: rollback canary → none` });
    const state = JSON.parse(readFileSync(join(stateDir, 'console-e2e.json'), 'utf8')) as { rolledBack: { by: string } | null };
    expect(state.rolledBack?.by).toBe(operator);
  }, 60_000);

  it('over --agent URL refuses the same key and says why', async () => {
    const port = await freePort();
    await leadingAgent('--listen', `127.0.0.1:${port}`);
    const c = watch('--agent', `http://127.0.0.1:${port}`);
    await c.waitFor(`attached to agent on ${hostname()}`);
    c.keys('r');
    await c.waitFor(/over HTTP: the rollout is changed only from a console on the agent's host/);
    const state = JSON.parse(readFileSync(join(stateDir, 'console-e2e.json'), 'utf8')) as { rolledBack: unknown; history: unknown[] };
    expect(state).toMatchObject({ rolledBack: null, history: [] });
  }, 60_000);
});
