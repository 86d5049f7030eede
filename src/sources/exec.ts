// A command whose stdout is the measurement: a bare number, or JSON picked with the metric's
// JSONPath. argv only (no shell unless the profile writes `shell: true`); each run is its own
// process group, so a timeout can stop the whole pipeline it started: SIGTERM, then SIGKILL.
// A measurement is never a silent zero: a shell pipeline fails when any of its commands fails
// (`pipefail`, so `kubectl top … | awk` with no cluster is kubectl's error, not awk's `0`), and a
// command that prints nothing is an error carrying its stderr.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import type { SeriesSet } from '../engine/types.js';
import type { SourceConfig } from '../profile/types.js';
import { parseSampleValue } from './exposition.js';
import { pickNumbers } from './jsonpath.js';
import { SourceError, type InstantRequest, type Source } from './source.js';
import { oneLine, shortValue, toSourceError } from './timeout.js';

type ExecConfig = Extract<SourceConfig, { type: 'exec' }>;

/** How long a process group has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
const MAX_STDOUT_BYTES = 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;

interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function createExecSource(id: string, config: ExecConfig): Source & { where: string } {
  // Messages name the program, never its arguments: those are where tokens tend to be.
  const program = config.shell ? (config.run.join(' ').trim().split(/\s+/)[0] ?? 'sh') : config.run[0]!;
  const where = basename(program) || program;
  const running = new Set<ChildProcess>();
  const shell = config.shell ? pipefailShell() : undefined;

  function run(argv: string[], signal: AbortSignal): Promise<Ran> {
    return new Promise<Ran>((resolve, reject) => {
      const child = config.shell
        ? spawn(argv.join(' '), { shell: shell?.path ?? true, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...config.env } })
        : spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...config.env } });
      running.add(child);
      let stdout = '';
      let stderr = '';
      let overflow = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        killGroup(child, 'SIGTERM');
        killTimer ??= setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
        killTimer.unref();
      };
      const onAbort = () => stop();
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) stop();
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.length > MAX_STDOUT_BYTES && !overflow) {
          overflow = true;
          stop();
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < MAX_STDERR_BYTES) stderr += chunk;
      });
      const finish = () => {
        running.delete(child);
        signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
      };
      child.on('error', (error) => {
        finish();
        reject(spawnError(error, where));
      });
      child.on('close', (code, exitSignal) => {
        finish();
        if (signal.aborted) reject(new SourceError('aborted', `aborted (${where})`));
        else if (overflow) reject(new SourceError('parse', `stdout is larger than ${MAX_STDOUT_BYTES / 1024 / 1024}MB (${where})`));
        else resolve({ stdout, stderr, code, signal: exitSignal });
      });
    });
  }

  return {
    id,
    type: 'exec',
    where,
    async instant(req: InstantRequest): Promise<SeriesSet> {
      if (typeof req.query !== 'string') {
        throw new SourceError('query', `an exec metric takes a JSONPath query, or "$" for a bare number (${where})`);
      }
      const argv = [...config.run, ...(req.metric.args ?? [])];
      const ran = await run(shell ? [shell.prefix, ...argv] : argv, req.signal);
      if (ran.code !== 0) {
        const status = ran.signal ? `killed by ${ran.signal}` : `exit ${ran.code}`;
        const why = oneLine(ran.stderr);
        throw new SourceError('exit', `${status}${why ? `: ${why}` : ''} (${where})`);
      }
      if (ran.stdout.trim() === '') {
        const why = stderrTail(ran.stderr);
        throw new SourceError('parse', `printed nothing on stdout${why ? `; stderr: ${why}` : ''} (${where})`);
      }
      return readStdout(ran.stdout, req.query.trim(), req.time, where);
    },
    async close() {
      for (const child of running) killGroup(child, 'SIGKILL');
    },
  };
}

/** A bare number when the query is empty or `$`; otherwise JSON, picked with the JSONPath. */
function readStdout(stdout: string, query: string, t: number, where: string): SeriesSet {
  const text = stdout.trim();
  if (query === '' || query === '$') {
    const v = parseSampleValue(text);
    if (v === undefined) throw new SourceError('parse', `stdout ${shortValue(firstLine(text))} is not a number (${where})`);
    return { series: [{ labels: {}, points: [{ t, v }] }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SourceError('parse', `stdout ${shortValue(firstLine(text))} is not JSON (${where})`);
  }
  return pickNumbers(json, query, t, where);
}

/** The last thing a command said on stderr: where tools put the error that ended them. */
function stderrTail(stderr: string): string {
  const lines = stderr.split(/\r?\n/).filter((line) => line.trim() !== '');
  return oneLine(lines[lines.length - 1] ?? '');
}

/**
 * The shell for `shell: true` and the line that makes a pipeline fail when any command in it
 * fails. POSIX sh only gained `pipefail` in 2024 (dash 0.5.12 rejects it and exits), so bash is
 * preferred where it is installed; a /bin/sh that knows the option (busybox, newer dash) gets it
 * too, and one that does not is left as it is rather than broken.
 */
let shellChoice: { path: string; prefix: string } | undefined;
function pipefailShell(): { path: string; prefix: string } {
  if (shellChoice) return shellChoice;
  for (const path of ['/bin/bash', '/usr/bin/bash']) {
    if (spawnSync(path, ['-c', 'set -o pipefail'], { stdio: 'ignore' }).status === 0) return (shellChoice = { path, prefix: 'set -o pipefail;' });
  }
  const sh = spawnSync('/bin/sh', ['-c', 'set -o pipefail'], { stdio: 'ignore' }).status === 0;
  return (shellChoice = { path: '/bin/sh', prefix: sh ? 'set -o pipefail;' : '' });
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : `${text.slice(0, end)}…`;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The group, not the leader: `sh -c "a | b"` or a wrapper script must not leave orphans.
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group has already exited.
  }
}

function spawnError(error: NodeJS.ErrnoException, where: string): SourceError {
  if (error.code === 'ENOENT') return new SourceError('unreachable', `command not found (${where})`, { cause: error });
  if (error.code === 'EACCES') return new SourceError('unreachable', `permission denied (${where})`, { cause: error });
  return toSourceError(error, where);
}
