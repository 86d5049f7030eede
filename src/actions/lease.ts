// The lease on a rollout: which one process carries out its automatic rollbacks, escalations and
// notifications. A lock file per rollout in the state directory (`<profile>.lease`) holding the
// holder's pid, host and a heartbeat time the holder rewrites every `heartbeatMs`. Other agents are
// hot standbys that look at it as often:
//  - created with O_EXCL, so two agents starting together cannot both get it;
//  - stale when its heartbeat is older than `staleMs`, or at once when its pid is gone on this host;
//  - a stale lease is taken over under a second O_EXCL file (`.takeover`), re-read there, and
//    replaced by rename, so two standbys racing for one dead leader yield one holder;
//  - a holder that finds its own last heartbeat older than `staleMs` (it was stopped or starved and
//    a standby may have taken over) steps down before doing anything, and so never acts twice.
// Takeover time: after kill -9 of the leader, at most `heartbeatMs` on the same host (the pid is
// gone), at most `staleMs + heartbeatMs` from another host sharing the directory. Defaults 5 s and
// 15 s: 5 s and 20 s. Time here is the wall clock, shared between processes.

import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { fileErrorReason } from './file-error.js';

export const DEFAULT_HEARTBEAT_MS = 5_000;
export const DEFAULT_STALE_MS = 15_000;

const holderSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  user: z.string(),
  role: z.string(),
  acquiredAt: z.number(),
  heartbeatAt: z.number(),
  staleMs: z.number(),
  nonce: z.string(),
});

export type LeaseHolder = z.infer<typeof holderSchema>;

export type LeaseEvent =
  | { type: 'acquired'; took?: LeaseHolder | undefined }
  | { type: 'lost'; reason: string }
  | { type: 'standby'; holder: string }
  | { type: 'problem'; text: string };

export interface LeaseOptions {
  user: string;
  /** `agent` or `console`: said to whoever finds the lease held. */
  role?: string;
  heartbeatMs?: number;
  staleMs?: number;
  now?: () => number;
}

export function leasePath(stateDir: string, profileName: string): string {
  return join(resolve(stateDir), `${profileName}.lease`);
}

/** The holder named in a lease file, or undefined when there is none (or it is unreadable). */
export function readLease(file: string): LeaseHolder | undefined {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a holder still holds: its heartbeat is fresh and, on this host, its pid runs. */
export function isLive(holder: LeaseHolder, now: number): boolean {
  if (now - holder.heartbeatAt > holder.staleMs) return false;
  if (holder.host === hostname() && holder.pid !== process.pid && !pidRuns(holder.pid)) return false;
  return true;
}

/** `agent alice@bastion-1 (pid 4242)` */
export function describeHolder(holder: LeaseHolder): string {
  return `${holder.role} ${holder.user}@${holder.host} (pid ${holder.pid})`;
}

export class Lease {
  private nonce: string | undefined;
  private lastBeat = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastStandby: string | undefined;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(e: LeaseEvent) => void>();

  constructor(
    readonly file: string,
    private readonly opts: LeaseOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
    this.now = opts.now ?? Date.now;
  }

  /** True only while this process holds the lease and its own heartbeat is fresh: ask before every act. */
  get held(): boolean {
    return this.nonce !== undefined && this.now() - this.lastBeat <= this.staleMs;
  }

  on(listener: (e: LeaseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes the lease if it is free or stale, else renews it if held; checks again every heartbeatMs. */
  start(): void {
    if (this.timer) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.heartbeatMs);
    this.timer.unref();
  }

  /** One look: acquire, renew or stay standby. */
  check(): void {
    if (this.nonce !== undefined) return this.renew();
    this.tryAcquire();
  }

  /** Stops the heartbeat and removes the lease if it is still this process's. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.release();
  }

  /** Gives the lease back but keeps looking: the next check, a heartbeat later, may take it again. */
  release(): void {
    if (this.nonce === undefined) return;
    const current = readLease(this.file);
    if (current?.nonce === this.nonce) {
      try {
        unlinkSync(this.file);
      } catch {
        // Already gone.
      }
    }
    this.nonce = undefined;
  }

  private tryAcquire(): void {
    const mine = this.holder();
    try {
      writeExclusive(this.file, mine);
      return this.won(mine, undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return this.emit({ type: 'problem', text: `cannot take the lease ${this.file}: ${fileErrorReason(error)}` });
    }
    const seen = readLease(this.file);
    if (seen && isLive(seen, this.now())) return this.standby(seen);
    if (!seen && this.youngerThanStale(this.file)) return this.standby(undefined);
    this.takeOver(seen, mine);
  }

  /** Replaces a stale lease under the takeover file, so one standby of many wins. */
  private takeOver(seen: LeaseHolder | undefined, mine: LeaseHolder): void {
    const gate = `${this.file}.takeover`;
    try {
      writeExclusive(gate, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return this.emit({ type: 'problem', text: `cannot take over the lease ${this.file}: ${fileErrorReason(error)}` });
      // A takeover that died half-way leaves its gate: after staleMs it is nobody's.
      if (!this.youngerThanStale(gate)) removeFile(gate);
      return;
    }
    try {
      const again = readLease(this.file);
      // Someone else took over and is beating: stay standby.
      if (again && again.nonce !== seen?.nonce && isLive(again, this.now())) return this.standby(again);
      writeAtomic(this.file, mine);
      this.won(mine, seen);
    } catch (error) {
      this.emit({ type: 'problem', text: `cannot take over the lease ${this.file}: ${fileErrorReason(error)}` });
    } finally {
      removeFile(gate);
    }
  }

  private renew(): void {
    const now = this.now();
    // Stopped or starved for longer than staleMs: a standby may hold it now. Step down first.
    if (now - this.lastBeat > this.staleMs) return this.lose(`no heartbeat for ${Math.round((now - this.lastBeat) / 1000)}s; stepping down`);
    const current = readLease(this.file);
    if (current?.nonce !== this.nonce) return this.lose(current ? `taken over by ${describeHolder(current)}` : 'the lease file was removed');
    try {
      writeAtomic(this.file, { ...current!, heartbeatAt: now });
      this.lastBeat = now;
    } catch (error) {
      // Not renewed: `held` turns false by itself once staleMs passes without a heartbeat.
      this.emit({ type: 'problem', text: `cannot renew the lease ${this.file}: ${fileErrorReason(error)}` });
    }
  }

  private won(mine: LeaseHolder, took: LeaseHolder | undefined): void {
    this.nonce = mine.nonce;
    this.lastBeat = mine.heartbeatAt;
    this.lastStandby = undefined;
    this.emit({ type: 'acquired', took });
  }

  private lose(reason: string): void {
    this.nonce = undefined;
    this.emit({ type: 'lost', reason });
  }

  private standby(holder: LeaseHolder | undefined): void {
    const text = holder ? describeHolder(holder) : 'a process writing the lease';
    if (text === this.lastStandby) return;
    this.lastStandby = text;
    this.emit({ type: 'standby', holder: text });
  }

  private holder(): LeaseHolder {
    const now = this.now();
    return {
      pid: process.pid,
      host: hostname(),
      user: this.opts.user,
      role: this.opts.role ?? 'agent',
      acquiredAt: now,
      heartbeatAt: now,
      staleMs: this.staleMs,
      nonce: Math.random().toString(36).slice(2) + process.pid.toString(36),
    };
  }

  /** A file whose writer may still be mid-write (an unreadable lease, a takeover gate). */
  private youngerThanStale(file: string): boolean {
    try {
      return this.now() - statSync(file).mtimeMs < this.staleMs;
    } catch {
      return false;
    }
  }

  private emit(e: LeaseEvent): void {
    for (const l of this.listeners) l(e);
  }
}

// No fsync: a lease says who is alive now, which a machine crash ends anyway; an fsync per heartbeat
// per rollout was most of an idle agent's CPU. A torn or empty file after a crash reads as unreadable,
// and an unreadable lease is taken over once it is staleMs old.
function writeExclusive(file: string, holder: LeaseHolder): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
}

function writeAtomic(file: string, holder: LeaseHolder): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether an agent holds a rollout's lease, for a console deciding whether to notify and count down
 * itself. Read at most every `cacheMs`: a console asks on every judgement.
 */
export class AgentLeaseLookout {
  private checkedAt = -Infinity;
  private found: LeaseHolder | undefined;
  private told = false;

  constructor(
    readonly file: string,
    private readonly cacheMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live agent holding the lease, or undefined when none does. */
  holder(): LeaseHolder | undefined {
    const now = this.now();
    if (now - this.checkedAt >= this.cacheMs) {
      this.checkedAt = now;
      const holder = readLease(this.file);
      this.found = holder && holder.role === 'agent' && isLive(holder, now) ? holder : undefined;
    }
    return this.found;
  }

  /** The holder, and `news` (who it is) the first time one is seen after none was. */
  look(): { holder?: LeaseHolder; news?: string } {
    const holder = this.holder();
    const news = holder && !this.told ? describeHolder(holder) : undefined;
    this.told = holder !== undefined;
    return { ...(holder ? { holder } : {}), ...(news ? { news } : {}) };
  }
}
