// The rollout state in a shared PostgreSQL database, for a rollout watched from several bastions:
// one row per profile holding the document the state file holds, so every console on the rollout
// shares the phase, checklist ticks, rollback, traffic and history. Unlike the file there is no
// lock: every console may act, and the database puts the changes in order (an update reads the row
// FOR UPDATE, applies its change to what it finds and writes it back in one transaction), so two
// consoles acting at once both land. A change is NOTIFYed; the others LISTEN and re-read the row
// at once, and a slow poll catches what a lost notification missed. While the database cannot be
// reached the store is read-only, saying why, and `unavailable`: promotes and ticks are refused,
// while a rollback still runs and says its state was not saved; the console keeps judging on the
// last state it read, and the store reconnects by itself.

import type { Client } from 'pg';
import { realClock, type Clock } from '../engine/clock.js';
import { initialState, type RolloutState, type RolloutStore } from '../engine/state.js';
import type { Profile } from '../profile/types.js';
import { operatorName, whoAmI } from './identity.js';
import { DEFAULT_STATE_TABLE, DEFAULT_TIMEOUT_MS, PgChannel, codeOf, describeStateUrl, pgFailure, quoted, type PostgresStateConfig } from './pg-channel.js';
import { StateStoreError, moveTo, parseStateDocument, toStateDocument, type Loaded, type StateStoreOptions } from './state-document.js';

/** While connected: the row is read this often anyway, in case a notification never came. */
const POLL_MS = 10_000;
/** While the database is unreachable: how often to try again. */
const RETRY_MS = 2_000;

interface Row {
  revision: string | number;
  state: unknown;
}

type Problem = { kind: 'unreachable' | 'unusable'; text: string };

/**
 * Opens the shared rollout state of a profile: creates the table and the profile's row when missing
 * (unless read-only), follows other consoles' changes, and applies `--phase`. Throws a one-line
 * StateStoreError, without credentials, when the database cannot be used at all.
 */
export async function openPostgresStateStore(profile: Profile, config: PostgresStateConfig, opts: StateStoreOptions = {}): Promise<RolloutStore> {
  const store = new PostgresStateStore(profile, config, {
    readOnly: opts.readOnly === true,
    clock: opts.clock ?? realClock,
    user: opts.user ?? operatorName(whoAmI()),
  });
  try {
    await store.start();
  } catch (error) {
    await store.close();
    if (error instanceof StateStoreError) throw error;
    throw new StateStoreError(`cannot open the rollout state on ${store.where}: ${store.reason(error)}`);
  }
  try {
    if (opts.phase !== undefined) await moveTo(store, profile, opts.phase, opts.readOnly ? undefined : store.notice, store.user, store.clock);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

class PostgresStateStore implements RolloutStore {
  readonly where: string;
  readonly user: string;
  readonly clock: Clock;
  about: string | undefined;
  private readonly table: string;
  private readonly sql: { create: string; insert: string; select: string; lock: string; write: string };
  private readonly timeoutMs: number;
  private readonly readOnlyOnPurpose: boolean;
  private readonly channel: PgChannel;
  private state: RolloutState;
  /** The row's revision the state came from; 0 while there is no row. */
  private revision = 0;
  /** The row's document as last read: a row deleted and written again starts its revisions over. */
  private seen: string | undefined;
  private problem: Problem | undefined;
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly profile: Profile,
    config: PostgresStateConfig,
    opts: { readOnly: boolean; clock: Clock; user: string },
  ) {
    this.where = describeStateUrl(config.url);
    this.user = opts.user;
    this.clock = opts.clock;
    this.readOnlyOnPurpose = opts.readOnly;
    this.timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
    this.table = config.table ?? DEFAULT_STATE_TABLE;
    const t = quoted(this.table);
    this.sql = {
      create: `CREATE TABLE IF NOT EXISTS ${t} (
        profile text PRIMARY KEY,
        revision bigint NOT NULL,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL
      )`,
      insert: `INSERT INTO ${t} (profile, revision, state, updated_by) VALUES ($1, 1, $2::jsonb, $3) ON CONFLICT (profile) DO NOTHING`,
      select: `SELECT revision, state FROM ${t} WHERE profile = $1`,
      lock: `SELECT revision, state FROM ${t} WHERE profile = $1 FOR UPDATE`,
      write: `UPDATE ${t} SET state = $2::jsonb, revision = revision + 1, updated_at = now(), updated_by = $3 WHERE profile = $1 RETURNING revision`,
    };
    this.state = initialState(profile.name, opts.clock.now());
    // One channel per table, named like it; the payload says which profile's row changed.
    this.channel = new PgChannel({
      config,
      channel: this.table,
      profile: profile.name,
      // application_name lets a console count the others on the same rollout (pg_stat_activity).
      client: { lock_timeout: this.timeoutMs, application_name: this.applicationName() },
      retryMs: RETRY_MS,
      ownError: (error) => error instanceof StateStoreError,
      // Back after an outage: read the row, and leave read-only once that worked.
      onConnected: (again) => {
        if (!again) return;
        this.refresh().then(
          () => {
            if (this.problem?.kind === 'unreachable') this.setProblem(undefined);
          },
          () => undefined,
        );
      },
      // Stay read-only on the last state read while the channel keeps trying.
      onLost: (error) => {
        if (!this.closed) this.setProblem({ kind: 'unreachable', text: this.unreachable(error) });
      },
      // Any other store's change is read: a row deleted by hand and created again counts from 1 again.
      // A failed re-read is the poll's business.
      onNotice: () => void this.refresh().catch(() => undefined),
    });
  }

  get readOnly(): boolean {
    return this.readOnlyOnPurpose || this.problem !== undefined;
  }

  get unavailable(): string | undefined {
    return this.problem?.kind === 'unreachable' && !this.readOnlyOnPurpose ? this.problem.text : undefined;
  }

  get notice(): string | undefined {
    if (this.problem) return this.problem.text;
    if (this.revision === 0 && this.readOnlyOnPurpose) {
      return `no rollout state yet in ${this.where} (table ${this.table}): judged as phase 1 (${this.profile.phases[0]!.name}) starting now`;
    }
    return undefined;
  }

  /** Connects, makes sure the row exists (a writer), reads it and starts following. */
  async start(): Promise<void> {
    await this.channel.connect();
    if (!this.readOnlyOnPurpose) {
      await this.run(async (c) => {
        try {
          await c.query(this.sql.create);
        } catch (error) {
          // Two consoles creating the table at the same moment: the other one won, which is fine.
          if (!['23505', '42P07'].includes(codeOf(error) ?? '')) throw error;
        }
        await c.query(this.sql.insert, [this.profile.name, JSON.stringify(toStateDocument(this.state, this.profile)), this.user]);
      });
    }
    await this.refresh();
    this.about = await this.describe();
    this.schedule();
  }

  read(): RolloutState {
    return this.state;
  }

  update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState> {
    if (this.readOnlyOnPurpose) return Promise.reject(new StateStoreError('the rollout state is read-only: opened read-only'));
    if (this.closed) return Promise.reject(new StateStoreError('the rollout state store is closed'));
    if (this.problem) return Promise.reject(new StateStoreError(`the rollout state cannot change now: ${this.problem.text}`));
    const work = this.run(async (c) => {
      await c.query('BEGIN');
      try {
        // The row may have been deleted by hand since: start again rather than fail.
        await c.query(this.sql.insert, [this.profile.name, JSON.stringify(toStateDocument(initialState(this.profile.name, this.clock.now()), this.profile)), this.user]);
        const row = (await c.query<Row>(this.sql.lock, [this.profile.name])).rows[0]!;
        const loaded = this.parse(row);
        if ('problem' in loaded) {
          await c.query('ROLLBACK');
          this.setProblem({ kind: 'unusable', text: this.unusable(loaded.problem) });
          throw new StateStoreError(`the rollout state cannot change now: ${this.problem!.text}`);
        }
        // The change applies to what the database holds now, which may include another console's.
        const next = fn(loaded.state);
        if (next === loaded.state) {
          await c.query('COMMIT');
          this.adopt(loaded.state, Number(row.revision));
          return next;
        }
        const written = (await c.query<Row>(this.sql.write, [this.profile.name, JSON.stringify(toStateDocument(next, this.profile)), this.user])).rows[0]!;
        const revision = Number(written.revision);
        await this.channel.notify(c, { revision });
        await c.query('COMMIT');
        this.adopt(next, revision);
        return next;
      } catch (error) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    return work.catch((error: unknown) => {
      if (error instanceof StateStoreError) throw error;
      throw new StateStoreError(`the rollout state was not saved: ${this.reason(error)}`);
    });
  }

  subscribe(listener: (state: RolloutState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.channel.close();
    this.listeners.clear();
  }

  /** A failure as one line naming where, with no credentials. */
  reason(error: unknown): string {
    return pgFailure(error, this.where, this.timeoutMs, this.profile.secrets);
  }

  // ── the connection ────────────────────────────────────────────────────────────────────────

  private applicationName(): string {
    return `rollcall ${this.profile.name}`.slice(0, 63);
  }

  private unreachable(error: unknown): string {
    return `the rollout state store is unreachable (${this.reason(error)}); reconnecting, changes to the rollout are refused until it is back`;
  }

  private unusable(problem: string): string {
    return `${problem}; it is left as it is and nothing is written until it is fixed`;
  }

  /** Database work, one piece at a time on the channel's connection. */
  private run<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return this.channel.run(work, { notConnected: () => new StateStoreError(this.problem?.text ?? `not connected to ${this.where}`) });
  }

  /** The poll while connected, in case a notification never came; the channel reconnects by itself. */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    if (this.channel.connected) await this.refresh().catch(() => undefined);
    this.schedule();
  }

  // ── following the row ─────────────────────────────────────────────────────────────────────

  /** Reads the row again; several requests while one is on its way are answered by one more read. */
  private refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing.then(() => this.refresh());
    this.refreshing = this.run(async (c) => {
      try {
        return (await c.query<Row>(this.sql.select, [this.profile.name])).rows[0];
      } catch (error) {
        // A reader before any writer: no table yet is no rollout state yet.
        if (codeOf(error) === '42P01') return undefined;
        throw error;
      }
    })
      .then((row) => this.accept(row))
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private accept(row: Row | undefined): void {
    if (!row) return;
    const revision = Number(row.revision);
    const text = JSON.stringify(row.state);
    if (revision === this.revision && text === this.seen) return;
    const loaded = this.parse(row);
    this.revision = revision;
    this.seen = text;
    if ('problem' in loaded) return this.setProblem({ kind: 'unusable', text: this.unusable(loaded.problem) });
    this.adopt(loaded.state, revision);
  }

  private parse(row: Row): Loaded {
    return parseStateDocument(row.state, `the rollout state of ${this.profile.name} in ${this.where} (table ${this.table})`, this.profile);
  }

  private adopt(state: RolloutState, revision: number): void {
    const changed = state !== this.state || revision !== this.revision;
    this.state = state;
    this.revision = revision;
    if (this.problem?.kind === 'unusable') this.setProblem(undefined);
    else if (changed) this.emit();
  }

  private setProblem(problem: Problem | undefined): void {
    if (problem?.text === this.problem?.text) return;
    this.problem = problem;
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }

  /** `rollout state shared on postgres://db:5432/rollouts (2 other consoles) …`, for the event log. */
  private async describe(): Promise<string> {
    let others = '';
    try {
      const found = await this.run((c) =>
        c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [this.applicationName()]),
      );
      const n = found.rows[0]?.n ?? 0;
      others = n === 0 ? ' (no other console)' : ` (${n} other console${n === 1 ? '' : 's'})`;
    } catch {
      // Not allowed to look: say nothing about the others.
    }
    const how = this.readOnlyOnPurpose ? 'this console follows it read-only' : 'every console may act; the database applies changes one at a time';
    return `rollout state shared on ${this.where}${others}: ${how}`;
  }
}
