// The terminal while the console owns it: alternate screen and hidden cursor on the way in, and
// the screen, cursor and line discipline restored on every way out — quit, SIGTERM, SIGHUP (the
// SSH connection dropped), SIGINT, a crash. A process `exit` hook restores them if all else failed.
// (node:util is fetched where a stray console line is formatted: importing it cost start-up time.)

import { redact } from '../profile/redact.js';

const ENTER = '\x1b[?1049h\x1b[H\x1b[2J\x1b[?25l';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';
/** Clear the screen and home the cursor: a resize repaints from a known place. */
export const CLEAR = '\x1b[2J\x1b[H';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type StopSignal = keyof typeof SIGNALS;

/** What a write to a terminal that has gone away fails with. */
const TERMINAL_GONE = new Set(['EIO', 'EPIPE', 'ENXIO']);

/** The exit code for a crash of the console itself (EX_SOFTWARE): distinct from check's 0–4. */
const CRASH_EXIT = 70;

export interface TerminalOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
  /** Asked to shut down gracefully; the code is what the process should exit with. */
  onStop: (code: number, why: string) => void;
  /** Text someone wrote to the console or stderr while the screen is ours: a line for the event log. */
  onStray?: (line: string) => void;
  /** Kept out of the one line a crash prints. */
  secrets?: readonly string[];
}

export interface Terminal {
  /**
   * Switches to the alternate screen, hides the cursor and puts the keyboard in raw mode, so keys
   * typed before the console listens wait for it instead of being echoed over the frame.
   */
  enter(): void;
  /** Leaves the alternate screen, shows the cursor, ends raw mode. Idempotent. */
  restore(): void;
  onResize(fn: (size: { columns: number; rows: number }) => void): void;
  /** Writes straight to the terminal, unless it has gone away. */
  write(text: string): void;
  /** Restores (if not yet) and removes every handler this installed. */
  release(): void;
}

export function takeTerminal(opts: TerminalOptions): Terminal {
  const { stdout, stdin, stderr } = opts;
  let entered = false;
  let restored = false;
  let gone = false;
  let stopping = false;
  const cleanups: (() => void)[] = [];

  const rawWrite = stdout.write.bind(stdout);
  const write = (text: string) => {
    if (gone) return;
    try {
      rawWrite(text);
    } catch {
      gone = true;
    }
  };

  const restore = () => {
    if (!entered || restored) return;
    restored = true;
    write(LEAVE);
    try {
      if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
    } catch {
      // The tty is gone (SSH dropped): nothing left to restore.
    }
  };

  const on = (emitter: NodeJS.EventEmitter, event: string, fn: (...args: unknown[]) => void) => {
    emitter.on(event, fn);
    cleanups.push(() => emitter.off(event, fn));
  };

  for (const [signal, number] of Object.entries(SIGNALS) as [StopSignal, number][]) {
    on(process, signal, () => {
      if (stopping) {
        // A hangup comes twice when a terminal goes (its session leader's, then the tty's): nobody
        // asked twice, and the shutdown that audits what is left undone must run to its end (the
        // exit guard still bounds it).
        if (signal === 'SIGHUP') return;
        // Asked twice: stop waiting for a graceful shutdown.
        restore();
        process.exit(128 + number);
      }
      stopping = true;
      opts.onStop(128 + number, signal);
    });
  }

  let releaseStray = () => {};
  // EIO / EPIPE / ENXIO: the terminal went away under us (SSH dropped). Stop writing and shut down
  // as on SIGHUP — gracefully, so what a countdown leaves undone still reaches the audit log.
  const terminalGone = () => {
    gone = true;
    if (!stopping) {
      stopping = true;
      opts.onStop(128 + SIGNALS.SIGHUP, 'terminal gone');
    }
  };
  const crash = (error: unknown) => {
    // A write to stdout or stderr after a hangup fails like this, ours or a library's. Not a
    // crash: the terminal is gone.
    if (TERMINAL_GONE.has((error as NodeJS.ErrnoException | undefined)?.code ?? '')) return terminalGone();
    releaseStray();
    restore();
    const text = error instanceof Error ? error.message : String(error);
    stderr.write(`rollcall: internal error: ${redact(text.split('\n')[0] ?? '', opts.secrets ?? [])}\n`);
    process.exit(CRASH_EXIT);
  };
  on(process, 'uncaughtException', crash);
  on(process, 'unhandledRejection', crash);
  // Whatever happens, the shell is not left on the alternate screen with the cursor hidden.
  on(process, 'exit', restore);
  on(stdout, 'error', terminalGone);
  on(stderr, 'error', terminalGone);

  if (opts.onStray) {
    releaseStray = captureStray(stderr, opts.onStray);
    cleanups.push(() => releaseStray());
  }

  return {
    enter() {
      if (entered) return;
      entered = true;
      write(ENTER);
      try {
        if (stdin.isTTY) stdin.setRawMode(true);
      } catch {
        // Not a terminal after all: keys were never going to reach us (runScreen says so).
      }
    },
    restore,
    onResize(fn) {
      on(stdout, 'resize', () => fn({ columns: stdout.columns, rows: stdout.rows }));
    },
    write,
    release() {
      restore();
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}

const ESCAPES_ONLY = /^(?:\x1b\[[0-9;?]*[A-Za-z])+$/;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * While the screen is ours, text that a library prints (console.warn, a deprecation on stderr)
 * would tear the frame; it becomes event-log lines instead. Bare escape sequences (a library hiding
 * the cursor) pass through. Returns the function that puts everything back.
 */
function captureStray(stderr: NodeJS.WriteStream, onLine: (line: string) => void): () => void {
  const lines = (text: string) => {
    for (const line of text.replace(ANSI, '').split('\n')) if (line.trim() !== '') onLine(line.trim());
  };
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => lines(process.getBuiltinModule('node:util').format(...args));
  const originalWrite = stderr.write;
  stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    if (ESCAPES_ONLY.test(text)) return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    lines(text);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  } as typeof stderr.write;
  return () => {
    methods.forEach((m, i) => (console[m] = saved[i]!));
    stderr.write = originalWrite;
  };
}
