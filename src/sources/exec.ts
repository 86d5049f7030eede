// A command whose stdout is the measurement: a bare number, or JSON picked with the metric's
// JSONPath. argv only (no shell unless the profile writes `shell: true`); each run is its own
// process group, so a timeout can stop the whole pipeline it started: SIGTERM, then SIGKILL.
// A measurement is never a silent zero: a shell pipeline fails when any of its commands fails
// (`pipefail`, so `kubectl top … | awk` with no cluster is kubectl's error, not awk's `0`), and a
// command that prints nothing is an error carrying its stderr.

import { basename } from 'node:path';
import type { SeriesSet } from '../engine/types.js';
import { parseSampleValue } from './exposition.js';
import { pickNumbers } from './jsonpath.js';
import { joinSamples } from '../engine/samples.js';
import { SourceError, type InstantRequest, type Source } from './source.js';
import { oneLine, shortValue, toSourceError } from './timeout.js';
import { runProcess } from '../util/process.js';
import * as z from 'zod';
import { sourceCommon, stringMap } from '../profile/schema-parts.js';
import { checkJsonPath } from './jsonpath.js';
import { defineSourceKind } from './kind.js';

type ExecConfig = z.output<typeof execConfig>;

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
  const shell = config.shell ? pipefailShell() : undefined;
  // Closing stops every run still going at once: the console is leaving and cannot wait.
  const closing = new AbortController();

  async function run(argv: string[], signal: AbortSignal): Promise<Ran> {
    const ran = await runProcess({
      argv,
      shell: shell?.path ?? false,
      env: config.env ?? {},
      signal,
      killNow: closing.signal,
      killGraceMs: KILL_GRACE_MS,
      collect: { stdoutBytes: MAX_STDOUT_BYTES, stderrBytes: MAX_STDERR_BYTES },
    });
    if (ran.startError) throw spawnError(ran.startError, where);
    if (ran.aborted) throw new SourceError('aborted', `aborted (${where})`);
    if (ran.overflow) throw new SourceError('parse', `stdout is larger than ${MAX_STDOUT_BYTES / 1024 / 1024}MB (${where})`);
    return { stdout: ran.stdout, stderr: ran.stderr, code: ran.code, signal: ran.signal };
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
      const values = readStdout(ran.stdout, req.query.trim(), req.time, where);
      // The count from the same run: a count the JSON lacks is no count (the judge says unknown), never 0.
      return req.samples === undefined ? values : joinSamples(values, readStdout(ran.stdout, req.samples, req.time, where));
    },
    async close() {
      closing.abort();
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
  const { spawnSync } = process.getBuiltinModule('node:child_process');
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

function spawnError(error: NodeJS.ErrnoException, where: string): SourceError {
  if (error.code === 'ENOENT') return new SourceError('unreachable', `command not found (${where})`, { cause: error });
  if (error.code === 'EACCES') return new SourceError('unreachable', `permission denied (${where})`, { cause: error });
  return toSourceError(error, where);
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

/** A `exec` source as a profile writes it. */
const execConfig = z.strictObject({
  type: z.literal('exec'),
  run: z.array(z.string()).min(1).meta({ description: 'argv; stdout is a number or JSON' }),
  env: stringMap.optional(),
  shell: z.boolean().optional(),
  ...sourceCommon,
});

export const exec = defineSourceKind({
  kind: 'exec',
  config: execConfig,
  checkQuery(query, path, report) {
    const expected = 'an exec query is a JSONPath such as $.errors, or $ for a bare number';
    if (typeof query !== 'string') return report(path, expected);
    checkJsonPath(query, path, expected, report);
  },
  create: (id, config) => createExecSource(id, config),
  ranged: false,
  urlSchemes: [],
});
