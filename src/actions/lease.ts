// The lease on a rollout: which one process carries out its automatic rollbacks, escalations and
// notifications. A lock file per rollout in the state directory (`<profile>.lease`) holding the
// holder's pid, host and nonce; the holder beats by touching it (its mtime) every `heartbeatMs` —
// a touch, not a rewrite: a rename over a file costs ext4 a flush, and that was most of an idle
// agent's lease cost. Other agents are hot standbys that look at it as often:
//  - created with O_EXCL, so two agents starting together cannot both get it;
//  - stale when a standby has seen the same heartbeat for longer than `staleMs`, or at once when
//    the holder's pid is gone on this host;
//  - a stale lease is taken over under a second O_EXCL file (`.takeover`), re-read there, and
//    replaced by rename, so two standbys racing for one dead leader yield one holder;
//  - a holder whose own last heartbeat is older than `staleMs` (it was stopped or starved and a
//    standby may have taken over) steps down before doing anything, and so never acts twice.
// Both decisions are timed on this process's monotonic clock, never by comparing wall-clock times:
// a wall clock stepped by NTP or by hand (either way, by any amount) neither fences a live leader
// nor hands its lease to a standby. The wall clock is only written down, for people and consoles.
// Takeover time: after kill -9 of the leader, at most `heartbeatMs` on the same host (the pid is
// gone), at most `staleMs + heartbeatMs` from another host sharing the directory. Defaults 5 s and
// 15 s: 5 s and 20 s.

import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
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
  /** The wall clock, written into the lease for people and consoles (default Date.now). */
  now?: () => number;
  /** This process's monotonic clock, for its own timing decisions (default performance.now). */
  elapsed?: () => number;
}

export function leasePath(stateDir: string, profileName: string): string {
  return join(resolve(stateDir), `${profileName}.lease`);
}

/** The holder named in a lease file (its heartbeat: the last touch), or undefined when there is none (or it is unreadable). */
export function readLease(file: string): LeaseHolder | undefined {
  return readLeaseFile(file)?.holder;
}

/** The lease and its beat: what changes each time the holder touches it. */
function readLeaseFile(file: string): { holder: LeaseHolder | undefined; beat: string } | undefined {
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = statSync(file).mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let holder: LeaseHolder | undefined;
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    if (parsed.success) holder = { ...parsed.data, heartbeatAt: Math.max(parsed.data.heartbeatAt, mtimeMs) };
  } catch {
    // Unreadable (torn by a crash): its beat is its mtime alone.
  }
  return { holder, beat: `${holder?.nonce ?? 'unreadable'}@${mtimeMs}` };
}

/** How long, on this process's monotonic clock, a file has shown the same beat. */
class Silence {
  private beat: string | undefined;
  private since = 0;

  constructor(private readonly elapsed: () => number) {}

  /** Milliseconds `beat` has been seen unchanged; 0 when it is new. */
  of(beat: string): number {
    const t = this.elapsed();
    if (beat !== this.beat) {
      this.beat = beat;
      this.since = t;
    }
    return t - this.since;
  }
}

/** A holder on this host whose process is gone: its lease can be taken at once. */
function gone(holder: LeaseHolder): boolean {
  return holder.host === hostname() && holder.pid !== process.pid && !pidRuns(holder.pid);
}

/** Whether a holder still holds: its heartbeat is fresh and, on this host, its pid runs. */
export function isLive(holder: LeaseHolder, now: number): boolean {
  if (now - holder.heartbeatAt > holder.staleMs) return false;
  if (holder.host === hostname() && holder.pid !== process.pid && !pidRuns(holder.pid)) return false;
  return true;
}

/** This process as a new holder of a lease, with a nonce of its own. */
export function newHolder(opts: { user: string; role?: string | undefined }, staleMs: number, now: number): LeaseHolder {
  return {
    pid: process.pid,
    host: hostname(),
    user: opts.user,
    role: opts.role ?? 'agent',
    acquiredAt: now,
    heartbeatAt: now,
    staleMs,
    nonce: Math.random().toString(36).slice(2) + process.pid.toString(36),
  };
}

/** `agent alice@bastion-1 (pid 4242)` */
export function describeHolder(holder: LeaseHolder): string {
  return `${holder.role} ${holder.user}@${holder.host} (pid ${holder.pid})`;
}

export class Lease {
  private nonce: string | undefined;
  /** When this process last beat, on its monotonic clock. */
  private lastBeat = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastStandby: string | undefined;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly now: () => number;
  private readonly elapsed: () => number;
  private readonly leaseSilence: Silence;
  private readonly gateSilence: Silence;
  private readonly listeners = new Set<(e: LeaseEvent) => void>();

  constructor(
    readonly file: string,
    private readonly opts: LeaseOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
    this.now = opts.now ?? Date.now;
    this.elapsed = opts.elapsed ?? (() => performance.now());
    this.leaseSilence = new Silence(this.elapsed);
    this.gateSilence = new Silence(this.elapsed);
  }

  /** True only while this process holds the lease and its own heartbeat is fresh: ask before every act. */
  get held(): boolean {
    return this.nonce !== undefined && this.elapsed() - this.lastBeat <= this.staleMs;
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
    const read = readLeaseFile(this.file);
    const seen = read?.holder;
    // Removed meanwhile (released): the next look takes it with O_EXCL.
    if (!read) return;
    if (!(seen && gone(seen)) && this.leaseSilence.of(read.beat) <= this.staleMs) return this.standby(seen);
    this.takeOver(read.beat, seen, mine);
  }

  /** Replaces a stale lease under the takeover file, so one standby of many wins. */
  private takeOver(beat: string, seen: LeaseHolder | undefined, mine: LeaseHolder): void {
    const gate = `${this.file}.takeover`;
    try {
      writeExclusive(gate, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return this.emit({ type: 'problem', text: `cannot take over the lease ${this.file}: ${fileErrorReason(error)}` });
      // A takeover that died half-way leaves its gate: once seen unchanged for staleMs it is nobody's.
      const gateBeat = readLeaseFile(gate)?.beat;
      if (gateBeat !== undefined && this.gateSilence.of(gateBeat) > this.staleMs) removeFile(gate);
      return;
    }
    try {
      const again = readLeaseFile(this.file);
      // The holder beat meanwhile, or someone else took over: stay standby.
      if (again && again.beat !== beat && !(again.holder && gone(again.holder))) return this.standby(again.holder);
      writeAtomic(this.file, mine);
      this.won(mine, seen);
    } catch (error) {
      this.emit({ type: 'problem', text: `cannot take over the lease ${this.file}: ${fileErrorReason(error)}` });
    } finally {
      removeFile(gate);
    }
  }

  private renew(): void {
    const t = this.elapsed();
    // Stopped or starved for longer than staleMs: a standby may hold it now. Step down first.
    if (t - this.lastBeat > this.staleMs) return this.lose(`no heartbeat for ${Math.round((t - this.lastBeat) / 1000)}s; stepping down`);
    const current = readLease(this.file);
    if (current?.nonce !== this.nonce) return this.lose(current ? `taken over by ${describeHolder(current)}` : 'the lease file was removed');
    try {
      touch(this.file, this.now());
      this.lastBeat = t;
    } catch (error) {
      // Not renewed: `held` turns false by itself once staleMs passes without a heartbeat.
      this.emit({ type: 'problem', text: `cannot renew the lease ${this.file}: ${fileErrorReason(error)}` });
    }
  }

  private won(mine: LeaseHolder, took: LeaseHolder | undefined): void {
    this.nonce = mine.nonce;
    this.lastBeat = this.elapsed();
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
    return newHolder(this.opts, this.staleMs, this.now());
  }

  private emit(e: LeaseEvent): void {
    for (const l of this.listeners) l(e);
  }
}

// No fsync: a lease says who is alive now, which a machine crash ends anyway; an fsync per heartbeat
// per rollout was most of an idle agent's CPU. A torn or empty file after a crash reads as unreadable,
// and an unreadable lease is taken over once it has been seen unchanged for staleMs.
function writeExclusive(file: string, holder: LeaseHolder): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  stamp(file, holder);
}

function writeAtomic(file: string, holder: LeaseHolder): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  stamp(temp, holder);
  renameSync(temp, file);
}

/** A new lease's first beat is its heartbeatAt (the clock it was taken by, which a test may set). */
function stamp(file: string, holder: LeaseHolder): void {
  try {
    touch(file, holder.heartbeatAt);
  } catch {
    // The kernel's mtime serves as well.
  }
}

/** The heartbeat: the lease's mtime set to `at` (wall clock, for whoever reads it). */
function touch(file: string, at: number): void {
  utimesSync(file, at / 1000, at / 1000);
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
