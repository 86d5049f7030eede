// Recordings: every sample, no-data answer and error the poller sees, one JSON object per line,
// after a header line naming the profile and the start time. They replay through
// sources/replay.ts, at any speed, so an incident can be judged and shown again later.
//
//   {"recording":"rollcall","version":1,"profile":"checkout-v2","startedAt":1767225600000}
//   {"t":1767225605000,"metric":"error_rate","track":"canary","group":"","v":0.012}
//   {"t":1767225610000,"metric":"error_rate","track":"canary","error":"HTTP 500","kind":"http"}
//   {"t":1767225615000,"metric":"error_rate","track":"canary","nodata":true}

import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { Track } from './shape.js';
import type { Point } from './types.js';
import type { SourceErrorKind } from '../sources/source.js';
import type { SampleSink } from './sample-sink.js';

export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  profile: string;
  startedAt: number;
}

export type RecordingEntry =
  | { t: number; metric: string; track: Track; group: string; v: number; n?: number }
  | { t: number; metric: string; track: Track; error: string; kind?: SourceErrorKind }
  | { t: number; metric: string; track: Track; nodata: true };

export interface Recording extends RecordingHeader {
  file: string;
  /** In file order (live polls and backfilled history interleave; replay sorts per series). */
  entries: RecordingEntry[];
  /** Lines that were skipped and why, e.g. `run.jsonl:812: torn last line skipped`. */
  problems: string[];
}

export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

export function isRecordingError(error: unknown): error is RecordingError {
  return error instanceof RecordingError;
}

/**
 * Appends to a recording. Writing never throws into the poller: the first failed write is
 * reported once through `onProblem` and recording stops, while polling carries on.
 */
export class Recorder implements SampleSink {
  private failed: string | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly stream: WriteStream,
    private readonly onProblem: (message: string) => void,
  ) {
    stream.on('error', (error) => this.fail(error));
  }

  /** Opens (creating or appending to) the file and writes the header line. */
  static async open(
    file: string,
    header: RecordingHeader,
    opts: { onProblem?: (message: string) => void } = {},
  ): Promise<Recorder> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'a');
    } catch (error) {
      throw new RecordingError(`cannot record to ${file}: ${describeFsError(error)}`);
    }
    const onProblem = opts.onProblem ?? ((message: string) => process.stderr.write(`rollcall: ${message}\n`));
    const recorder = new Recorder(file, handle.createWriteStream({ encoding: 'utf8' }), onProblem);
    recorder.line({ recording: 'rollcall', version: RECORDING_VERSION, profile: header.profile, startedAt: header.startedAt });
    return recorder;
  }

  /** Why recording stopped, once it has. */
  get problem(): string | undefined {
    return this.failed;
  }

  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void {
    let text = '';
    for (const [group, points] of groups) {
      for (const p of points) text += JSON.stringify({ t: p.t, metric, track, group, v: p.v, ...(p.n !== undefined ? { n: p.n } : {}) }) + '\n';
    }
    if (text !== '') this.write(text);
  }

  noData(metric: string, track: Track, at: number): void {
    this.line({ t: at, metric, track, nodata: true });
  }

  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void {
    this.line({ t: at, metric, track, error: reason, ...(kind && { kind }) });
  }

  /** Flushes and closes the file; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.stream.destroyed) {
        resolve();
        return;
      }
      this.stream.once('close', () => resolve());
      this.stream.end();
    });
    return this.closing;
  }

  private line(value: object): void {
    this.write(JSON.stringify(value) + '\n');
  }

  private write(text: string): void {
    if (this.failed !== undefined || this.closing) return;
    try {
      this.stream.write(text);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = `recording to ${this.file} stopped: ${describeFsError(error)}`;
    this.onProblem(this.failed);
  }
}

/** Problems listed one by one; past this many, only counted. */
const MAX_PROBLEMS = 10;

/**
 * Reads a recording, line by line as the file streams in. A torn last line (the writer was killed
 * mid-line) is skipped and reported; so is any other line that is not a recording line.
 */
export async function readRecording(file: string): Promise<Recording> {
  const problems: string[] = [];
  let skipped = 0;
  let header: RecordingHeader | undefined;
  const entries: RecordingEntry[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
    else skipped++;
  };

  const consume = (text: string, n: number, terminated: boolean): void => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (!header) throw terminated ? notARecording(file, n) : new RecordingError(`${file}:${n}: the recording's header line is torn`);
      problem(terminated ? `${file}:${n}: not JSON; line skipped` : `${file}:${n}: torn last line skipped`);
      return;
    }
    if (!header) {
      header = parseHeader(value);
      if (!header) throw notARecording(file, n);
      return;
    }
    // A later session appending to the same file starts with its own header; its lines follow.
    if (parseHeader(value)) return;
    const entry = parseEntry(value);
    if (entry) entries.push(entry);
    else problem(`${file}:${n}: not a sample, error or no-data line; skipped`);
  };

  let pending = '';
  let n = 0;
  try {
    for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
      const parts = (pending + (chunk as string)).split('\n');
      pending = parts.pop()!;
      for (const text of parts) consume(text, ++n, true);
    }
  } catch (error) {
    if (isRecordingError(error)) throw error;
    throw new RecordingError(`cannot read recording ${file}: ${describeFsError(error)}`);
  }
  if (pending !== '') consume(pending, ++n, false);
  if (!header) throw new RecordingError(`${file}: empty, not a rollcall recording`);
  if (skipped > 0) problems.push(`${file}: ${skipped} more lines skipped`);
  return { file, ...header, entries, problems };
}

function notARecording(file: string, line: number): RecordingError {
  return new RecordingError(`${file}:${line}: not a rollcall recording (the first line is not a recording header)`);
}

function parseHeader(value: unknown): RecordingHeader | undefined {
  if (!isObject(value) || value.recording !== 'rollcall') return undefined;
  const { profile, startedAt } = value;
  if (typeof profile !== 'string' || typeof startedAt !== 'number' || !Number.isFinite(startedAt)) return undefined;
  return { profile, startedAt };
}

function parseEntry(value: unknown): RecordingEntry | undefined {
  if (!isObject(value)) return undefined;
  const { t, metric } = value;
  if (typeof t !== 'number' || !Number.isFinite(t) || typeof metric !== 'string') return undefined;
  const track: Track = value.track === 'baseline' ? 'baseline' : 'canary';
  if (typeof value.v === 'number' && Number.isFinite(value.v)) {
    // A sample count is kept only when it is one (a whole number, 0 or more).
    const n = typeof value.n === 'number' && Number.isInteger(value.n) && value.n >= 0 ? { n: value.n } : {};
    return { t, metric, track, group: typeof value.group === 'string' ? value.group : '', v: value.v, ...n };
  }
  if (typeof value.error === 'string') {
    const kind = KINDS.find((k) => k === value.kind);
    return { t, metric, track, error: value.error, ...(kind && { kind }) };
  }
  if (value.nodata === true) return { t, metric, track, nodata: true };
  return undefined;
}

/** Every kind of source error, to check one read back from a file or a database. */
export const KINDS: readonly SourceErrorKind[] = ['unreachable', 'timeout', 'http', 'query', 'parse', 'aborted', 'exit'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && FS_REASONS[code]) return FS_REASONS[code];
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}
