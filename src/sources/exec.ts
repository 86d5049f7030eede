// A command whose stdout is the measurement: a bare number, or JSON picked with the metric's
// JSONPath. argv only (no shell unless the profile writes `shell: true`); each run is its own
// process group, so a timeout can stop the whole pipeline it started: SIGTERM, then SIGKILL.

import { basename } from 'node:path';
import type { SeriesSet } from '../engine/types.js';
import { parseSampleValue } from './exposition.js';
import { pickNumbers } from './jsonpath.js';
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
  // Closing stops every run still going at once: the console is leaving and cannot wait.
  const closing = new AbortController();

  async function run(argv: string[], signal: AbortSignal): Promise<Ran> {
    const ran = await runProcess({
      argv,
      shell: config.shell === true,
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
      const ran = await run([...config.run, ...(req.metric.args ?? [])], req.signal);
      if (ran.code !== 0) {
        const status = ran.signal ? `killed by ${ran.signal}` : `exit ${ran.code}`;
        const why = oneLine(ran.stderr);
        throw new SourceError('exit', `${status}${why ? `: ${why}` : ''} (${where})`);
      }
      return readStdout(ran.stdout, req.query.trim(), req.time, where);
    },
    async close() {
      closing.abort();
    },
  };
}

/**
 * A bare number when the query is empty or `$`; otherwise JSON, picked with the JSONPath.
 * Empty output is no data: the command answered and had nothing to say.
 */
function readStdout(stdout: string, query: string, t: number, where: string): SeriesSet {
  const text = stdout.trim();
  if (text === '') return { series: [] };
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
