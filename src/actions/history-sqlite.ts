// The history of every sample in an SQLite file in the state directory (`<profile>.history.sqlite`,
// node:sqlite, WAL). A poll round's answers are buffered and written in one transaction. New samples
// land one row each in `recent`; once a series has a chunk's worth, they move into one packed row
// of `chunk` (history-codec.ts), which is what keeps a month of 15 s samples for 50 metrics near
// 100 MB. The file is bounded twice: by the retention (prune drops whole chunks past it) and by
// `max_page_count` (a full file refuses writes, says so, and judging goes on). A corrupt file is
// kept aside and a new history starts, so a bad disk block costs history, never the watch.

import { mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { formatDuration } from '../profile/duration.js';
import type { Profile } from '../profile/types.js';
import type { History, HistoryRange, StoredEvent } from '../engine/history.js';
import { defaultRetentionMs } from '../engine/history.js';
import type { Track } from '../engine/shape.js';
import type { Point } from '../engine/types.js';
import type { SourceErrorKind } from '../sources/source.js';
import { decodePoints, encodePoints } from './history-codec.js';
import { HISTORY_SCHEMA, prepareStatements, type Statements } from './history-schema.js';
import { fileErrorReason } from './file-error.js';

export interface SqliteHistoryOptions {
  /** Default: the longest phase plus a week (defaultRetentionMs). */
  retentionMs?: number;
  /** The file never grows past this (default 1 GiB). */
  maxBytes?: number;
  /** Told when storing stops (a sentence) and when it works again (undefined). */
  onProblem?: (problem: string | undefined) => void;
  /** Real milliseconds a poll round's answers are gathered before one transaction writes them. */
  batchMs?: number;
  /** Only read (check, report, a console beside an agent): nothing is created, written or set aside. */
  readOnly?: boolean;
}

/** Points per packed chunk: an hour at 15 s. */
export const CHUNK_POINTS = 240;
const DEFAULT_MAX_BYTES = 1024 ** 3;
const DEFAULT_BATCH_MS = 250;
/** Buffered samples beyond this while the store refuses writes are dropped (memory stays bounded). */
const MAX_BUFFERED = 100_000;
const FORMAT = '1';
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

export function historyPath(profile: Profile, stateDir: string): string {
  return join(resolve(stateDir), `${profile.name}.history.sqlite`);
}

type Pending = { kind: 'sample'; series: SeriesKey; t: number; v: number } | { kind: 'event'; metric: string; track: Track; event: StoredEvent };
type SeriesKey = { metric: string; track: Track; group: string };


interface SeriesInfo {
  id: number;
  /** The newest time stored: a sample at or before it (a backfill re-read) is already kept. */
  maxAt: number;
  recent: number;
}

/** Opens (creating) the history file; never throws for the file's sake: `problem` says what went wrong. */
export function openSqliteHistory(profile: Profile, stateDir: string, opts: SqliteHistoryOptions = {}): SqliteHistory {
  return new SqliteHistory(historyPath(profile, stateDir), opts.retentionMs ?? defaultRetentionMs(profile), opts);
}

export class SqliteHistory implements History {
  private db: DatabaseSync | undefined;
  private st: Statements | undefined;
  private readonly series = new Map<string, SeriesInfo>();
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: string | undefined;
  private closed = false;
  private renewing = false;
  private readonly maxBytes: number;
  private readonly batchMs: number;
  private readonly onProblem: (problem: string | undefined) => void;
  private readonly readOnly: boolean;
  /** The file this process writes: another one at the path means it was removed (or replaced) under us. */
  private inode: number | undefined;

  constructor(
    readonly file: string,
    readonly retentionMs: number,
    opts: SqliteHistoryOptions,
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
    this.onProblem = opts.onProblem ?? (() => {});
    this.readOnly = opts.readOnly === true;
    this.open();
  }

  get description(): string {
    return `history: ${this.file}, keeps ${formatDuration(this.retentionMs)}, at most ${formatBytes(this.maxBytes)}`;
  }

  get problem(): string | undefined {
    return this.failure;
  }

  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void {
    for (const [group, points] of groups) {
      const series = { metric, track, group };
      for (const p of points) this.push({ kind: 'sample', series, t: p.t, v: p.v });
    }
  }

  noData(metric: string, track: Track, at: number): void {
    this.push({ kind: 'event', metric, track, event: { at, kind: 'nodata' } });
  }

  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void {
    this.push({ kind: 'event', metric, track, event: { at, kind: 'error', reason, ...(kind ? { errorKind: kind } : {}) } });
  }

  read(metric: string, track: Track, from: number, to: number): HistoryRange {
    this.flush();
    const byGroup = new Map<string, Point[]>();
    const events: StoredEvent[] = [];
    const st = this.st;
    if (st) {
      try {
        for (const row of st.seriesOf.all(metric, trackCode(track)) as { id: number; grp: string }[]) {
          const points = byGroup.get(row.grp) ?? [];
          byGroup.set(row.grp, points);
          for (const c of st.chunkRange.all(row.id, to, from) as { start: number; data: Uint8Array }[]) {
            for (const p of decodePoints(c.start, c.data)) if (p.t >= from && p.t <= to) points.push(p);
          }
          for (const r of st.recentRange.all(row.id, from, to) as { at: number; value: number }[]) points.push({ t: r.at, v: r.value });
        }
        for (const e of st.eventRange.all(metric, trackCode(track), from, to) as { at: number; kind: number; reason: string | null; errkind: string | null }[]) {
          events.push(e.kind === 0 ? { at: e.at, kind: 'nodata' } : { at: e.at, kind: 'error', reason: e.reason ?? '', ...(e.errkind ? { errorKind: e.errkind as SourceErrorKind } : {}) });
        }
      } catch (error) {
        this.failed(error, 'reading');
      }
    }
    const series = [...byGroup].map(([group, points]) => ({ group, points: inOrder(points) }));
    return { series: series.filter((s) => s.points.length > 0), events };
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    if (this.db && !this.readOnly && this.inode !== inodeOf(this.file)) this.removed();
    if (!this.db || !this.st) return this.reopenAfterFailure();
    const batch = this.buffer;
    this.buffer = [];
    const db = this.db;
    try {
      db.exec('BEGIN');
      const touched = new Set<SeriesInfo>();
      for (const item of batch) {
        if (item.kind === 'event') {
          const e = item.event;
          this.st.eventAdd.run(item.metric, trackCode(item.track), e.at, e.kind === 'nodata' ? 0 : 1, e.reason ?? null, e.errorKind ?? null);
          continue;
        }
        const info = this.info(item.series);
        if (item.t <= info.maxAt) continue;
        this.st.recentAdd.run(info.id, item.t, item.v);
        info.maxAt = item.t;
        info.recent++;
        touched.add(info);
      }
      for (const info of touched) if (info.recent >= CHUNK_POINTS) this.seal(info);
      db.exec('COMMIT');
      if (this.failure !== undefined) this.recovered();
    } catch (error) {
      try {
        if (db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // The failure below says what matters.
      }
      // What was counted in memory for the rolled-back rows is no longer true: read it again.
      this.series.clear();
      this.failed(error, 'writing');
    }
  }

  prune(now: number): number {
    this.flush();
    if (!this.db) return 0;
    const cutoff = now - this.retentionMs;
    try {
      const chunks = this.db.prepare('DELETE FROM chunk WHERE "end" < ?').run(cutoff).changes;
      const recent = this.db.prepare('DELETE FROM recent WHERE at < ?').run(cutoff).changes;
      const events = this.db.prepare('DELETE FROM event WHERE at < ?').run(cutoff).changes;
      this.series.clear();
      return Number(chunks) + Number(recent) + Number(events);
    } catch (error) {
      this.failed(error, 'pruning');
      return 0;
    }
  }

  /** Bytes the file takes now (the WAL included). */
  size(): number {
    let bytes = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try {
        bytes += statSync(f).size;
      } catch {
        // Not there: nothing to count.
      }
    }
    return bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      if (!this.readOnly) this.db?.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      this.db?.close();
    } catch {
      // Closing a failed store: nothing more to save.
    }
    this.db = undefined;
    this.st = undefined;
  }

  private push(item: Pending): void {
    if (this.closed || this.readOnly) return;
    if (this.buffer.length >= MAX_BUFFERED) return;
    this.buffer.push(item);
    this.timer ??= setTimeout(() => this.flush(), this.batchMs).unref();
  }

  private open(): void {
    try {
      if (this.readOnly) return this.openToRead();
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new DatabaseSync(this.file);
      this.db = db;
      // Large pages hold six packed chunks each, not one and a third: set before the first table exists.
      db.exec('PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=2000; PRAGMA cache_size=-512');
      const page = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
      db.exec(`PRAGMA max_page_count=${Math.max(16, Math.floor(this.maxBytes / page))}`);
      db.exec(HISTORY_SCHEMA);
      const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
      if (format === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(FORMAT);
      this.prepare(db, format);
      this.inode = inodeOf(this.file);
    } catch (error) {
      this.failed(error, 'opening');
    }
  }

  private openToRead(): void {
    const db = new DatabaseSync(this.file, { readOnly: true });
    this.db = db;
    this.prepare(db, db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined);
  }

  private prepare(db: DatabaseSync, format: { value: string } | undefined): void {
    if (format !== undefined && format.value !== FORMAT) throw new Error(`written by another rollcall (history format ${format.value}; this one reads ${FORMAT})`);
    this.st = prepareStatements(db);
  }

  private info(key: SeriesKey): SeriesInfo {
    const name = `${key.metric}\u0000${key.track}\u0000${key.group}`;
    let info = this.series.get(name);
    if (info) return info;
    const st = this.st!;
    const args = [key.metric, trackCode(key.track), key.group] as const;
    let row = st.seriesId.get(...args) as { id: number } | undefined;
    if (!row) row = { id: Number(st.seriesAdd.run(...args).lastInsertRowid) };
    const recent = st.maxRecent.get(row.id) as { at: number | null; n: number };
    const chunk = st.maxChunk.get(row.id) as { at: number | null };
    info = { id: row.id, maxAt: Math.max(recent.at ?? -Infinity, chunk.at ?? -Infinity), recent: recent.n };
    this.series.set(name, info);
    return info;
  }

  /** Moves a series' recent rows into packed chunks of CHUNK_POINTS (inside the caller's transaction). */
  private seal(info: SeriesInfo): void {
    const st = this.st!;
    const rows = st.recentAll.all(info.id) as { at: number; value: number }[];
    for (let i = 0; i < rows.length; i += CHUNK_POINTS) {
      const points = rows.slice(i, i + CHUNK_POINTS).map((r) => ({ t: r.at, v: r.value }));
      const start = points[0]!.t;
      const end = points[points.length - 1]!.t;
      st.chunkAdd.run(info.id, start, end, points.length, encodePoints(start, points));
    }
    if (rows.length > 0) st.recentDrop.run(info.id, rows[rows.length - 1]!.at);
    info.recent = 0;
  }

  private failed(error: unknown, doing: string): void {
    const code = (error as { errcode?: number }).errcode;
    const base = code === undefined ? undefined : code & 0xff;
    if ((base === SQLITE_CORRUPT || base === SQLITE_NOTADB) && !this.readOnly) return this.keepAside(error);
    const text =
      base === SQLITE_FULL
        ? `history ${this.file} is full (at most ${formatBytes(this.maxBytes)}, or the disk is): samples are not stored; judging goes on`
        : `history ${this.file}: ${doing} failed (${describe(error)}); samples are not stored; judging goes on`;
    this.report(text);
  }

  /** A corrupt file is not written again: it is kept aside for whoever wants it and a new one starts. */
  private keepAside(error: unknown): void {
    this.drop();
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
    let kept: string;
    try {
      renameSync(this.file, aside);
      for (const suffix of ['-wal', '-shm']) {
        try {
          renameSync(`${this.file}${suffix}`, `${aside}${suffix}`);
        } catch {
          // No journal beside it.
        }
      }
      kept = `kept as ${aside}; a new history starts now`;
    } catch (renameError) {
      kept = `could not keep it aside (${fileErrorReason(renameError)}); samples are not stored`;
    }
    this.report(`history ${this.file} is corrupt (${describe(error)}): ${kept}; judging goes on`);
    // Once: a fresh file that fails again is reported like any other failure, not set aside in a loop.
    if (kept.startsWith('kept') && !this.renewing) {
      this.renewing = true;
      this.open();
      this.renewing = false;
    }
  }

  /** Deleted under us, SQLite would write on to a file nobody can read (its space back only at exit): a new one starts. */
  private removed(): void {
    this.drop();
    this.report(`history ${this.file} was removed: a new history starts now; judging goes on`);
    this.open();
  }

  private drop(): void {
    try {
      this.db?.close();
    } catch {
      // Being replaced: nothing more to save. What was counted in it is forgotten below.
    }
    this.db = undefined;
    this.st = undefined;
    this.series.clear();
  }

  /** After a failure that left no database open, each flush tries the file again (disk freed, file restored). */
  private reopenAfterFailure(): void {
    this.buffer = [];
    if (!this.closed) this.open();
  }

  private report(text: string): void {
    if (text === this.failure) return;
    this.failure = text;
    this.onProblem(text);
  }

  private recovered(): void {
    this.failure = undefined;
    this.onProblem(undefined);
  }
}

/**
 * Chunks and recent rows follow each other in time (a sample at or before the newest stored is
 * never written), so this is a check; rows from another writer's overlap are merged, the later kept.
 */
export function inOrder(points: Point[]): Point[] {
  let ordered = true;
  for (let i = 1; i < points.length && ordered; i++) ordered = points[i]!.t > points[i - 1]!.t;
  if (ordered) return points;
  const byTime = new Map<number, number>();
  for (const p of points) byTime.set(p.t, p.v);
  return [...byTime].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
}

function inodeOf(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.ino;
}

function trackCode(track: Track): number {
  return track === 'baseline' ? 1 : 0;
}

function describe(error: unknown): string {
  const e = error as { errstr?: string; code?: string };
  if (typeof e.errstr === 'string') return e.errstr;
  if (typeof e.code === 'string' && e.code.startsWith('E')) return fileErrorReason(error);
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
