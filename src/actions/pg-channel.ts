// One connection to the shared state database, kept the same way for everyone who needs one (the
// rollout state store, the shared audit log): LISTEN on a channel named like the table, a queue so
// database work runs one piece at a time, a connection that broke is dropped and tried again on a
// timer until it is back, NOTIFY tagged with this console's id so it never hears itself, and a
// close that waits for the work in flight. pg is loaded with this module, which only the two
// PostgreSQL-backed parts import (and those only when a profile says `state: postgres`).

import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { redact } from '../profile/redact.js';
import type { StateConfig } from '../profile/types.js';
import { oneLine, toSourceError } from '../sources/timeout.js';

export type PostgresStateConfig = Extract<StateConfig, { store: 'postgres' }>;

export const DEFAULT_STATE_TABLE = 'rollcall_state';
export const DEFAULT_TIMEOUT_MS = 5_000;

export interface PgChannelOptions {
  config: PostgresStateConfig;
  /** The LISTEN/NOTIFY channel; the payload says which profile a notification is about. */
  channel: string;
  /** Only notifications about this profile are heard. */
  profile: string;
  /** Added to the client's config (application_name, lock_timeout …). */
  client?: pg.ClientConfig;
  /** While disconnected: how often to try again. */
  retryMs: number;
  /** Runs on each new connection, after LISTEN and before any queued work; a failure fails the connection. */
  setup?: (client: pg.Client) => Promise<void>;
  /** Connected: the first time (`again` false) or after an outage. */
  onConnected?: (again: boolean) => void;
  /** The connection broke, or could not be made again: the error says why. */
  onLost?: (error: unknown) => void;
  /** Another console NOTIFYed about this profile. */
  onNotice?: (note: Record<string, unknown>) => void;
  /** Errors the owner throws on purpose inside its work: they say nothing about the connection. */
  ownError?: (error: unknown) => boolean;
}

export class PgChannel {
  /** Tells this console's notifications from the others'. */
  readonly id = randomUUID();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;
  private closed = false;

  constructor(private readonly opts: PgChannelOptions) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Connects, or waits for the attempt on its way; throws why it could not. */
  connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('the connection is closed'));
    return (this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    }));
  }

  /**
   * Runs database work one piece at a time. Without a connection it fails with `notConnected`, or
   * with `connect` connects first. A connection that breaks under the work is dropped and retried.
   */
  run<T>(work: (client: pg.Client) => Promise<T>, opts: { connect?: boolean; notConnected?: () => Error } = {}): Promise<T> {
    const next = this.queue.then(async () => {
      let client = this.client;
      if (!client && opts.connect) {
        try {
          client = await this.connect();
        } catch (error) {
          this.reconnectSoon();
          throw error;
        }
      }
      if (!client) throw opts.notConnected?.() ?? new Error('not connected');
      try {
        return await work(client);
      } catch (error) {
        if (!this.opts.ownError?.(error) && !isStatementError(error)) this.lost(client, error);
        throw error;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** NOTIFYs the others, on the client the work runs on (inside a transaction, at its commit). */
  async notify(client: pg.Client, payload: Record<string, unknown>): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [this.opts.channel, JSON.stringify({ profile: this.opts.profile, ...payload, from: this.id })]);
  }

  /** Resolves when every piece of work queued so far is done (or has failed). */
  flush(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** Tries to connect again every retryMs until it is connected (or closed). */
  reconnectSoon(): void {
    if (this.closed || this.timer || this.client) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.client) return;
      this.connect().catch((error: unknown) => {
        this.opts.onLost?.(error);
        this.reconnectSoon();
      });
    }, this.opts.retryMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.queue.catch(() => undefined);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<pg.Client> {
    const client = stateClient(this.opts.config, { keepAlive: true, ...this.opts.client });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => this.heard(msg));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.opts.channel}"`);
      await this.opts.setup?.(client);
      if (this.closed) throw new Error('the connection is closed');
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    const again = this.everConnected;
    this.everConnected = true;
    this.opts.onConnected?.(again);
    return client;
  }

  /** The connection broke: drop it, say so, and keep trying. */
  private lost(client: pg.Client, error?: unknown): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.opts.onLost?.(error ?? new Error('Connection terminated'));
    this.reconnectSoon();
  }

  private heard(msg: pg.Notification): void {
    if (msg.channel !== this.opts.channel || msg.payload === undefined) return;
    let note: Record<string, unknown>;
    try {
      note = JSON.parse(msg.payload) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof note !== 'object' || note === null || note.profile !== this.opts.profile || note.from === this.id) return;
    this.opts.onNotice?.(note);
  }
}

/** `postgres://host:5432/db`: where the state lives, never who connects or with what password. */
export function describeStateUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `postgres://${host}:${parsed.port || '5432'}${db ? `/${db}` : ''}`;
  } catch {
    return 'postgres';
  }
}

/**
 * A table named after the state table (`rollcall_state_lease`). PostgreSQL keeps 63 bytes of a name
 * and cuts the rest silently, so `<long name>_history_series` and `…_history_recent` could become
 * one table: a name that would not fit keeps the start of the state table's and a hash of all of it.
 */
export function derivedTable(config: PostgresStateConfig, suffix: string): string {
  const table = config.table ?? DEFAULT_STATE_TABLE;
  const dot = table.lastIndexOf('.');
  const schema = table.slice(0, dot + 1);
  const name = table.slice(dot + 1);
  if (name.length + suffix.length <= 63) return `${table}${suffix}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${schema}${name.slice(0, 63 - suffix.length - 9)}_${hash}${suffix}`;
}

/**
 * Runs a CREATE … IF NOT EXISTS. Several processes creating the same table at the same moment may
 * still collide in the catalogue (23505, 42P07, or 42710 for the table's row type): the other one
 * made it, which is what was wanted.
 */
export async function createIfMissing(client: pg.Client, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    if (!['23505', '42P07', '42710'].includes(codeOf(error) ?? '')) throw error;
  }
}

/** `"schema"."table"`; the schema's pattern already keeps quotes out. */
export function quoted(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A client on the state database with the profile's timeout on connecting, statements and answers. */
export function stateClient(config: PostgresStateConfig, extra: pg.ClientConfig = {}): pg.Client {
  const timeoutMs = config.timeout ?? DEFAULT_TIMEOUT_MS;
  return new pg.Client({
    connectionString: config.url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs * 2,
    ...extra,
  });
}

/** A failure on the state database as one line naming where, with no credentials. */
export function pgFailure(error: unknown, where: string, timeoutMs: number, secrets: readonly string[]): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  let text: string;
  if (/^Connection terminated/.test(message)) text = `connection lost (${where})`;
  else if (/timeout exceeded when trying to connect/i.test(message)) text = `connect timed out (${where})`;
  else if (/Query read timeout/i.test(message)) text = `no answer within ${timeoutMs} ms (${where})`;
  else if (code && /^[0-9A-Z]{5}$/.test(code)) text = `${oneLine(message)} (${where})`;
  else text = toSourceError(error, where).reason;
  return redact(text, secrets);
}

/** A server-reported error in a statement: the connection itself is fine. */
function isStatementError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P|53|58|XX)/.test(code);
}
