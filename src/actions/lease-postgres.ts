// The lease on a rollout whose state is shared in PostgreSQL: agents on different hosts (different
// state directories) cannot see each other's lock files, so the lease is one row per profile in
// `<state table>_lease` (default `rollcall_state_lease`, beside `<table>_audit`), holding the
// holder's pid, host, user, role and nonce and an expiry decided by the database's clock:
//  - taken by one statement, INSERT … ON CONFLICT DO UPDATE … WHERE the row has expired: PostgreSQL
//    re-checks the WHERE on the latest row under its lock, so two agents racing yield one holder;
//  - renewed every heartbeat by an UPDATE naming the holder's nonce (expiry = now() + stale time);
//    no row updated means someone else holds it now, and the holder steps down;
//  - the holder fences itself on its own monotonic clock, counted from when it *sent* its last
//    successful beat (the database set the expiry later than that): once the stale time passes
//    without one (database unreachable, process stopped or starved) `held` is false before any
//    standby can take the row, and the holder does nothing;
//  - released (clean stop) by deleting its row and NOTIFYing the standbys, which take it at once.
// A row rather than a session advisory lock: an advisory lock lives exactly as long as a session,
// so on a network partition the database frees it when it notices the broken socket (any time,
// not a stated one) while the old holder, cut off, cannot know it has lost it and acts on — there
// is no fencing; and a PostgreSQL restart drops every lock, so the next standby to reconnect
// would take the lease while the leader is still reconnecting. The row survives a restart, and its
// expiry is the one time both sides agree on. No pid shortcut as with the lock file: host names
// repeat across containers, and a live leader must never be taken over.
// Takeover time: after kill -9 of the leader, at most `staleMs + heartbeatMs` (defaults 15 s + 5 s:
// 20 s); after a clean stop, at once (the NOTIFY) or within a heartbeat.

import { performance } from 'node:perf_hooks';
import type { Profile } from '../profile/types.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_STALE_MS, describeHolder, newHolder, type LeaseEvent, type LeaseHolder, type LeaseOptions } from './lease.js';
import type { LeaseLookout, OwnLeaseLookout, RolloutLease } from './lease-kind.js';
import { HolderCache, leaseSql, leaseTable, toHolder, type LeaseRow } from './lease-postgres-row.js';
import { DEFAULT_TIMEOUT_MS, PgChannel, codeOf, createIfMissing, describeStateUrl, pgFailure, type PostgresStateConfig } from './pg-channel.js';

/** While the database cannot be reached: how often the connection is tried again. */
const RETRY_MS = 2_000;
const LOOKOUT_CACHE_MS = 2_000;

export class PgLease implements RolloutLease {
  /** Another agent holding the lease, as this lease last saw the row: what `storing()` asks. */
  readonly others: LeaseLookout;
  private nonce: string | undefined;
  /** When this process sent its last beat that the database accepted, on its monotonic clock. */
  private lastBeat = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lastStandby: string | undefined;
  private lastProblem: string | undefined;
  private lastError = '';
  private readonly cache: HolderCache;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly elapsed: () => number;
  private readonly sql: ReturnType<typeof leaseSql>;
  private readonly channel: PgChannel;
  private readonly listeners = new Set<(e: LeaseEvent) => void>();
  /** `table rollcall_state_lease`; the database is named by each failure (pgFailure). */
  readonly where: string;
  private readonly db: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly profile: Profile,
    config: PostgresStateConfig,
    private readonly opts: LeaseOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
    this.elapsed = opts.elapsed ?? (() => performance.now());
    // A standby that cannot see the row (or sees it late) does not start storing history beside a
    // leader that may still be storing its own: the holder counts until a look says otherwise.
    this.cache = new HolderCache(this.elapsed, true);
    this.others = this.cache;
    const table = leaseTable(config);
    this.sql = leaseSql(table);
    this.db = describeStateUrl(config.url);
    this.where = `table ${table}`;
    this.timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
    this.channel = new PgChannel({
      config,
      channel: table,
      profile: profile.name,
      client: { application_name: `rollcall lease ${profile.name}`.slice(0, 63), lock_timeout: this.timeoutMs },
      retryMs: RETRY_MS,
      setup: (c) => createIfMissing(c, this.sql.create),
      // A holder released the lease (or took it): look now rather than a heartbeat later.
      onNotice: () => {
        if (this.timer && this.nonce === undefined) void this.check();
      },
    });
  }

  get held(): boolean {
    return this.nonce !== undefined && this.elapsed() - this.lastBeat <= this.staleMs;
  }

  on(listener: (e: LeaseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.heartbeatMs);
    this.timer.unref();
    void this.check();
  }

  /** One look: acquire, renew or stay standby. A look still on its way (a slow database) is not doubled. */
  async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.nonce !== undefined) await this.renew();
      else await this.tryAcquire();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Reads who holds the row now, for `others`, without trying to take it: an agent opening beside
   * a leader knows before its first poll that it must not store history.
   */
  async peek(): Promise<void> {
    const sent = this.elapsed();
    const row = await this.channel.run((c) => c.query<LeaseRow>(this.sql.current, [this.profile.name]), { connect: true }).then(
      (r) => r.rows[0],
      () => undefined,
    );
    if (row) this.cache.set(row, sent);
  }

  release(): void {
    const nonce = this.nonce;
    if (nonce === undefined) return;
    this.nonce = undefined;
    void this.channel
      .run(async (c) => {
        await c.query(this.sql.release, [this.profile.name, nonce]);
        await this.channel.notify(c, { released: true });
      })
      // Not deleted (the database away): the row expires by itself.
      .catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.release();
    await this.channel.close();
  }

  private async tryAcquire(): Promise<void> {
    const mine = this.holder();
    const sent = this.elapsed();
    let row: (LeaseRow & { taken: string | null }) | undefined;
    try {
      row = (await this.channel.run((c) => c.query<LeaseRow & { taken: string | null }>(this.sql.take, [this.profile.name, mine.nonce, mine.pid, mine.host, mine.user, mine.role, this.staleMs]), { connect: true })).rows[0];
    } catch (error) {
      return this.problem(`cannot take the lease in ${this.where}: ${this.reason(error)}`);
    }
    this.lastProblem = undefined;
    if (row?.taken === mine.nonce) {
      this.nonce = mine.nonce;
      this.lastBeat = sent;
      this.lastStandby = undefined;
      this.cache.clear();
      void this.channel.run((c) => this.channel.notify(c, { taken: true })).catch(() => undefined);
      const took = row.nonce !== null ? toHolder(row) : undefined;
      return this.emit({ type: 'acquired', took });
    }
    // Held by someone else (or, racing a first insert, by someone this snapshot does not show yet).
    const holder = row?.nonce ? toHolder(row) : undefined;
    if (holder && row) this.cache.set(row, sent);
    const text = holder ? describeHolder(holder) : 'a process taking the lease';
    if (text === this.lastStandby) return;
    this.lastStandby = text;
    this.emit({ type: 'standby', holder: text });
  }

  private async renew(): Promise<void> {
    const sent = this.elapsed();
    // Not renewed within the stale time: a standby may hold the row by now. Step down first.
    if (sent - this.lastBeat > this.staleMs) return this.lose(`no heartbeat for ${Math.round((sent - this.lastBeat) / 1000)}s${this.lastError ? ` (${this.lastError})` : ''}; stepping down`);
    const nonce = this.nonce!;
    try {
      const renewed = await this.channel.run((c) => c.query(this.sql.renew, [this.profile.name, nonce, this.staleMs]), { connect: true });
      if (this.nonce !== nonce) return;
      if (renewed.rowCount === 1) {
        this.lastBeat = sent;
        this.lastError = '';
        this.lastProblem = undefined;
        return;
      }
      const current = (await this.channel.run((c) => c.query<LeaseRow>(this.sql.current, [this.profile.name]))).rows[0];
      this.lose(current?.nonce ? `taken over by ${describeHolder(toHolder(current))}` : 'the lease row was removed');
    } catch (error) {
      // Not renewed: `held` turns false by itself once the stale time passes without a beat.
      this.lastError = this.reason(error);
      this.problem(`cannot renew the lease in ${this.where}: ${this.lastError}`);
    }
  }

  private lose(reason: string): void {
    this.nonce = undefined;
    this.emit({ type: 'lost', reason });
  }

  /** Said once until a look works again. */
  private problem(text: string): void {
    if (text === this.lastProblem) return;
    this.lastProblem = text;
    this.emit({ type: 'problem', text });
  }

  private reason(error: unknown): string {
    return pgFailure(error, this.db, this.timeoutMs, this.profile.secrets);
  }

  private holder(): LeaseHolder {
    return newHolder(this.opts, this.staleMs, Date.now());
  }

  private emit(e: LeaseEvent): void {
    for (const l of this.listeners) l(e);
  }
}

/**
 * Whether an agent holds the lease of a rollout with shared state, for a console on any host: one
 * connection, the row read again in the background at most every `cacheMs` (and at once when a
 * holder takes or releases it), so `holder()` never waits. While the database cannot be read the
 * last holder seen counts until its row would have expired.
 */
export class PgLeaseLookout implements OwnLeaseLookout {
  private readonly cache: HolderCache;
  private readonly channel: PgChannel;
  private readonly select: string;
  private readonly elapsed = () => performance.now();
  private refreshedAt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly profile: Profile,
    config: PostgresStateConfig,
    private readonly cacheMs = LOOKOUT_CACHE_MS,
  ) {
    this.cache = new HolderCache(this.elapsed);
    const table = leaseTable(config);
    this.select = leaseSql(table).current;
    this.channel = new PgChannel({
      config,
      channel: table,
      profile: profile.name,
      client: { application_name: `rollcall lookout ${profile.name}`.slice(0, 63) },
      retryMs: RETRY_MS,
      onNotice: () => void this.refresh(),
    });
  }

  holder(): LeaseHolder | undefined {
    if (this.elapsed() - this.refreshedAt >= this.cacheMs) void this.refresh();
    return this.cache.holder();
  }

  look(): { holder?: LeaseHolder; news?: string } {
    this.holder();
    return this.cache.look();
  }

  /** Reads the row now; never throws (a failure keeps what was seen, until it expires). */
  refresh(): Promise<void> {
    this.refreshedAt = this.elapsed();
    this.refreshing ??= (async () => {
      const sent = this.elapsed();
      try {
        const row = (await this.channel.run((c) => c.query<LeaseRow>(this.select, [this.profile.name]), { connect: true })).rows[0];
        if (row) this.cache.set(row, sent);
        else this.cache.clear();
      } catch (error) {
        // No table yet: no agent ever led. Anything else: keep the last holder until its row expires.
        if (codeOf(error) === '42P01') this.cache.clear();
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
