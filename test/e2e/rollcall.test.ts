// The roll call in a real terminal: `rollcall watch <dir>` on three profiles against one loopback
// /metrics server — one healthy (PROMOTE), one warning (HOLD), one breaching with an automatic
// rollback counting down (ROLLBACK). Rows sort by attention; enter opens a rollout's console, esc
// comes back; an action run in one rollout lands in that rollout's state and audit log only.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { openTerminal, quote, tmuxFound, tmuxRequired, type Terminal } from '../support/tmux.js';
import { startAgent } from '../support/agent.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const DIR = 'test/fixtures/rollcall';

let server: TestHttpServer;
let polls = 0;

beforeAll(async () => {
  if (!tmuxFound) {
    if (tmuxRequired) throw new Error('tmux is required for the roll call end-to-end tests (CI=true or ROLLCALL_REQUIRE_TMUX=1) but is not installed');
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  server = await startHttp((_req, res) => {
    polls++;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      [
        'app_error_ratio{service="healthy",track="canary"} 0.001',
        'app_error_ratio{service="healthy",track="stable"} 0.001',
        'app_latency_p95_seconds{service="healthy"} 0.12',
        'app_error_ratio{service="hold",track="canary"} 0.002',
        'app_error_ratio{service="hold",track="stable"} 0.002',
        `app_latency_p95_seconds{service="hold"} ${0.3 + (polls % 3) * 0.01}`,
        'app_error_ratio{service="breach",track="canary"} 0.05',
        'app_error_ratio{service="breach",track="stable"} 0.002',
        'app_latency_p95_seconds{service="breach"} 0.2',
        '',
      ].join('\n'),
    );
  });
});

afterAll(async () => {
  await server?.close();
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** `rollcall watch <dir>`; with `config`, plain `rollcall` and a default set naming the directory. */
function openRollcall(size: { columns: number; rows: number }, given?: string, opts: { config?: boolean } = {}): Terminal & { stateDir: string } {
  const stateDir = given ?? mkdtempSync(join(tmpdir(), 'rollcall-rollcall-'));
  const config = join(stateDir, 'config.yaml');
  writeFileSync(config, `profiles:\n  - ${join(ROOT, DIR)}\n`);
  const env = [`ROLLCALL_E2E_METRICS=${server.url}`, ...(opts.config ? [`ROLLCALL_CONFIG=${config}`] : [])];
  const args = opts.config ? [] : ['watch', DIR, '--state-dir', stateDir];
  // The default set's rollcall keeps its state where XDG says: the same directory here.
  const command = [...env, `XDG_STATE_HOME=${stateDir}`, 'node', CLI, ...args].map(quote).join(' ');
  const terminal = openTerminal(`env ${command}`, size, ROOT);
  cleanups.push(() => {
    terminal.close();
    if (!given) rmSync(stateDir, { recursive: true, force: true });
  });
  return { ...terminal, stateDir };
}

function auditActions(stateDir: string, profile: string): string[] {
  const file = join(stateDir, `${profile}.audit.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { action?: string; event: string; exitCode?: number | null })
    .flatMap((e) => (e.action ? [`${e.event} ${e.action}${e.exitCode !== undefined ? ` exit ${e.exitCode}` : ''}`] : []));
}

describe.skipIf(!tmuxFound && !tmuxRequired)('the roll call in a real terminal', () => {
  it('lists the breaching rollout first at 80x24, opens it on enter, rolls it back, and touches no other rollout', async () => {
    const t = openRollcall({ columns: 80, rows: 24 });
    // Until every source has answered, the others hold for want of data too: wait for the verdicts.
    let lines = await t.waitFor((l) => /1 ROLLBACK · 1 HOLD · 1 PROMOTE/.test(l[1] ?? '') && l.some((x) => /auto-rollback in [\dms]+/.test(x)));
    const order = lines.filter((l) => /Payments v2|Search reindex|Checkout canary/.test(l)).map((l) => l.match(/Payments v2|Search reindex|Checkout canary/)![0]);
    expect(order).toEqual(['Payments v2', 'Search reindex', 'Checkout canary']);
    expect(lines[1]).toMatch(/1 ROLLBACK · 1 HOLD · 1 PROMOTE/);
    expect(lines[2]).toMatch(/^▸ .*ROLLBACK.*Payments v2\s+1\/2 canary · 10% · <1m in phase$/);
    expect(lines[3]).toMatch(/✗ error rate 5% > 2%\s+auto-rollback in [\dms]+ · data live$/);
    expect(lines[22]).toBe('↑↓ select  enter open  R poll all  q quit');

    t.keys('Enter');
    lines = await t.waitFor(/^rollcall Payments v2/m);
    await t.waitFor('esc overview');
    t.keys('r');
    await t.waitFor('Type rollback to run it');
    t.type('rollback');
    t.keys('Enter');
    await t.waitFor('ROLLED BACK');
    t.keys('Escape');
    lines = await t.waitFor(/roll call · 3 rollouts/);
    expect(lines.join('\n')).toMatch(/ROLLED BACK.*Payments v2\s+1\/2 canary · 0%/);

    expect(auditActions(t.stateDir, 'rc-breach')).toEqual(['action-start rollback', 'action rollback exit 0']);
    expect(auditActions(t.stateDir, 'rc-hold')).toEqual([]);
    expect(auditActions(t.stateDir, 'rc-healthy')).toEqual([]);
    const state = (profile: string) => JSON.parse(readFileSync(join(t.stateDir, `${profile}.json`), 'utf8')) as { rolledBack: unknown };
    expect(state('rc-breach').rolledBack).not.toBeNull();
    expect(state('rc-hold').rolledBack ?? null).toBeNull();
    expect(state('rc-healthy').rolledBack ?? null).toBeNull();

    t.keys('q');
    await t.waitFor('exit=0');
  });

  it('opens the default set on plain `rollcall`, gives each rollout one line at 160x48, and j moves the selection down the sorted rows', async () => {
    const t = openRollcall({ columns: 160, rows: 48 }, undefined, { config: true });
    let lines = await t.waitFor((l) => /1 ROLLBACK · 1 HOLD · 1 PROMOTE/.test(l[1] ?? '') && l.some((x) => /Payments v2.*auto-rollback in/.test(x)));
    const rows = lines.slice(2, 5);
    expect(rows[0]).toMatch(/^▸ .*ROLLBACK.*Payments v2\s+1\/2 canary · 10% · <1m in phase\s+✗ error rate 5% > 2%\s+auto-rollback in [\dms]+ · data live$/);
    expect(rows[1]).toMatch(/^ {2}.*HOLD.*Search reindex\s+1\/2 canary · 10% · <1m in phase\s+! p95 latency 3\d0ms > 250ms\s+data live$/);
    expect(rows[2]).toMatch(/^ {2}.*PROMOTE.*Checkout canary\s+1\/2 canary · 10% · <1m in phase\s+ready to promote/);
    expect(lines[46]).toBe('↑↓ select  enter open  R poll all  q quit');
    t.keys('j');
    lines = await t.waitFor((l) => /^▸ .*Search reindex/.test(l[3] ?? ''));
    t.keys('Enter');
    await t.waitFor(/^rollcall Search reindex/m);
    t.keys('Escape');
    await t.waitFor(/roll call · 3 rollouts/);
    // Payments v2 counts down to an automatic rollback that only this console would run: ask first.
    t.keys('q');
    lines = await t.waitFor(/^Quit\? Payments v2: its automatic rollback stops with this console\s+\[y\/N\]$/m);
    expect(lines[2]).toMatch(/^▸ .*Payments v2/);
    t.keys('y');
    await t.waitFor('exit=0');
  });

  it('attaches every rollout to the agent that leads them, and costs the sources nothing more', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'rollcall-rollcall-agent-'));
    const agent = startAgent([DIR, '--state-dir', stateDir], { ROLLCALL_E2E_METRICS: server.url });
    cleanups.push(() => {
      agent.child.kill('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    });
    for (const name of ['rc-healthy', 'rc-hold', 'rc-breach']) {
      await agent.waitFor((l) => l.rollout === name && l.event === 'socket' && l.text.startsWith('consoles attach'));
    }
    const rate = async () => {
      const before = polls;
      await new Promise((r) => setTimeout(r, 4_000));
      return (polls - before) / 4;
    };
    const alone = await rate();
    const t = openRollcall({ columns: 80, rows: 24 }, stateDir);
    const lines = await t.waitFor(/3 attached to an agent/);
    expect(lines[1]).toMatch(/1 ROLLBACK · 1 HOLD · 1 PROMOTE/);
    const watched = await rate();
    // Three rollouts polling by themselves would double the rate; attached, it stays the agent's.
    expect(watched).toBeLessThan(alone * 1.5);
    t.keys('Enter');
    await t.waitFor(/attached to agent on/);
    t.keys('Escape');
    await t.waitFor(/roll call · 3 rollouts/);
    t.keys('q');
    await t.waitFor('exit=0');
  });

  it('audits an automatic rollback countdown left behind when the terminal goes away (SIGHUP, as when SSH drops)', async () => {
    const t = openRollcall({ columns: 80, rows: 24 });
    await t.waitFor((l) => l.some((x) => /auto-rollback in [\dms]+/.test(x)));
    // The console's own countdown (the one quitting would abandon) says which key cancels it.
    t.keys('Enter');
    await t.waitFor('(c cancels)');
    // tmux's server going away hangs up its terminals: the console gets SIGHUP, and every write to
    // stdout or stderr fails from then on: none of it may cut short
    // the shutdown that writes the audit line.
    t.close();
    const deadline = Date.now() + 10_000;
    const quits = () => {
      const file = join(t.stateDir, 'rc-breach.audit.jsonl');
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"event":"quit"')) : [];
    };
    while (quits().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(quits()).toHaveLength(1);
    expect(JSON.parse(quits()[0]!).note).toMatch(/^stopped by SIGHUP during the auto-rollback countdown \(error_rate .*, \d+s left\): the rollback will not run from this console$/);
    // The rollouts without a countdown have nothing to say about it.
    expect(existsSync(join(t.stateDir, 'rc-hold.audit.jsonl')) ? readFileSync(join(t.stateDir, 'rc-hold.audit.jsonl'), 'utf8') : '').not.toContain('"quit"');
  });
});
