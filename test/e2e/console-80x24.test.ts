// The built CLI's demo in a real 80x24 terminal (tmux): the help overlay scrolls and keeps keys to
// itself, the enlarged chart keeps its bottom (0%) row, and the rollback question shows the whole
// command. The demo needs no server: it simulates its own service.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const tmuxFound = spawnSync('tmux', ['-V']).status === 0;
const required = process.env.CI === 'true' || process.env.ROLLCALL_REQUIRE_TMUX === '1';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

let serial = 0;

function openDemo() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const socket = `rollcall-80x24-${process.pid}-${++serial}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'rollcall-80x24-'));
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // Ink draws nothing live when it sees CI in the environment, so the child runs without it.
  tmux('new-session', '-d', '-s', 'rc', '-x', '80', '-y', '24', '-c', ROOT, `env -u CI -u CONTINUOUS_INTEGRATION node ${CLI} demo --scenario healthy --state-dir ${stateDir}; sleep 30`);
  cleanups.push(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  const screen = () => tmux('capture-pane', '-p', '-t', 'rc').split('\n').slice(0, -1);
  return {
    screen,
    async waitFor(what: string | RegExp | ((lines: string[]) => boolean), timeoutMs = 20_000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = screen();
        const text = lines.join('\n');
        if (typeof what === 'string' ? text.includes(what) : what instanceof RegExp ? what.test(text) : what(lines)) return lines;
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs}ms for ${String(what)}; the screen was:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    keys: (...keys: string[]) => void tmux('send-keys', '-t', 'rc', ...keys),
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!tmuxFound && !required)('the demo console at 80x24', () => {
  it('scrolls the help to its last key, lets no key through to the console behind, and closes on esc', async () => {
    const c = openDemo();
    await c.waitFor(/› Canary 5xx rate/);
    c.keys('?');
    let lines = await c.waitFor(/keys\s+1-\d+ of \d+ · j\/k PgDn\/PgUp · esc or \? closes/);
    expect(lines.join('\n')).not.toContain('make the terminal taller');
    expect(lines[22]).toMatch(/^j\/k scroll\s+PgDn\/PgUp page\s+esc\/\? close\s+q quit$/);
    expect(lines[23]).toBe('');
    c.keys('j', 'r');
    lines = await c.waitFor('help is open: esc or ? closes it first');
    expect(lines.join('\n')).not.toContain('Type rollback');
    c.keys('NPage', 'NPage');
    await c.waitFor(/q\/\^C\s+quit \(the terminal is restored/);
    c.keys('Escape');
    lines = await c.waitFor((l) => !l.join('\n').includes('esc or ? closes'));
    // The j pressed over the help moved nothing: the first metric is still the selected one.
    expect(lines.some((l) => l.startsWith('› Canary 5xx rate'))).toBe(true);
  });

  it('draws the enlarged chart down to its bottom row above the time axis', async () => {
    const c = openDemo();
    await c.waitFor(/› Canary 5xx rate\s+0%/);
    await pause(2_500);
    c.keys('Enter');
    const lines = await c.waitFor(/-15m\s+.*now/);
    const axis = lines.findIndex((l) => /-15m\s+.*now/.test(l));
    // The canary's 5xx rate is 0% in the healthy scenario: the bottom plot row is the 0% line.
    expect(lines[axis - 1]).toMatch(/^\s*0(\.0+)?%┤|^\s*0(\.0+)?%┼/);
    expect(lines[axis - 1]).toMatch(/[─╌]/);
    expect(lines[22]).toMatch(/q quit$/);
    expect(lines[23]).toBe('');
  });

  it('shows every argument of the rollback command before it asks for the name', async () => {
    const c = openDemo();
    await c.waitFor(/› Canary 5xx rate/);
    c.keys('r');
    const lines = await c.waitFor('Type rollback to run it');
    const start = lines.findIndex((l) => l.includes(', runs:'));
    const end = lines.findIndex((l) => l.includes('Type rollback to run it'));
    const question = lines.slice(start + 1, end).map((l) => l.trim().replace(/^\$ /, '')).join(' ');
    expect(question).toMatch(/^\S*node \S*cli\.js demo-ctl --url http:\/\/127\.0\.0\.1:\d+ share 0$/);
    expect(lines.slice(start, end).join('\n')).not.toContain('…');
  });
});
