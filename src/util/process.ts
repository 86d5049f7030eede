// Running a command, once for everyone who does (the action runner, the exec source, the command
// notifier): argv without a shell unless asked, stdout and stderr as lines, a timeout and an
// AbortSignal, and a stop that reaches the whole pipeline: each command leads its own process
// group (detached), which gets SIGTERM, then SIGKILL after a grace. The result says how it ended;
// nothing here throws for a command that fails, not even one that cannot start.

import type { ChildProcess, StdioOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';

/** Longer lines are split, so one endless line cannot grow memory without bound. */
export const MAX_LINE = 4_000;

export type OutputStream = 'stdout' | 'stderr';

export interface ProcessOptions {
  argv: readonly string[];
  /** Run `argv.join(' ')` through a shell (/bin/sh, or the one named); only when a profile writes `shell: true`. */
  shell?: boolean | string;
  /** Added to (and overriding) this process's environment. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Stop (SIGTERM, then SIGKILL) after this long; the result says `timedOut`. */
  timeoutMs?: number;
  /** Stop (SIGTERM, then SIGKILL) when this aborts; the result says `aborted`. */
  signal?: AbortSignal;
  /** SIGKILL at once when this aborts: the owner is closing and cannot wait for a grace. */
  killNow?: AbortSignal;
  /** Between SIGTERM and SIGKILL (default 2s). */
  killGraceMs?: number;
  /** How long an exited command's output pipes may stay open (a background child may hold them); default 1s. */
  pipeGraceMs?: number;
  /** Each line of output as it comes, UTF-8 decoded across chunk edges, without its line end. */
  onLine?: (stream: OutputStream, line: string) => void;
  /** Keep stdout and stderr as text, up to these many bytes; more stdout stops the command (`overflow`). */
  collect?: { stdoutBytes: number; stderrBytes: number };
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** stdout outgrew `collect.stdoutBytes`, so the command was stopped. */
  overflow: boolean;
  durationMs: number;
  /** Collected output (empty unless `collect` asked for it). */
  stdout: string;
  stderr: string;
  /** Why the command could not be started (ENOENT, EACCES …); code and signal are then null. */
  startError?: NodeJS.ErrnoException;
}

const DEFAULT_KILL_GRACE_MS = 2_000;
const DEFAULT_PIPE_GRACE_MS = 1_000;

export function runProcess(opts: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const ended = (fields: Partial<ProcessResult>): ProcessResult => ({
    code: null,
    signal: null,
    timedOut: false,
    aborted: false,
    overflow: false,
    durationMs: Math.round(performance.now() - started),
    stdout: '',
    stderr: '',
    ...fields,
  });
  if (opts.signal?.aborted || opts.killNow?.aborted) return Promise.resolve(ended({ aborted: true }));

  return new Promise<ProcessResult>((resolve) => {
    const stdio: StdioOptions = [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    const env = { ...process.env, ...opts.env };
    const common = { detached: true, stdio, env, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) };
    let child: ChildProcess;
    try {
      // Taken when a command first runs: node:child_process costs several milliseconds to load, before
      // the console's first frame, and many runs start no command at all.
      const { spawn } = process.getBuiltinModule('node:child_process');
      child = opts.shell ? spawn(opts.argv.join(' '), { ...common, shell: opts.shell }) : spawn(opts.argv[0]!, opts.argv.slice(1), common);
    } catch (error) {
      resolve(ended({ startError: error as NodeJS.ErrnoException }));
      return;
    }

    const killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const pipeGraceMs = opts.pipeGraceMs ?? DEFAULT_PIPE_GRACE_MS;
    const collected = { stdout: new Collector(opts.collect?.stdoutBytes ?? 0), stderr: new Collector(opts.collect?.stderrBytes ?? 0) };
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let startError: NodeJS.ErrnoException | undefined;
    let closed = false;
    let stopping: 'timedOut' | 'aborted' | 'overflow' | undefined;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms));

    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        // The group, not the leader: `sh -c "a | b"` or a wrapper script must not leave orphans.
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the whole group has already exited.
      }
    };
    const stop = (why: NonNullable<typeof stopping>) => {
      if (stopping || done) return;
      stopping = why;
      signalGroup('SIGTERM');
      // This timer outlives settling: a member that ignored SIGTERM while its leader exited still
      // gets the SIGKILL. Unref'd, so it never holds the process open by itself.
      setTimeout(() => signalGroup('SIGKILL'), killGraceMs).unref();
      later(killGraceMs + pipeGraceMs, settle);
    };
    const onAbort = () => stop('aborted');
    const onKillNow = () => {
      stopping ??= 'aborted';
      signalGroup('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.killNow?.addEventListener('abort', onKillNow, { once: true });
    if (opts.timeoutMs !== undefined) later(opts.timeoutMs, () => stop('timedOut'));

    const lines = {
      stdout: new LineSplitter((line) => opts.onLine?.('stdout', line)),
      stderr: new LineSplitter((line) => opts.onLine?.('stderr', line)),
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.on('data', (chunk: Buffer) => {
        if (opts.onLine) lines[stream].push(chunk);
        if (!collected[stream].push(chunk) && stream === 'stdout') stop('overflow');
      });
    }

    function settle(): void {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      opts.killNow?.removeEventListener('abort', onKillNow);
      child.stdout?.destroy();
      child.stderr?.destroy();
      lines.stdout.end();
      lines.stderr.end();
      resolve(
        ended({
          code: exit?.code ?? null,
          signal: exit?.signal ?? null,
          timedOut: stopping === 'timedOut',
          aborted: stopping === 'aborted',
          overflow: stopping === 'overflow',
          stdout: collected.stdout.text(),
          stderr: collected.stderr.text(),
          ...(startError ? { startError } : {}),
        }),
      );
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Also raised when a signal cannot be delivered; only a failed start (no pid) ends the run here.
      if (child.pid !== undefined) return;
      startError = error;
      settle();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (closed) settle();
      // After a stop, the SIGKILL still comes for whatever is left of the group before settling.
      else if (!stopping) later(pipeGraceMs, settle);
    });
    child.on('close', () => {
      closed = true;
      if (exit || startError) settle();
    });
    if (opts.input !== undefined) {
      // A command that exits without reading its stdin is judged by its exit code, not by EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/** Keeps up to `limit` bytes; says false once more arrived than it keeps. */
class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): boolean {
    if (this.limit === 0) return true;
    const room = this.limit - this.size;
    if (room > 0) this.chunks.push(chunk.length <= room ? chunk : chunk.subarray(0, room));
    this.size += chunk.length;
    return this.size <= this.limit;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Splits a byte stream into lines, decoding UTF-8 across chunk edges. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  end(): void {
    this.take(this.decoder.end());
    if (this.partial.length > 0) this.onLine(this.partial);
    this.partial = '';
  }

  private take(text: string): void {
    let rest = this.partial + text;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
      this.onLine(rest.slice(0, nl).replace(/\r$/, ''));
      rest = rest.slice(nl + 1);
    }
    while (rest.length > MAX_LINE) {
      this.onLine(rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    this.partial = rest;
  }
}
