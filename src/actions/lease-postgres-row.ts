// The lease row of a rollout with shared state (lease-postgres.ts): its table and statements, how a
// row someone else wrote is read, and the holder last seen, live until the row's expiry passes.

import { describeHolder, type LeaseHolder } from './lease.js';
import type { LeaseLookout } from './lease-kind.js';
import { sanitizeLine } from '../util/sanitize.js';
import { derivedTable, quoted, type PostgresStateConfig } from './pg-channel.js';

export interface LeaseRow {
  nonce: string | null;
  pid: number | null;
  host: string | null;
  user: string | null;
  role: string | null;
  acquired_at: Date | null;
  heartbeat_at: Date | null;
  stale_ms: number | null;
  /** Milliseconds until the row expires, by the database's clock (negative: expired). */
  remaining_ms: number | null;
}

export function leaseTable(config: PostgresStateConfig): string {
  return derivedTable(config, '_lease');
}

export function leaseSql(table: string) {
  const t = quoted(table);
  const cols = `nonce, pid, host, "user", role, acquired_at, heartbeat_at, stale_ms, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS remaining_ms`;
  return {
    create: `CREATE TABLE IF NOT EXISTS ${t} (
      profile text PRIMARY KEY,
      nonce text NOT NULL,
      pid integer NOT NULL,
      host text NOT NULL,
      "user" text NOT NULL,
      role text NOT NULL,
      acquired_at timestamptz NOT NULL,
      heartbeat_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      stale_ms integer NOT NULL
    )`,
    // The row as it was (who is taken over from), and whether this statement took it.
    take: `WITH old AS (SELECT ${cols} FROM ${t} WHERE profile = $1),
      taken AS (
        INSERT INTO ${t} AS l (profile, nonce, pid, host, "user", role, acquired_at, heartbeat_at, expires_at, stale_ms)
        VALUES ($1, $2, $3, $4, $5, $6, now(), now(), now() + $7::integer * interval '1 millisecond', $7)
        ON CONFLICT (profile) DO UPDATE SET nonce = excluded.nonce, pid = excluded.pid, host = excluded.host, "user" = excluded."user",
          role = excluded.role, acquired_at = now(), heartbeat_at = now(), expires_at = excluded.expires_at, stale_ms = excluded.stale_ms
        WHERE l.expires_at <= now()
        RETURNING nonce)
      SELECT (SELECT nonce FROM taken) AS taken, old.* FROM (SELECT 1) AS one LEFT JOIN old ON true`,
    renew: `UPDATE ${t} SET heartbeat_at = now(), expires_at = now() + $3::integer * interval '1 millisecond' WHERE profile = $1 AND nonce = $2 RETURNING nonce`,
    current: `SELECT ${cols} FROM ${t} WHERE profile = $1`,
    release: `DELETE FROM ${t} WHERE profile = $1 AND nonce = $2`,
  };
}

/** The agent last seen holding a lease row, live until the row's expiry passes on this process's clock. */
export class HolderCache implements LeaseLookout {
  private found: LeaseHolder | undefined;
  private until = -Infinity;
  private told = false;

  /**
   * `untilRead`: the holder counts until the row is read again, not until its expiry passes (an
   * agent's standby deciding whether to store history: a look that is slow or fails proves nothing).
   */
  constructor(
    private readonly elapsed: () => number,
    private readonly untilRead = false,
  ) {}

  /** A row read by a query sent at `sentAt` (monotonic): it expires `remaining_ms` after that, at the latest. */
  set(row: LeaseRow, sentAt: number): void {
    if (!row.nonce || row.role !== 'agent' || row.remaining_ms === null || row.remaining_ms <= 0) return this.clear();
    this.found = toHolder(row);
    this.until = this.untilRead ? Infinity : sentAt + row.remaining_ms;
  }

  clear(): void {
    this.found = undefined;
  }

  holder(): LeaseHolder | undefined {
    return this.found && this.elapsed() <= this.until ? this.found : undefined;
  }

  look(): { holder?: LeaseHolder; news?: string } {
    const holder = this.holder();
    const news = holder && !this.told ? describeHolder(holder) : undefined;
    this.told = holder !== undefined;
    return { ...(holder ? { holder } : {}), ...(news ? { news } : {}) };
  }
}

/** A row from a shared database is somebody else's text: one short line, every control character escaped. */
function clean(text: string | null): string {
  const line = sanitizeLine(text ?? '?');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

export function toHolder(row: LeaseRow): LeaseHolder {
  return {
    pid: row.pid ?? 0,
    host: clean(row.host),
    user: clean(row.user),
    role: clean(row.role),
    acquiredAt: row.acquired_at?.getTime() ?? 0,
    heartbeatAt: row.heartbeat_at?.getTime() ?? 0,
    staleMs: row.stale_ms ?? 0,
    nonce: row.nonce ?? '',
  };
}
