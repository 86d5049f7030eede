// The built CLI's demo in a real 80x24 terminal (tmux): the help overlay scrolls and keeps keys to
// itself, the enlarged chart keeps its bottom (0%) row, and the rollback question shows the whole
// command. The demo needs no server: it simulates its own service.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTerminal, tmuxFound, tmuxRequired as required } from '../support/tmux.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function openDemo() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  const stateDir = mkdtempSync(join(tmpdir(), 'rollcall-80x24-'));
  const terminal = openTerminal(`node ${CLI} demo --scenario healthy --state-dir ${stateDir}`, { columns: 80, rows: 24 }, ROOT);
  cleanups.push(() => {
    terminal.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return terminal;
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
