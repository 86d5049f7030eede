// A real terminal for end-to-end tests: a command in its own tmux server (-L <unique>), its screen
// read with capture-pane, keys sent with send-keys. The shell stays after the command exits, so
// its exit code can be read from the screen.

import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export const tmuxFound = spawnSync('tmux', ['-V']).status === 0;
/** In CI (or when asked) a missing tmux fails the tests instead of skipping them. */
export const tmuxRequired = process.env.CI === 'true' || process.env.ROLLCALL_REQUIRE_TMUX === '1';

export interface Terminal {
  screen(): string[];
  /** The screen with its colour and attribute escapes. */
  styled(): string;
  waitFor(what: string | RegExp | ((lines: string[]) => boolean), timeoutMs?: number): Promise<string[]>;
  keys(...keys: string[]): void;
  /** Literal text, typed. */
  type(text: string): void;
  /** Any other tmux command on this terminal's server (`display-message`, `resize-window` …). */
  tmux(...args: string[]): string;
  close(): void;
}

let serial = 0;

/** Runs `command` (a shell line) in `cwd` in a fresh terminal of `columns` x `rows`. */
export function openTerminal(command: string, size: { columns: number; rows: number }, cwd: string): Terminal {
  const socket = `rollcall-e2e-${process.pid}-${++serial}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // Programs that draw nothing live under CI (Ink did) must not decide that here: the command runs without it.
  const line = `unset CI CONTINUOUS_INTEGRATION; ${command}; echo "exit=$?"; exec env PS1='prompt$ ' sh -i`;
  tmux('new-session', '-d', '-s', 'rc', '-x', String(size.columns), '-y', String(size.rows), '-c', cwd, line);
  const screen = () => tmux('capture-pane', '-p', '-t', 'rc').split('\n').slice(0, -1);
  return {
    screen,
    styled: () => tmux('capture-pane', '-p', '-e', '-t', 'rc'),
    async waitFor(what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = screen();
        const text = lines.join('\n');
        if (typeof what === 'string' ? text.includes(what) : what instanceof RegExp ? what.test(text) : what(lines)) return lines;
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs}ms for ${String(what)}; the screen was:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    keys: (...keys) => void tmux('send-keys', '-t', 'rc', ...keys),
    type: (text) => void tmux('send-keys', '-t', 'rc', '-l', text),
    tmux,
    close() {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      // kill-server leaves the socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    },
  };
}

/** A shell word for a command line. */
export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
