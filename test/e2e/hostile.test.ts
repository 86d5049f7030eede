// Hostile source data in a real terminal: a Prometheus-speaking server answers with an error
// message and split labels carrying escape sequences (set the window title, clear the screen,
// write the clipboard with OSC 52) and a label forging a line. tmux is told to obey OSC 52
// (set-clipboard on), so the test fails if one byte of them reaches the terminal: the pane title
// and tmux's paste buffers stay as they were, and the header and decision stay on screen.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type TestHttpServer } from '../support/http.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const tmuxFound = spawnSync('tmux', ['-V']).status === 0;
const required = process.env.CI === 'true' || process.env.ROLLCALL_REQUIRE_TMUX === '1';

const HOSTILE = '\x1b]0;PWNED-TITLE\x07 \x1b[2J \x1b]52;c;cm0gLXJmIH4=\x07 \x9b2J \u202edesrever';
const FORGED = 'FAKE [PROMOTE] all gates green';

let server: TestHttpServer;
let dir: string;

beforeAll(async () => {
  if (!tmuxFound) {
    if (required) throw new Error('tmux is required for the console end-to-end tests');
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'rollcall-hostile-e2e-'));
  server = await startHttp((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const query = new URLSearchParams(body).get('query') ?? '';
      const now = Date.now() / 1_000;
      res.setHeader('content-type', 'application/json');
      if (query === 'errors') {
        // What `RAISE EXCEPTION E'…'` or a hostile proxy puts in an error message.
        res.statusCode = 422;
        res.end(JSON.stringify({ status: 'error', errorType: 'execution', error: `boom ${HOSTILE}` }));
        return;
      }
      res.end(
        JSON.stringify({
          status: 'success',
          warnings: [`partial answer ${HOSTILE}`],
          data: {
            resultType: 'vector',
            result: [
              { metric: { endpoint: `/t${HOSTILE}` }, value: [now, '0.002'] },
              { metric: { endpoint: `/ok\n${FORGED}` }, value: [now, '0.001'] },
            ],
          },
        }),
      );
    });
  });
  writeFileSync(
    join(dir, 'hostile.yaml'),
    `name: hostile-e2e
title: Hostile data
sources:
  prom: { type: prometheus, url: "${server.url}" }
metrics:
  error_rate: { source: prom, query: errors, unit: ratio, interval: 1s }
  by_endpoint: { source: prom, query: by_endpoint, unit: ratio, interval: 1s, split: endpoint }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 5%" }
  - { metric: by_endpoint, warn: "> 1%", rollback: "> 5%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
`,
  );
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!tmuxFound && !required)('the console fed hostile source data', () => {
  it('keeps the window title, the clipboard and the screen: every control sequence is shown escaped', async () => {
    const socket = `rollcall-hostile-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const env = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION'];
    const cli = [...env, 'node', CLI, 'watch', join(dir, 'hostile.yaml'), '--state-dir', dir, '--read-only'].join(' ');
    tmux('new-session', '-d', '-s', 'rc', '-x', '160', '-y', '40', '-c', ROOT, `${cli}; sleep 60`);
    try {
      // Obey OSC 52 into a paste buffer, as a terminal with clipboard access would.
      tmux('set-option', '-g', 'set-clipboard', 'on');
      const before = tmux('display-message', '-p', '-t', 'rc', '#{pane_title}').trim();
      const screen = () => tmux('capture-pane', '-p', '-t', 'rc');
      const deadline = Date.now() + 30_000;
      // Past the error limit (3 polls at 1s), so the error message itself is on screen.
      while (!(screen().includes('boom') && screen().includes('error'))) {
        if (Date.now() > deadline) throw new Error(`the error never showed; the screen was:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 2_000));
      const text = screen();
      expect(tmux('display-message', '-p', '-t', 'rc', '#{pane_title}').trim()).toBe(before);
      expect(tmux('list-buffers')).toBe('');
      expect(text).toContain('Hostile data');
      expect(text).toMatch(/HOLD|ROLLBACK/);
      expect(text).toContain('\\x1b]0;PWNED-TITLE\\x07');
      expect(text.split('\n').some((line) => line.trimStart().startsWith('FAKE'))).toBe(false);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    }
  }, 60_000);
});
