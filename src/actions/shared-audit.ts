// The audit log shared through the profile's PostgreSQL state store: every entry a console appends
// to its local JSONL is also inserted, already redacted, into `<table>_audit` and NOTIFYed on a
// channel of the same name, so the other consoles on the rollout hear of actions whose effect does
// not move the rollout state, and `history` / `report` can list every console's entries. Sharing
// is best effort on a connection of its own: an insert never delays or fails the action, a failure
// is one line for the event log, and the local file stays the record of this console.

import type { Client } from 'pg';
import type { Profile } from '../profile/types.js';
import { auditEntrySchema, type AuditEntry } from './audit.js';
import {
  DEFAULT_STATE_TABLE,
  DEFAULT_TIMEOUT_MS,
  PgChannel,
  codeOf,
  describeStateUrl,
  pgFailure,
  quoted,
  stateClient,
  type PostgresStateConfig,
} from './pg-channel.js';

/** While the connection is down: how often a listening console tries again. */
const RETRY_MS = 2_000;

export type SharedAuditEvent = { type: 'entry'; entry: AuditEntry } | { type: 'problem'; text: string };

interface Sql {
  table: string;
  channel: string;
  create: string;
  insert: string;
  since: string;
  last: string;
  all: string;
}

function sqlFor(config: PostgresStateConfig): Sql {
  const table = `${config.table ?? DEFAULT_STATE_TABLE}_audit`;
  const t = quoted(table);
  return {
    table,
    channel: table,
    create: `CREATE TABLE IF NOT EXISTS ${t} (
      id bigserial PRIMARY KEY,
      profile text NOT NULL,
      at timestamptz NOT NULL,
      console text NOT NULL,
      entry jsonb NOT NULL
    )`,
    insert: `INSERT INTO ${t} (profile, at, console, entry) VALUES ($1, $2, $3, $4::jsonb) RETURNING id`,
    since: `SELECT id, console, entry FROM ${t} WHERE profile = $1 AND id > $2 ORDER BY id`,
    last: `SELECT coalesce(max(id), 0) AS id FROM ${t} WHERE profile = $1`,
    all: `SELECT entry FROM ${t} WHERE profile = $1 ORDER BY at, id`,
  };
}

/** One console's side of the shared audit log: shares its entries, hears the others'. */
export class SharedAudit {
  private readonly sql: Sql;
  private readonly where: string;
  private readonly timeoutMs: number;
  private readonly listeners = new Set<(e: SharedAuditEvent) => void>();
  private readonly channel: PgChannel;
  /** The last row id read (or at open, the last there was): rows after it are news. */
  private lastId = -1;
  private closed = false;

  constructor(
    private readonly profile: Profile,
    config: PostgresStateConfig,
    private readonly opts: { readOnly?: boolean } = {},
  ) {
    this.sql = sqlFor(config);
    this.where = describeStateUrl(config.url);
    this.timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
    this.channel = new PgChannel({
      config,
      channel: this.sql.channel,
      profile: profile.name,
      client: { application_name: `rollcall audit ${profile.name}`.slice(0, 63) },
      retryMs: RETRY_MS,
      setup: (client) => this.setup(client),
      // Back after an outage (or just opened): what the others shared meanwhile is news.
      onConnected: () => this.catchUp(),
      onNotice: () => this.catchUp(),
    });
  }

  /** Tells this console's entries from the others'. */
  private get id(): string {
    return this.channel.id;
  }

  /**
   * Connects (to listen); resolves once the first attempt is over, so entries shared after the
   * console opened are news. Never throws: a failure is retried in the background.
   */
  start(): Promise<void> {
    return this.channel.connect().then(
      () => undefined,
      () => this.channel.reconnectSoon(),
    );
  }

  on(listener: (e: SharedAuditEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Inserts an entry (already redacted) and notifies the others; returns at once, never throws. */
  share(entry: AuditEntry): void {
    if (this.closed) return;
    this.channel.run(async (c) => {
      const row = (await c.query<{ id: string }>(this.sql.insert, [this.profile.name, entry.time, this.id, JSON.stringify(entry)])).rows[0]!;
      await this.channel.notify(c, { id: Number(row.id) });
    }, { connect: true }).catch((error: unknown) => {
      this.emit({ type: 'problem', text: `audit not shared: ${pgFailure(error, this.where, this.timeoutMs, this.profile.secrets)}; it is in the local audit log only` });
    });
  }

  /** Resolves when every share made so far is done (or has failed). */
  flush(): Promise<void> {
    return this.channel.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.channel.close();
    this.listeners.clear();
  }

  private emit(e: SharedAuditEvent): void {
    for (const listener of this.listeners) listener(e);
  }

  /** On each new connection: the table (a writer), and at the first, where the news starts. */
  private async setup(client: Client): Promise<void> {
    if (!this.opts.readOnly) {
      try {
        await client.query(this.sql.create);
      } catch (error) {
        // Two consoles creating the table at the same moment: the other one won.
        if (!['23505', '42P07'].includes(codeOf(error) ?? '')) throw error;
      }
    }
    if (this.lastId >= 0) return;
    try {
      this.lastId = Number((await client.query<{ id: string }>(this.sql.last, [this.profile.name])).rows[0]!.id);
    } catch (error) {
      if (codeOf(error) !== '42P01') throw error;
      this.lastId = 0;
    }
  }

  /** Reads the rows after the last one read and tells of the other consoles' entries. */
  private catchUp(): void {
    void this.channel.run(async (c) => {
      let rows: { id: string; console: string; entry: unknown }[];
      try {
        rows = (await c.query<{ id: string; console: string; entry: unknown }>(this.sql.since, [this.profile.name, Math.max(this.lastId, 0)])).rows;
      } catch (error) {
        if (codeOf(error) === '42P01') return;
        throw error;
      }
      for (const row of rows) {
        this.lastId = Math.max(this.lastId, Number(row.id));
        if (row.console === this.id) continue;
        const parsed = auditEntrySchema.safeParse(row.entry);
        if (parsed.success) this.emit({ type: 'entry', entry: parsed.data });
      }
    }).catch(() => undefined);
  }
}

/**
 * Every console's entries for a profile, oldest first, for `history` and `report`. Throws (one line,
 * no credentials) when the database cannot be read; no table yet is no entries yet.
 */
export async function readSharedAudit(profile: Profile, config: PostgresStateConfig): Promise<{ entries: AuditEntry[]; problems: string[]; where: string }> {
  const sql = sqlFor(config);
  const where = `${describeStateUrl(config.url)} (table ${sql.table})`;
  const timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
  const client = stateClient(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
    let rows: { entry: unknown }[];
    try {
      rows = (await client.query<{ entry: unknown }>(sql.all, [profile.name])).rows;
    } catch (error) {
      if (codeOf(error) === '42P01') return { entries: [], problems: [], where };
      throw error;
    }
    const entries: AuditEntry[] = [];
    const problems: string[] = [];
    rows.forEach((row, i) => {
      const parsed = auditEntrySchema.safeParse(row.entry);
      if (parsed.success) entries.push(parsed.data);
      else problems.push(`row ${i + 1}: not an audit entry: ${parsed.error.issues[0]?.path.join('.') || '(row)'}: ${parsed.error.issues[0]?.message ?? ''}`);
    });
    return { entries, problems, where };
  } catch (error) {
    throw new Error(`cannot read the shared audit log on ${where}: ${pgFailure(error, describeStateUrl(config.url), timeoutMs, profile.secrets)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
