// SQL over a telemetry table, the way the seed plans measure things (`PERCENTILE_CONT(0.5) WITHIN
// GROUP (ORDER BY latency_ms)`, `pg_stat_activity`, `pg_stat_statements`). Every query runs in a
// READ ONLY transaction under a statement_timeout, so a profile can never write to, or hold up,
// the database it watches. `$1` and `$2` are the window's bounds.

import type { FieldDef, PoolClient, QueryArrayConfig } from 'pg';
import type { Labels, Point, SeriesSet } from '../engine/types.js';
import { formatDuration } from '../profile/duration.js';
import { parseSampleValue } from './exposition.js';
import { SourceError, type InstantRequest, type RangeRequest, type Source } from './source.js';
import { oneLine, shortValue, toSourceError } from './timeout.js';
import * as z from 'zod';
import { commonJs } from '../util/commonjs.js';
import { duration, sourceCommon } from '../profile/schema-parts.js';
import { defineSourceKind } from './kind.js';

type PostgresConfig = z.output<typeof postgresConfig>;

const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Backfill evaluates the query at most this many times; each point is a full query. */
const MAX_RANGE_POINTS = 60;

export async function createPostgresSource(id: string, config: PostgresConfig): Promise<Source & { where: string }> {
  // pg loads with the first postgres source, not with the profile schema that lists this kind.
  const pg = commonJs(await import('pg'));
  const where = hostPort(config.url);
  const statementTimeoutMs = config.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 2,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: config.timeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: 'rollcall',
    allowExitOnIdle: true,
  });
  // An idle connection dies when the server restarts; the pool drops it and the next query
  // reconnects. Without a listener that routine event would crash the console.
  pool.on('error', () => undefined);

  /** Runs `work` on one connection inside a READ ONLY transaction; a broken connection is dropped. */
  async function readOnly<T>(signal: AbortSignal, metricTimeoutMs: number, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const timeoutMs = Math.max(1, Math.round(Math.min(statementTimeoutMs, metricTimeoutMs)));
    const client = await pool.connect().catch((error: unknown) => {
      throw asSourceError(error, where, timeoutMs);
    });
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      client.off('error', onClientError);
      signal.removeEventListener('abort', onAbort);
      client.release(error ?? false);
    };
    // A connection lost while checked out is reported here as well as to the running query.
    const onClientError = (error: Error) => release(error);
    // Closing the connection is the only way to stop a query the caller no longer waits for.
    const onAbort = () => release(new Error('aborted'));
    client.on('error', onClientError);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) {
      onAbort();
      throw new SourceError('aborted', `aborted (${where})`);
    }
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}`);
      const result = await work(client);
      // Nothing was written; ROLLBACK ends the transaction without asking the server to commit.
      await client.query('ROLLBACK');
      release();
      return result;
    } catch (error) {
      if (!released && isStatementError(error)) {
        await client.query('ROLLBACK').then(
          () => release(),
          (rollbackError: Error) => release(rollbackError),
        );
      } else {
        release(error instanceof Error ? error : new Error(String(error)));
      }
      throw asSourceError(error, where, timeoutMs);
    }
  }

  return {
    id,
    type: 'postgres',
    where,
    async instant(req: InstantRequest): Promise<SeriesSet> {
      const sql = sqlOf(req.query, where);
      const used = windowParameters(sql, where);
      const { raw } = req.metric;
      if (raw) {
        return readOnly(req.signal, req.metric.timeoutMs, async (client) => {
          const result = await client.query(statement(capped(sql, raw.maxRows), bounds(req.time, req.metric.windowMs, used)));
          return { series: rawSeries(result.fields, result.rows, raw.maxRows, where) };
        });
      }
      return readOnly(req.signal, req.metric.timeoutMs, async (client) => {
        const result = await client.query(statement(sql, bounds(req.time, req.metric.windowMs, used)));
        return { series: toSeries(result.fields, result.rows, req.time, where, req.metric.samples?.query).map(([labels, point]) => ({ labels, points: [point] })) };
      });
    },
    async range(req: RangeRequest): Promise<SeriesSet> {
      const sql = sqlOf(req.query, where);
      const used = windowParameters(sql, where);
      // Without window bounds every point would be the same query at the same NOW(): a flat,
      // invented history. Say so instead.
      if (used === 0) return { series: [], warnings: ['no history: the query has no $1/$2 window bounds'] };
      // A raw metric is judged on rows as they arrive, window by window; its past rows are not asked for.
      if (req.metric.raw) return { series: [], warnings: ['no history: a raw metric is read one window at a time'] };
      return readOnly(req.signal, req.metric.timeoutMs, async (client) => {
        const series = new Map<string, { labels: Labels; points: Point[] }>();
        for (const t of stepTimes(req.start, req.end, req.stepMs)) {
          const result = await client.query(statement(sql, bounds(t, req.metric.windowMs, used)));
          for (const [labels, point] of toSeries(result.fields, result.rows, t, where, req.metric.samples?.query)) {
            const key = JSON.stringify(labels);
            const entry = series.get(key);
            if (entry) entry.points.push(point);
            else series.set(key, { labels, points: [point] });
          }
        }
        return { series: [...series.values()] };
      });
    },
    close: () => pool.end(),
  };
}

function sqlOf(query: InstantRequest['query'], where: string): string {
  if (typeof query !== 'string' || query.trim() === '') throw new SourceError('query', `a postgres metric needs an SQL query (${where})`);
  return query;
}

/**
 * The profile's SQL as one extended-protocol statement. The simple protocol (what pg uses when
 * there are no parameters) would run `COMMIT; DELETE …` as two statements, the second outside the
 * READ ONLY transaction; the extended protocol refuses more than one.
 */
function statement(sql: string, values: string[]): QueryArrayConfig<string[]> {
  const config: QueryArrayConfig<string[]> & { queryMode: 'extended' } = { text: sql, values, rowMode: 'array', queryMode: 'extended' };
  return config;
}

/** `host:port` of a connection string, never its credentials. */
function hostPort(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return 'postgres';
  }
}

/** Window bounds as ISO instants; only as many as the SQL uses, since pg rejects extra ones. */
function bounds(now: number, windowMs: number, used: number): string[] {
  return [new Date(now - windowMs).toISOString(), new Date(now).toISOString()].slice(0, used);
}

/** Up to MAX_RANGE_POINTS evaluation times ending at `end`, at least `stepMs` apart, oldest first. */
function stepTimes(start: number, end: number, stepMs: number): number[] {
  const span = Math.max(0, end - start);
  const step = Math.max(stepMs, span / (MAX_RANGE_POINTS - 1), 1);
  const times: number[] = [];
  for (let t = end; t >= start && times.length < MAX_RANGE_POINTS; t -= step) times.push(Math.round(t));
  return times.reverse();
}

/**
 * The highest `$n` the SQL uses, outside string literals, quoted identifiers, comments and
 * dollar-quoted bodies. More than 2 is an error: only the window's bounds are on offer.
 */
function windowParameters(sql: string, where: string): number {
  let highest = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      i = sql.indexOf(c, i + 1);
      while (i !== -1 && sql[i + 1] === c) i = sql.indexOf(c, i + 2);
      if (i === -1) break;
      i++;
    } else if (c === '-' && next === '-') {
      i = sql.indexOf('\n', i);
      if (i === -1) break;
    } else if (c === '/' && next === '*') {
      i = sql.indexOf('*/', i + 2);
      if (i === -1) break;
      i += 2;
    } else if (c === '$' && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      const param = /^\$(\d+)/.exec(sql.slice(i));
      if (param) {
        highest = Math.max(highest, Number(param[1]));
        i += param[0].length;
      } else if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        if (close === -1) break;
        i = close + tag[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  if (highest > 2) {
    throw new SourceError('query', `the query uses $${highest}; only $1 (window start) and $2 (now) are available (${where})`);
  }
  return highest;
}

/**
 * Rows into labelled points: the `value` column (or the only column) is the number, every other
 * column a label. NULL is no data for that row; anything but a number or numeric text is an error.
 * The metric's `samples:` column, when it names one, is the count behind the value, not a label:
 * it must be there, and be a whole number of at least 0 (a row with no samples has no value).
 */
function toSeries(fields: FieldDef[], rows: unknown[][], t: number, where: string, samples?: string): Array<[Labels, Point]> {
  if (fields.length === 0) return [];
  const samplesAt = samples === undefined ? -1 : fields.findIndex((f) => f.name === samples);
  if (samples !== undefined && samplesAt === -1) {
    throw new SourceError('query', `no "${samples}" column (the metric's samples:) among ${fields.map((f) => f.name).join(', ')} (${where})`);
  }
  let valueAt = fields.findIndex((f) => f.name === 'value');
  if (valueAt === -1) {
    if (fields.length > (samplesAt === -1 ? 1 : 2)) {
      throw new SourceError('query', `no "value" column among ${fields.map((f) => f.name).join(', ')}; name the number AS value (${where})`);
    }
    valueAt = fields.findIndex((_, i) => i !== samplesAt);
  }
  const out: Array<[Labels, Point]> = [];
  rows.forEach((row, index) => {
    const raw = row[valueAt];
    if (raw === null || raw === undefined) return;
    const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseSampleValue(raw.trim()) : undefined;
    if (v === undefined) {
      throw new SourceError('parse', `${fields[valueAt]!.name} ${shortValue(raw)} in row ${index + 1} is not a number (${where})`);
    }
    const labels: Labels = {};
    fields.forEach((f, i) => {
      if (i !== valueAt && i !== samplesAt) labels[f.name] = labelText(row[i]);
    });
    if (samplesAt === -1) {
      out.push([labels, { t, v }]);
      return;
    }
    const rawN = row[samplesAt];
    const n = typeof rawN === 'number' ? rawN : typeof rawN === 'string' ? parseSampleValue(rawN.trim()) : rawN === null ? 0 : undefined;
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      throw new SourceError('parse', `${samples} ${shortValue(rawN)} in row ${index + 1} is not a count of samples (a whole number, 0 or more) (${where})`);
    }
    out.push([labels, { t, v, n }]);
  });
  return out;
}

/**
 * The profile's SQL with a row limit one past maxRows, so that a window with too many rows is
 * seen (and refused) without fetching them all. A trailing semicolon would end the subquery early.
 */
function capped(sql: string, maxRows: number): string {
  return `SELECT * FROM (\n${sql.trim().replace(/;+$/, '')}\n) AS rollcall_raw LIMIT ${maxRows + 1}`;
}

/**
 * A raw metric's rows: the `value` column (or the only column) is one observation per row, every
 * other column a label; rows with the same labels form one series, their values its `rows`.
 * NULL is no observation; anything but a finite number is an error, and so is more than maxRows
 * rows: cutting them silently would judge an arbitrary part of the window.
 */
function rawSeries(fields: FieldDef[], rows: unknown[][], maxRows: number, where: string): SeriesSet['series'] {
  if (rows.length > maxRows) {
    throw new SourceError(
      'query',
      `more than ${maxRows.toLocaleString('en-US')} rows in the window (raw maxRows); raise raw: { maxRows }, shorten window:, or sample the rows in SQL (TABLESAMPLE) (${where})`,
    );
  }
  if (fields.length === 0) return [];
  let valueAt = fields.findIndex((f) => f.name === 'value');
  if (valueAt === -1) {
    if (fields.length > 1) throw new SourceError('query', `no "value" column among ${fields.map((f) => f.name).join(', ')}; name the observation AS value (${where})`);
    valueAt = 0;
  }
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  rows.forEach((row, index) => {
    const cell = row[valueAt];
    if (cell === null || cell === undefined) return;
    const v = typeof cell === 'number' ? cell : typeof cell === 'string' ? parseSampleValue(cell.trim()) : undefined;
    if (v === undefined || !Number.isFinite(v)) {
      throw new SourceError('parse', `${fields[valueAt]!.name} ${shortValue(cell)} in row ${index + 1} is not a finite number (${where})`);
    }
    const labels: Labels = {};
    fields.forEach((f, i) => {
      if (i !== valueAt) labels[f.name] = labelText(row[i]);
    });
    const key = JSON.stringify(labels);
    const group = groups.get(key);
    if (group) group.values.push(v);
    else groups.set(key, { labels, values: [v] });
  });
  return [...groups.values()].map((g) => ({ labels: g.labels, points: [], rows: Float64Array.from(g.values) }));
}

function labelText(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return cell.toISOString();
  return typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
}

interface PgError {
  code?: string;
  message?: string;
}

/** A server-reported error in a statement: the connection itself is fine and can be reused. */
function isStatementError(error: unknown): boolean {
  const code = (error as PgError | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P|53|58|XX)/.test(code);
}

function asSourceError(error: unknown, where: string, timeoutMs: number): SourceError {
  if (error instanceof SourceError) return error;
  const { code, message = '' } = (error ?? {}) as PgError;
  if (code === '57014' && /statement timeout/.test(message)) {
    return new SourceError('timeout', `statement timed out after ${formatDuration(timeoutMs)} (${where})`, { cause: error });
  }
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = /^(08|28|3D|57P|53)/.test(code) ? 'unreachable' : 'query';
    return new SourceError(kind, `${oneLine(message)} (${where})`, { cause: error });
  }
  if (/^Connection terminated/.test(message)) return new SourceError('unreachable', `connection lost (${where})`, { cause: error });
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return new SourceError('timeout', `connect timed out (${where})`, { cause: error });
  }
  return toSourceError(error, where);
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

/** A `postgres` source as a profile writes it. */
const postgresConfig = z.strictObject({
  type: z.literal('postgres'),
  url: z.string().meta({ description: 'postgres://user:pass@host:5432/db' }),
  statementTimeout: duration.optional().meta({ description: 'statement_timeout for every query (default 5s)' }),
  poolSize: z.number().int().min(1).max(10).optional(),
  ...sourceCommon,
});

export const postgres = defineSourceKind({
  kind: 'postgres',
  config: postgresConfig,
  checkQuery(query, path, report) {
    if (typeof query !== 'string') return report(path, 'a postgres query is SQL text (window bounds as $1 and $2), not a scrape selector');
    if (query.trim() === '') report(path, 'the SQL query is empty');
  },
  create: (id, config) => createPostgresSource(id, config),
  ranged: true,
  urlSchemes: ['postgres:', 'postgresql:'],
});
