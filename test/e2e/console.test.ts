// The built CLI in a real terminal: tmux runs `node dist/src/cli.js watch` against a loopback
// /metrics server, the test reads the screen with capture-pane, presses keys, and reads the audit
// log the console wrote. Each test gets its own tmux server (-L rollcall-test-<pid>-<n>).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { openTerminal, quote, tmuxFound, tmuxRequired } from '../support/tmux.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const PROFILE = 'test/fixtures/console/console.yaml';

const required = tmuxRequired;
if (!tmuxFound && !required) console.warn('\n!!! tmux is not installed: the console end-to-end tests are SKIPPED (install tmux to run them) !!!\n');

let server: TestHttpServer;
let requests = 0;

beforeAll(async () => {
  if (!tmuxFound) {
    if (required) throw new Error('tmux is required for the console end-to-end tests (CI=true or ROLLCALL_REQUIRE_TMUX=1) but is not installed');
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  server = await startHttp((req, res) => {
    requests++;
    const wobble = (requests % 5) * 0.0003;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      [
        `app_error_ratio{track="canary"} ${0.004 + wobble}`,
        'app_error_ratio{track="stable"} 0.003',
        `app_latency_p95_seconds ${0.18 + (requests % 3) * 0.01}`,
        `app_requests_per_second ${400 + (requests % 7)}`,
        `app_queue_depth ${10 + (requests % 4)}`,
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

interface Console {
  stateDir: string;
  screen(): string[];
  /** The screen with its colour and attribute escapes. */
  styled(): string;
  waitFor(what: string | RegExp | ((lines: string[]) => boolean), timeoutMs?: number): Promise<string[]>;
  keys(...keys: string[]): void;
  type(text: string): void;
  display(format: string): string;
  resize(columns: number, rows: number): void;
  consolePid(): number;
}

/** Opens the console in a fresh tmux server; the shell stays after it exits so the prompt can be read. */
function openConsole(size: { columns: number; rows: number }, opts: { args?: string[]; env?: string[]; stdin?: 'pipe'; stateDir?: string } = {}): Console {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'rollcall-console-'));
  const env = ['env', `ROLLCALL_CONSOLE_METRICS=${server.url}`, ...(opts.env ?? [])];
  const cli = [...env, 'node', CLI, 'watch', PROFILE, '--state-dir', stateDir, ...(opts.args ?? [])].map(quote).join(' ');
  const terminal = openTerminal(`${opts.stdin === 'pipe' ? 'echo | ' : ''}${cli}`, size, ROOT);
  cleanups.push(() => {
    terminal.close();
    if (!opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
  });
  const { tmux } = terminal;
  return {
    ...terminal,
    stateDir,
    display: (format) => tmux('display-message', '-p', '-t', 'rc', format).trim(),
    resize: (columns, rows) => void tmux('resize-window', '-t', 'rc', '-x', String(columns), '-y', String(rows)),
    consolePid() {
      const shell = Number(tmux('display-message', '-p', '-t', 'rc', '#{pane_pid}').trim());
      const child = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .find((d) => {
          try {
            const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === shell && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('cli.js');
          } catch {
            return false;
          }
        });
      if (!child) throw new Error('the console process is not running');
      return Number(child);
    },
  };
}


/** Non-empty rows that appear more than once: a renderer that loses track of the screen duplicates rows (Ink 6.7 did). */
function repeatedRows(lines: string[]): string[] {
  const seen = new Map<string, number>();
  for (const line of lines) if (line.trim() !== '') seen.set(line, (seen.get(line) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([line]) => line);
}

function auditEntries(stateDir: string): Record<string, unknown>[] {
  const file = join(stateDir, 'console-e2e.audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const LIVE = /error rate\s+0\.\d+%\s+0\.3%/;

describe.skipIf(!tmuxFound && !required)('the console in a real terminal', () => {
  it('fits header, metric table and footer in 80x24 with no row twice and the last row free', async () => {
    const c = openConsole({ columns: 80, rows: 24 });
    let lines = await c.waitFor(LIVE);
    lines = await c.waitFor('data live');
    // Every metric answers within its first poll or two; on a loaded machine the last may come a
    // little after the first, so wait for the headline that follows it rather than one read.
    lines = await c.waitFor((l) => /HOLD\s+checklist: 1 item unchecked/.test(l[2] ?? ''));
    expect(lines).toHaveLength(24);
    expect(lines[0]).toMatch(/^rollcall Console end to end\s+\d\d:\d\d$/);
    expect(lines[1]).toContain('phase 1/3 canary · 10% traffic');
    expect(lines[2]).toMatch(/HOLD\s+checklist: 1 item unchecked/);
    for (const title of ['error rate', 'p95 latency', 'throughput', 'queue depth']) expect(lines.some((l) => l.includes(title))).toBe(true);
    expect(lines[22]).toMatch(/^p promote\s+r rollback.*q quit$/);
    expect(lines[23]).toBe('');
    expect(repeatedRows(lines)).toEqual([]);
    // Several updates later the frame is still whole: the incremental renderer rewrote lines in place.
    await new Promise((r) => setTimeout(r, 3_000));
    const later = c.screen();
    expect(repeatedRows(later)).toEqual([]);
    expect(later[22]).toMatch(/q quit$/);
    expect(later[23]).toBe('');
  });

  it('rolls back after the typed confirmation, shows the output and writes the audit line', async () => {
    const c = openConsole({ columns: 80, rows: 24 });
    await c.waitFor(LIVE);
    c.keys('r');
    await c.waitFor('Type rollback to run it');
    c.type('rollback');
    c.keys('Enter');
    const lines = await c.waitFor('fixture rollback: traffic set to 0%');
    expect(lines.join('\n')).toContain('! fixture rollback: done');
    await c.waitFor(/ROLLED BACK\s+rolled back to 0% traffic/);
    const entry = auditEntries(c.stateDir).find((e) => e.event === 'action');
    expect(entry).toMatchObject({ action: 'rollback', ok: true, exitCode: 0, argv: ['sh', 'test/fixtures/console/action.sh', 'rollback', '0'], profile: 'console-e2e' });
    expect(entry?.output).toContain('fixture rollback: traffic set to 0%');
  });

  it('leaves a clean shell prompt on q: main screen back, cursor visible', async () => {
    const c = openConsole({ columns: 80, rows: 24 });
    await c.waitFor(LIVE);
    expect(c.display('#{alternate_on}')).toBe('1');
    c.keys('q');
    const lines = await c.waitFor('prompt$');
    expect(lines.join('\n')).toContain('exit=0');
    expect(lines.join('\n')).not.toContain('error rate');
    expect(c.display('#{alternate_on}')).toBe('0');
    expect(c.display('#{cursor_flag}')).toBe('1');
  });

  it('adds the phase timeline, the chart and the event log at 160x48', async () => {
    const c = openConsole({ columns: 160, rows: 48 });
    const lines = await c.waitFor(/every metric polled/);
    expect(lines.some((l) => /▶ 1 canary\s+10% █░{9}\s+soak/.test(l))).toBe(true);
    expect(lines.some((l) => /· 2 ramp-50\s+50% █{5}░{5}/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('error rate (ratio) · last 15m'))).toBe(true);
    expect(lines.some((l) => /-15m\s+.*now$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('[ ] Dashboards open'))).toBe(true);
    expect(lines[46]).toMatch(/q quit$/);
    expect(lines[47]).toBe('');
    expect(repeatedRows(lines.filter((l) => !/^\s*[\d.]+%┤\s*$/.test(l)))).toEqual([]);
  });

  it('re-lays out at once when the terminal is resized', async () => {
    const c = openConsole({ columns: 160, rows: 48 });
    await c.waitFor('phases');
    c.resize(80, 24);
    const footerOn = (row: number) => (lines: string[]) => /^p promote.*q quit$/.test(lines[row] ?? '') && LIVE.test(lines.join('\n'));
    let lines = await c.waitFor(footerOn(22));
    expect(lines).toHaveLength(24);
    expect(lines.join('\n')).not.toContain('phases');
    expect(lines[22]).toMatch(/q quit$/);
    expect(repeatedRows(lines)).toEqual([]);
    c.resize(120, 40);
    lines = await c.waitFor((l) => footerOn(38)(l) && l.join('\n').includes('phases'));
    expect(lines).toHaveLength(40);
    expect(repeatedRows(lines.filter((l) => !/^\s*[\d.]+%┤\s*$/.test(l)))).toEqual([]);
  });

  it('comes back after an SSH drop with the checklist and the event history', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'rollcall-console-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const first = openConsole({ columns: 120, rows: 40 }, { stateDir });
    await first.waitFor(LIVE);
    first.keys('Tab', 'Space');
    await first.waitFor('[x] Dashboards open');
    // What sshd does when the connection drops: SIGHUP to the session.
    process.kill(first.consolePid(), 'SIGHUP');
    const after = await first.waitFor('exit=129');
    expect(after.join('\n')).not.toContain('[x] Dashboards open');
    expect(first.display('#{alternate_on}')).toBe('0');

    const second = openConsole({ columns: 120, rows: 40 }, { stateDir });
    const lines = await second.waitFor(/checklist \[x\] Dashboards open \(canary\) by \w+ \[audit\]/);
    expect(lines.some((l) => /\[x\] Dashboards open\s+\w+@/.test(l))).toBe(true);
    expect(auditEntries(stateDir)).toEqual([expect.objectContaining({ event: 'checklist', item: 'Dashboards open', checked: true })]);
  });

  it('restores the screen and exits 143 on SIGTERM', async () => {
    const c = openConsole({ columns: 80, rows: 24 });
    await c.waitFor(LIVE);
    process.kill(c.consolePid(), 'SIGTERM');
    await c.waitFor('exit=143');
    expect(c.display('#{alternate_on}')).toBe('0');
    expect(c.display('#{cursor_flag}')).toBe('1');
  });

  it('runs read-only when stdin is not a terminal, and Ctrl-C still restores the screen', async () => {
    const c = openConsole({ columns: 80, rows: 24 }, { stdin: 'pipe' });
    const lines = await c.waitFor(LIVE);
    expect(lines[0]).toContain('READ-ONLY');
    c.keys('C-c');
    await c.waitFor('exit=130');
    expect(c.display('#{alternate_on}')).toBe('0');
    expect(c.display('#{cursor_flag}')).toBe('1');
  });

  it('draws no colour with NO_COLOR set, and states still read', async () => {
    const c = openConsole({ columns: 80, rows: 24 }, { env: ['NO_COLOR=1'] });
    await c.waitFor(LIVE);
    const text = c.screen().join('\n');
    expect(text).toMatch(/✓ ok/);
    expect(text).toContain('[HOLD]');
    expect(c.styled()).not.toMatch(/\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;)/);
  });
});

describe('the console outside a terminal', () => {
  it('refuses when stdout is not a terminal and points to rollcall check', () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    const run = spawnSync('node', [CLI, 'watch', PROFILE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ROLLCALL_CONSOLE_METRICS: 'http://127.0.0.1:9' }, timeout: 20_000 });
    expect(run.status).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(/^rollcall watch: stdout is not a terminal; for scripts and cron use `rollcall check .*console\.yaml`$/);
  });
});
