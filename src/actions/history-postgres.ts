// The history of every sample in the shared PostgreSQL database, for a profile whose `state:` is
// there: so `check`, `report` and a console on any host read what the leading agent stored. The
// writer's side of History (engine/history.ts); reading is history-postgres-read.ts. A poll round's
// answers are buffered and written in one transaction; a series' recent rows are packed into one
// chunk row once there are a chunk's worth (as in the SQLite file). Bounded twice: by the retention
// (prune) and by `maxBytes` for this rollout's rows (over it, writes stop, said once, until pruning
// frees room). While the database is away (restarted, unreachable) the samples wait in a bounded
// buffer and are written when it is back: said once, and judging never waits for it.

import type { Client } from 'pg';
import type { HistoryWriter, StoredEvent } from '../engine/history.js';
import { defaultRetentionMs } from '../engine/history.js';
import type { Track } from '../engine/shape.js';
import type { Point } from '../engine/types.js';
import { formatDuration } from '../profile/duration.js';
import type { Profile } from '../profile/types.js';
import type { SourceErrorKind } from '../sources/source.js';
import { encodePoints } from './history-codec.js';
import { historySql, type HistorySql } from './history-postgres-schema.js';
import { CHUNK_POINTS, formatBytes } from './history-sqlite.js';
import { DEFAULT_TIMEOUT_MS, PgChannel, createIfMissing, describeStateUrl, pgFailure, type PostgresStateConfig } from './pg-channel.js';

export interface PgHistoryOptions {
  retentionMs?: number;
  /** This rollout's rows never take more than this (default 1 GiB). */
  maxBytes?: number;
  onProblem?: (problem: string | undefined) => void;
  /** Real milliseconds a poll round's answers are gathered before one transaction writes them. */
  batchMs?: number;
}

const DEFAULT_MAX_BYTES = 1024 ** 3;
const DEFAULT_BATCH_MS = 250;
/** Samples kept while the database cannot take them; beyond, the oldest go (memory stays bounded). */
const MAX_BUFFERED = 100_000;
/** While writes fail: how often they are tried again. */
const RETRY_MS = 2_000;
/** How often the rollout's size is measured while writing (and after every prune). */
const SIZE_EVERY_MS = 600_000;

type Pending = { kind: 'sample'; key: string; t: number; v: number } | { kind: 'event'; key: string; event: StoredEvent };

interface SeriesInfo {
  id: number;
  /** The newest time stored: a sample at or before it (a backfill re-read) is already kept. */
  maxAt: number;
  recent: number;
}

export class PgHistory implements HistoryWriter {
  readonly retentionMs: number;
  private readonly sql: HistorySql;
  private readonly channel: PgChannel;
  private readonly where: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly batchMs: number;
  private readonly onProblem: (problem: string | undefined) => void;
  /** The series of this profile, by `metric\0track\0group`; empty means read them again first. */
  private series = new Map<string, SeriesInfo>();
  private buffer: Pending[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: string | undefined;
  private full = false;
  private sizedAt = -Infinity;
  private closed = false;

  constructor(
    private readonly profile: Profile,
    config: PostgresStateConfig,
    opts: PgHistoryOptions = {},
  ) {
    this.retentionMs = opts.retentionMs ?? defaultRetentionMs(profile);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
    this.onProblem = opts.onProblem ?? (() => {});
    this.sql = historySql(config);
    this.where = describeStateUrl(config.url);
    this.timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
    this.channel = new PgChannel({
      config,
      channel: this.sql.channel,
      profile: profile.name,
      client: { application_name: `rollcall history ${profile.name}`.slice(0, 63) },
      retryMs: RETRY_MS,
      setup: (c) => this.setup(c),
    });
  }

  get description(): string {
    return `history: ${this.where} (tables ${this.sql.tables}), keeps ${formatDuration(this.retentionMs)}, at most ${formatBytes(this.maxBytes)} for this rollout`;
  }

  get problem(): string | undefined {
    return this.failure;
  }

  /** Connects and makes the tables; a database away now is said, and tried again as samples come. */
  async start(): Promise<void> {
    await this.channel.connect().catch((error: unknown) => {
      this.report(`history on ${this.sql.tables}: ${this.reason(error)}; samples wait (at most ${MAX_BUFFERED}) and are stored once it is back; judging goes on`);
      this.channel.reconnectSoon();
    });
  }

  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void {
    for (const [group, points] of groups) {
      const key = keyOf(metric, track, group);
      for (const p of points) this.push({ kind: 'sample', key, t: p.t, v: p.v });
    }
  }

  noData(metric: string, track: Track, at: number): void {
    this.push({ kind: 'event', key: keyOf(metric, track, ''), event: { at, kind: 'nodata' } });
  }

  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void {
    this.push({ kind: 'event', key: keyOf(metric, track, ''), event: { at, kind: 'error', reason, ...(kind ? { errorKind: kind } : {}) } });
  }

  /** Writes what is buffered, after any write on its way. Never rejects: a failure is `problem`. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  async prune(now: number): Promise<number> {
    await this.flush();
    const cutoff = now - this.retentionMs;
    try {
      const gone = await this.channel.run(async (c) => {
        let n = 0;
        for (const sql of this.sql.prune) n += (await c.query(sql, [this.profile.name, cutoff])).rowCount ?? 0;
        return n;
      }, { connect: true });
      this.series.clear();
      await this.measure();
      return gone;
    } catch (error) {
      this.failed(error, 'pruning');
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.buffer.length > 0) this.onProblem(`history on ${this.sql.tables}: ${this.buffer.length} samples not stored at stop (${this.failure ?? 'the database is away'})`);
    await this.channel.close();
  }

  private push(item: Pending): void {
    if (this.closed) return;
    this.buffer.push(item);
    if (this.buffer.length > MAX_BUFFERED) {
      this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.dropped++;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.batchMs).unref();
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0 || this.closed) return;
    if (Date.now() - this.sizedAt > SIZE_EVERY_MS) await this.measure();
    const batch = this.buffer;
    this.buffer = [];
    if (this.full) return;
    try {
      await this.channel.run((c) => this.transaction(c, batch), { connect: true });
      if (this.failure !== undefined) this.recovered();
    } catch (error) {
      // What was counted for the rolled-back rows is no longer true: read it again next time.
      this.series.clear();
      // Kept for the next try, newest last; beyond the bound the oldest go.
      this.buffer = [...batch, ...this.buffer].slice(-MAX_BUFFERED);
      this.failed(error, 'writing');
      if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), RETRY_MS).unref();
    }
  }

  private async transaction(c: Client, batch: Pending[]): Promise<void> {
    await c.query('BEGIN');
    try {
      if (this.series.size === 0) await this.loadSeries(c);
      const ids: number[] = [];
      const ats: number[] = [];
      const values: number[] = [];
      const events: { id: number[]; at: number[]; kind: number[]; reason: (string | null)[]; errkind: (string | null)[] } = { id: [], at: [], kind: [], reason: [], errkind: [] };
      const touched = new Set<SeriesInfo>();
      for (const item of batch) {
        const info = await this.info(c, item.key);
        if (item.kind === 'event') {
          const e = item.event;
          events.id.push(info.id);
          events.at.push(e.at);
          events.kind.push(e.kind === 'nodata' ? 0 : 1);
          events.reason.push(e.reason ?? null);
          events.errkind.push(e.errorKind ?? null);
          continue;
        }
        if (item.t <= info.maxAt) continue;
        ids.push(info.id);
        ats.push(item.t);
        values.push(item.v);
        info.maxAt = item.t;
        info.recent++;
        touched.add(info);
      }
      if (ids.length > 0) await c.query(this.sql.recentAdd, [ids, ats, values]);
      if (events.id.length > 0) await c.query(this.sql.eventAdd, [events.id, events.at, events.kind, events.reason, events.errkind]);
      for (const info of touched) if (info.recent >= CHUNK_POINTS) await this.seal(c, info);
      await c.query('COMMIT');
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Moves a series' recent rows into packed chunks (inside the caller's transaction). */
  private async seal(c: Client, info: SeriesInfo): Promise<void> {
    const rows = (await c.query<{ at: string; value: number }>(this.sql.recentTake, [info.id])).rows;
    const points = rows.map((r) => ({ t: Number(r.at), v: r.value })).sort((a, b) => a.t - b.t);
    for (let i = 0; i < points.length; i += CHUNK_POINTS) {
      const part = points.slice(i, i + CHUNK_POINTS);
      const start = part[0]!.t;
      await c.query(this.sql.chunkAdd, [info.id, start, part.at(-1)!.t, part.length, Buffer.from(encodePoints(start, part))]);
    }
    info.recent = 0;
  }

  private async loadSeries(c: Client): Promise<void> {
    const rows = (await c.query<{ id: number; metric: string; track: number; grp: string; max_at: string | null; recent: number }>(this.sql.seriesAll, [this.profile.name])).rows;
    for (const r of rows) {
      this.series.set(keyOf(r.metric, r.track === 1 ? 'baseline' : 'canary', r.grp), { id: r.id, maxAt: r.max_at === null ? -Infinity : Number(r.max_at), recent: r.recent });
    }
  }

  private async info(c: Client, key: string): Promise<SeriesInfo> {
    let info = this.series.get(key);
    if (info) return info;
    const [metric, track, group] = key.split('\u0000') as [string, Track, string];
    const row = (await c.query<{ id: number }>(this.sql.seriesAdd, [this.profile.name, metric, track === 'baseline' ? 1 : 0, group])).rows[0]!;
    info = { id: row.id, maxAt: -Infinity, recent: 0 };
    this.series.set(key, info);
    return info;
  }

  /** On each new connection: the tables, and this profile's series read again. */
  private async setup(c: Client): Promise<void> {
    for (const sql of this.sql.create) await createIfMissing(c, sql);
    this.series.clear();
  }

  /** Whether this rollout's rows are past maxBytes: writes stop until pruning frees room. */
  private async measure(): Promise<void> {
    this.sizedAt = Date.now();
    let bytes: number;
    try {
      bytes = (await this.channel.run((c) => c.query<{ bytes: number }>(this.sql.size, [this.profile.name]), { connect: true })).rows[0]!.bytes;
    } catch {
      // Unknown now: the write that follows says what is wrong.
      return;
    }
    const full = bytes >= this.maxBytes;
    if (full === this.full) return;
    this.full = full;
    if (full) this.report(`history on ${this.sql.tables} is full (${formatBytes(bytes)} of at most ${formatBytes(this.maxBytes)} for this rollout): samples are not stored until the retention frees room; judging goes on`);
    else this.recovered();
  }

  private failed(error: unknown, doing: string): void {
    const kept = this.dropped > 0 ? `the oldest of them dropped beyond ${MAX_BUFFERED}` : `at most ${MAX_BUFFERED} kept`;
    this.report(`history on ${this.sql.tables}: ${doing} failed (${this.reason(error)}); samples wait (${kept}) and are stored once it works; judging goes on`);
  }

  private reason(error: unknown): string {
    return pgFailure(error, this.where, this.timeoutMs, this.profile.secrets);
  }

  private report(text: string): void {
    // One message per kind of failure: the same outage retried is not said again.
    const kind = text.replace(/\(.*$/, '');
    if (this.failure !== undefined && this.failure.replace(/\(.*$/, '') === kind) return;
    this.failure = text;
    this.onProblem(text);
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.dropped = 0;
    this.onProblem(undefined);
  }
}

function keyOf(metric: string, track: Track, group: string): string {
  return `${metric}\u0000${track}\u0000${group}`;
}
