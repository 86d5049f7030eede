// The audit log: one JSON line per thing that happened to the rollout (actions, refusals,
// checklist ticks, auto-rollback countdowns), appended and synced line by line so that a crash
// loses at most the line being written and never damages the lines before it. A line that cannot
// be written (the disk is full, the file went read-only) is not dropped: it is kept in memory, in
// order, ahead of every later line, and written as soon as a write succeeds again (tried again
// every few seconds by itself). Only a process killed while lines wait loses them; the append that
// failed said so to its caller, and the agent's own log (journald) carries the same text.

import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import type { Profile } from '../profile/types.js';
import { redact } from '../profile/redact.js';
import type { Snapshot } from '../engine/types.js';
import { fileErrorReason } from './file-error.js';
import type { Identity } from './identity.js';
import { metricReadings } from './metric-readings.js';
import { defaultStateDir } from './state-store.js';

const DECISIONS = ['PROMOTE', 'SOAK', 'HOLD', 'ROLLBACK'] as const;
const METRIC_STATES = ['ok', 'pending', 'warn', 'breach', 'insufficient', 'nodata', 'error', 'stale'] as const;

/**
 * `quit` is the operator's answer when asked to quit during an auto-rollback countdown.
 * `action-start` is written (and synced) before a command is spawned, `action` when it ends: a
 * start without its end is an action whose outcome nobody saw (rollcall was killed while it ran).
 */
export const AUDIT_EVENTS = ['action', 'action-start', 'refused', 'checklist', 'auto-rollback-start', 'auto-rollback-cancel', 'quit'] as const;

const auditMetric = z.object({
  name: z.string(),
  state: z.enum(METRIC_STATES),
  value: z.number().nullable().optional(),
  baseline: z.number().nullable().optional(),
  unit: z.string().optional(),
});

/** One line of the log. Reading ignores fields it does not know (a newer rollcall may add some). */
export const auditEntrySchema = z.object({
  /** ISO 8601, UTC. */
  time: z.string(),
  event: z.enum(AUDIT_EVENTS),
  user: z.string(),
  host: z.string(),
  ssh: z.string().optional(),
  profile: z.string(),
  phase: z.string(),
  decision: z.enum(DECISIONS).optional(),
  metrics: z.array(auditMetric).optional(),
  action: z.string().optional(),
  /** As run, secrets redacted. */
  argv: z.array(z.string()).optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  durationMs: z.number().optional(),
  ok: z.boolean().optional(),
  /** The last lines the command printed, secrets redacted. */
  output: z.array(z.string()).optional(),
  forced: z.boolean().optional(),
  auto: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  timedOut: z.boolean().optional(),
  /** Why a command could not be started. */
  error: z.string().optional(),
  cancelled: z.boolean().optional(),
  /** Who cancelled a countdown, or `recovered`. */
  by: z.string().optional(),
  /** Why: a refusal, a failure, what happened to the rollout state. */
  note: z.string().optional(),
  /** Checklist ticks. */
  item: z.string().optional(),
  checked: z.boolean().optional(),
  /** A traffic action (partial rollback): the share it set, and the share before. */
  traffic: z.number().optional(),
  trafficFrom: z.number().optional(),
  /** Pairs an action's `action-start` with its end: unique per run. */
  run: z.string().optional(),
  /** The rollcall process that started the action, to tell a crashed console from one still running it. */
  pid: z.number().optional(),
  /** An end written at a later start for an action whose own end was never written. */
  outcomeUnknown: z.boolean().optional(),
  /** Auto-rollback countdowns. */
  metric: z.string().optional(),
  graceMs: z.number().optional(),
});

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditEvent = AuditEntry['event'];
export type AuditMetric = z.infer<typeof auditMetric>;
export type AuditContext = Pick<AuditEntry, 'time' | 'user' | 'host' | 'ssh' | 'profile' | 'phase' | 'decision' | 'metrics'>;

/** The audit log could not be opened, written or read; the message names the file and the reason. */
export class AuditError extends Error {
  override readonly name = 'AuditError';
}

/** Where the audit log of a profile lives: `--audit-log`, else `<state dir>/<profile>.audit.jsonl`. */
export function auditPath(profile: Profile, opts: { stateDir?: string; auditLog?: string }): string {
  if (opts.auditLog) return resolve(opts.auditLog);
  return join(resolve(opts.stateDir ?? defaultStateDir()), `${profile.name}.audit.jsonl`);
}

/** Who, where, when, and the decision and metric values at that moment: the start of every entry. */
export function auditContext(snapshot: Snapshot, identity: Identity, at: number): AuditContext {
  return {
    time: new Date(at).toISOString(),
    user: identity.user,
    host: identity.host,
    ...(identity.ssh ? { ssh: identity.ssh } : {}),
    profile: snapshot.profile,
    phase: snapshot.phase.name,
    decision: snapshot.decision,
    metrics: metricReadings(snapshot),
  };
}

/** How often lines kept in memory are tried again while nothing else is appended. */
const RETRY_MS = 5_000;
/** At most this many unwritten lines are kept; past it the oldest go, and that is said. */
const MAX_UNWRITTEN = 10_000;

export class AuditLog {
  private queue: Promise<void> = Promise.resolve();
  /** Lines whose write failed, oldest first: written before any later line. */
  private unwritten: Buffer[] = [];
  private dropped = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * Told of every entry appended, as written (secrets redacted), without waiting for it: the
   * shared audit log of a PostgreSQL state store. Absent with the state file.
   */
  mirror: ((entry: AuditEntry) => void) | undefined;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly secrets: readonly string[],
    private readonly onProblem: (problem: string | undefined) => void,
  ) {}

  /**
   * Opens (creating it and its directory) for appending; `secrets` are redacted from every field.
   * `onProblem` hears when lines start waiting in memory (with why) and when they are written (undefined).
   */
  static async open(file: string, opts: { secrets?: readonly string[]; onProblem?: (problem: string | undefined) => void } = {}): Promise<AuditLog> {
    try {
      await mkdir(dirname(file), { recursive: true });
      // a+: appends atomically (O_APPEND) and can still read the last byte to repair a torn tail.
      const handle = await open(file, 'a+');
      return new AuditLog(file, handle, opts.secrets ?? [], opts.onProblem ?? (() => {}));
    } catch (error) {
      throw new AuditError(`cannot open audit log ${file}: ${fileErrorReason(error)}`);
    }
  }

  /**
   * Appends one line and syncs it to disk before resolving; appends are written in call order.
   * Rejects when the line could not be written now: it is then kept and written later.
   */
  append(entry: AuditEntry): Promise<void> {
    const text = JSON.stringify(entry, redactingReplacer(this.secrets));
    const line = Buffer.from(`${text}\n`);
    const write = this.queue.then(() => this.write(line));
    this.queue = write.catch(() => undefined);
    // The redacted line itself, so the shared copy can never hold what the file does not.
    if (this.mirror) this.mirror(JSON.parse(text) as AuditEntry);
    return write;
  }

  /** Resolves when every append made so far is on disk (or has failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Closes after one last try at the lines still waiting; says (through onProblem) how many were lost. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.queue;
    if (this.unwritten.length > 0) await this.drain().catch(() => undefined);
    await this.handle.close();
    const lost = this.unwritten.length + this.dropped;
    if (lost > 0) this.onProblem(`${lost} audit line${lost === 1 ? '' : 's'} never written to ${this.file}: the disk refused them until the end`);
  }

  private async write(line: Buffer): Promise<void> {
    try {
      await this.drain();
    } catch (error) {
      this.keep(line);
      throw new AuditError(`cannot write audit log ${this.file}: ${fileErrorReason(error)}; ${this.keptText()}`);
    }
    try {
      await this.writeLine(line);
    } catch (error) {
      this.keep(line);
      const reason = `cannot write audit log ${this.file}: ${fileErrorReason(error)}; ${this.keptText()}`;
      this.onProblem(reason);
      throw new AuditError(reason);
    }
  }

  /** Writes the waiting lines, oldest first; stops at the first that fails (it stays first). */
  private async drain(): Promise<void> {
    if (this.unwritten.length === 0) return;
    const count = this.unwritten.length + this.dropped;
    while (this.unwritten.length > 0) {
      await this.writeLine(this.unwritten[0]!);
      this.unwritten.shift();
    }
    const dropped = this.dropped;
    this.dropped = 0;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.onProblem(undefined);
    if (dropped > 0) this.onProblem(`${dropped} of ${count} audit lines kept in memory were dropped (more than ${MAX_UNWRITTEN} waited); the rest are written`);
  }

  private keep(line: Buffer): void {
    this.unwritten.push(line);
    if (this.unwritten.length > MAX_UNWRITTEN) {
      this.unwritten.shift();
      this.dropped++;
    }
    this.armRetry();
  }

  /** Tries the waiting lines again in a while, in the queue so it never interleaves with an append. */
  private armRetry(): void {
    if (this.retry !== undefined || this.closed || this.unwritten.length === 0) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.queue = this.queue.then(() => this.drain()).catch(() => this.armRetry());
    }, RETRY_MS).unref();
  }

  private keptText(): string {
    const n = this.unwritten.length;
    return `${n} line${n === 1 ? '' : 's'} kept in memory, written when it can be`;
  }

  private async writeLine(line: Buffer): Promise<void> {
    {
      // A writer killed mid-line leaves a torn tail; end it first so it stays a line of its own.
      const { size } = await this.handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await this.handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) await this.writeAll(Buffer.from('\n'));
      }
      await this.writeAll(line);
      await this.handle.datasync();
    }
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }
}

/**
 * Every entry that parses, in order, and one problem per line that does not (`line 12: …`). A line
 * cut short by a crash is reported on its own and never joined to the line after it.
 */
export async function readAudit(file: string): Promise<{ entries: AuditEntry[]; problems: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw new AuditError(`cannot read audit log ${file}: ${fileErrorReason(error)}`);
  }
  const entries: AuditEntry[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      const cut = i === lines.length - 1 ? 'the last line is incomplete' : 'not a complete entry';
      problems.push(`${where}: ${cut} (cut short by a crash?): ${preview(line)}`);
      return;
    }
    const parsed = auditEntrySchema.safeParse(json);
    if (parsed.success) {
      entries.push(parsed.data);
    } else {
      const issue = parsed.error.issues[0]!;
      problems.push(`${where}: not an audit entry: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
  });
  return { entries, problems };
}

/** For JSON.stringify: redacts every string value before it is escaped, so a secret with a quote in it still matches. */
export function redactingReplacer(secrets: readonly string[]): (key: string, value: unknown) => unknown {
  return (_key, value) => (typeof value === 'string' ? redact(value, secrets) : value);
}

function preview(line: string): string {
  return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}
