import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { Metric } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { instantFor, testMetric } from '../support/metric.js';
import { freePort } from '../support/port.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { buildProfile } from '../support/profile-builder.js';
import { PIPELINE_USAGE_LOGS } from '../support/seed-tables.js';

const MINUTE = 60_000;
let db: TestPostgres;
let where: string;
let now: number;
let hasStatStatements = false;

// The seeds' tables: 000 (Phoenix vs legacy pipeline) and 004 (simple-prompt telemetry).
beforeAll(async () => {
  db = await startPostgres();
  const url = new URL(db.url);
  where = `${url.hostname}:${url.port || '5432'}`;
  now = Date.now();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`
    ${PIPELINE_USAGE_LOGS}
    CREATE TABLE telemetry_logs (
      model_path TEXT NOT NULL,
      parse_success BOOLEAN NOT NULL,
      latency_ms INTEGER NOT NULL,
      timestamp TIMESTAMPTZ NOT NULL
    );`);
  const at = (minutesAgo: number) => new Date(now - minutesAgo * MINUTE).toISOString();
  const pipeline: Array<[string, boolean, number, number]> = [
    ['phoenix', true, 1000, 5],
    ['phoenix', true, 1200, 10],
    ['phoenix', true, 1400, 20],
    ['phoenix', false, 2400, 30],
    ['legacy', true, 800, 5],
    ['legacy', true, 1000, 15],
  ];
  for (const [type, success, ms, ago] of pipeline) {
    await client.query(
      'INSERT INTO pipeline_usage_logs (user_id, pipeline_type, success, response_time_ms, created_at) VALUES (gen_random_uuid(), $1, $2, $3, $4)',
      [type, success, ms, at(ago)],
    );
  }
  const telemetry: Array<[string, boolean, number, number]> = [
    ['simple', true, 1000, 5],
    ['simple', true, 1200, 15],
    ['simple', true, 1400, 25],
    ['simple', true, 1600, 35],
    ['simple', false, 3000, 45],
    ['legacy', true, 900, 10],
    ['legacy', true, 1100, 50],
    ['simple', false, 99_999, 120],
  ];
  for (const [path, ok, ms, ago] of telemetry) {
    await client.query('INSERT INTO telemetry_logs VALUES ($1, $2, $3, $4)', [path, ok, ms, at(ago)]);
  }
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    hasStatStatements = true;
  } catch {
    hasStatStatements = false;
  }
  await client.end();
});

afterAll(async () => {
  await db?.stop();
});

let sources: Map<string, Source> | undefined;
afterEach(async () => {
  if (sources) await closeSources(sources);
  sources = undefined;
});

function postgresSource(extra: Record<string, unknown> = {}, url = db.url): Source {
  sources = createSources(
    buildProfile({
      name: 'postgres-test',
      sources: { telemetry: { type: 'postgres', url, ...extra } as never },
      metrics: {},
      phases: [{ name: 'canary', traffic: 10 }],
    }),
    { clock: realClock },
  );
  return sources.get('telemetry')!;
}

function metric(query: string, fields: Partial<Metric> = {}): Metric {
  return testMetric({ source: 'telemetry', query, ...fields });
}

function ask(source: Source, query: string, fields: Partial<Metric> = {}): Promise<SeriesSet> {
  return source.instant(instantFor(metric(query, fields), { time: now }));
}

/** `{label}` → value, for answers with one point per series. */
function byLabel(set: SeriesSet, label: string): Record<string, number> {
  return Object.fromEntries(set.series.map((s) => [s.labels[label] ?? '', s.points[0]!.v]));
}

describe('the postgres source, against a real PostgreSQL', () => {
  it("answers the simple-prompt seed's median latency and parse success per model path", async () => {
    const source = postgresSource();
    const median = await ask(
      source,
      `SELECT model_path, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY latency_ms) AS value
         FROM telemetry_logs WHERE timestamp >= $1 AND timestamp <= $2 GROUP BY model_path`,
    );
    expect(byLabel(median, 'model_path')).toEqual({ simple: 1400, legacy: 1000 });
    const parse = await ask(
      source,
      `SELECT model_path, AVG(CASE WHEN parse_success THEN 1.0 ELSE 0.0 END) AS value
         FROM telemetry_logs WHERE timestamp >= NOW() - INTERVAL '1 hour' GROUP BY model_path`,
    );
    expect(byLabel(parse, 'model_path')).toEqual({ simple: 0.8, legacy: 1 });
  });

  it("answers the Phoenix seed's success rate and response time, Phoenix against legacy", async () => {
    const source = postgresSource();
    const success = await ask(
      source,
      `SELECT pipeline_type, AVG(CASE WHEN success THEN 1.0 ELSE 0.0 END) AS value
         FROM pipeline_usage_logs WHERE created_at >= $1 GROUP BY pipeline_type`,
    );
    expect(byLabel(success, 'pipeline_type')).toEqual({ phoenix: 0.75, legacy: 1 });
    const latency = await ask(
      source,
      `SELECT AVG(response_time_ms) AS value, pipeline_type FROM pipeline_usage_logs
        WHERE created_at BETWEEN $1 AND $2 GROUP BY pipeline_type`,
    );
    expect(byLabel(latency, 'pipeline_type')).toEqual({ phoenix: 1500, legacy: 900 });
  });

  it("bounds the window by the metric's window: $1 is now minus the window, $2 is now", async () => {
    const source = postgresSource();
    const count = `SELECT COUNT(*) AS value FROM telemetry_logs WHERE timestamp > $1 AND timestamp <= $2`;
    expect(byLabel(await ask(source, count, { windowMs: 30 * MINUTE }), '')).toEqual({ '': 4 });
    expect(byLabel(await ask(source, count, { windowMs: 3 * 60 * MINUTE }), '')).toEqual({ '': 8 });
  });

  it('reads the database health views the caching seed watches', async (ctx) => {
    const source = postgresSource();
    const active = await ask(source, `SELECT count(*) AS value FROM pg_stat_activity WHERE state = 'active'`);
    expect(active.series[0]!.points[0]!.v).toBeGreaterThanOrEqual(1);
    if (!hasStatStatements) ctx.skip();
    const calls = await ask(source, 'SELECT COALESCE(SUM(calls), 0) AS value FROM pg_stat_statements');
    expect(calls.series[0]!.points[0]!.v).toBeGreaterThan(0);
  });

  it("reports an SQL syntax error with the server's message on one line", async () => {
    const source = postgresSource();
    await expect(ask(source, 'SELECT 1 AS value\nFORM telemetry_logs')).rejects.toMatchObject({
      kind: 'query',
      reason: `syntax error at or near "FORM" (${where})`,
    });
  });

  it('has no data for no rows, and for a NULL value', async () => {
    const source = postgresSource();
    expect((await ask(source, `SELECT latency_ms AS value FROM telemetry_logs WHERE model_path = 'none'`)).series).toEqual([]);
    expect((await ask(source, `SELECT AVG(latency_ms) AS value FROM telemetry_logs WHERE model_path = 'none'`)).series).toEqual([]);
  });

  it('reports a value that is not a number as a parse error naming the row', async () => {
    const source = postgresSource();
    await expect(ask(source, `SELECT 'fast'::text AS value`)).rejects.toMatchObject({
      kind: 'parse',
      reason: `value "fast" in row 1 is not a number (${where})`,
    });
  });

  it('refuses an answer with several columns and none called value, saying how to fix it', async () => {
    const source = postgresSource();
    await expect(ask(source, 'SELECT 1 AS a, 2 AS b')).rejects.toMatchObject({
      kind: 'query',
      reason: `no "value" column among a, b; name the number AS value (${where})`,
    });
  });

  it('stops a slow statement at the statement timeout and keeps working afterwards', async () => {
    const source = postgresSource({ statementTimeout: '200ms' });
    await expect(ask(source, 'SELECT pg_sleep(2) AS value')).rejects.toMatchObject({
      kind: 'timeout',
      reason: `statement timed out after 200ms (${where})`,
    });
    expect(byLabel(await ask(source, 'SELECT 42 AS value'), '')).toEqual({ '': 42 });
  });

  it('runs every query READ ONLY: an INSERT fails, and a smuggled COMMIT cannot escape', async () => {
    const source = postgresSource();
    await expect(
      ask(source, `INSERT INTO telemetry_logs VALUES ('x', true, 1, NOW()) RETURNING 1 AS value`),
    ).rejects.toMatchObject({ kind: 'query', reason: `cannot execute INSERT in a read-only transaction (${where})` });
    await expect(ask(source, 'COMMIT; DELETE FROM telemetry_logs; SELECT 1 AS value')).rejects.toMatchObject({ kind: 'query' });
    const count = await ask(source, 'SELECT COUNT(*) AS value FROM telemetry_logs');
    expect(count.series[0]!.points[0]!.v).toBe(8);
  });

  it('backfills a range by evaluating the query at step points with shifted bounds', async () => {
    const source = postgresSource();
    const set = await source.range!({
      metric: metric(`SELECT COUNT(*) AS value FROM telemetry_logs WHERE model_path = 'simple' AND timestamp > $1 AND timestamp <= $2`, {
        windowMs: 20 * MINUTE,
      }),
      query: `SELECT COUNT(*) AS value FROM telemetry_logs WHERE model_path = 'simple' AND timestamp > $1 AND timestamp <= $2`,
      start: now - 40 * MINUTE,
      end: now,
      stepMs: 20 * MINUTE,
      signal: new AbortController().signal,
    });
    expect(set.series).toHaveLength(1);
    expect(set.series[0]!.points).toEqual([
      { t: now - 40 * MINUTE, v: 1 },
      { t: now - 20 * MINUTE, v: 2 },
      { t: now, v: 2 },
    ]);
  });

  it('refuses to invent a history for a query without window bounds', async () => {
    const source = postgresSource();
    const query = 'SELECT COUNT(*) AS value FROM telemetry_logs';
    const set = await source.range!({ metric: metric(query), query, start: now - 60 * MINUTE, end: now, stepMs: MINUTE, signal: new AbortController().signal });
    expect(set).toEqual({ series: [], warnings: ['no history: the query has no $1/$2 window bounds'] });
  });

  it('reports a refused connection as unreachable with the address', async () => {
    const port = await freePort();
    const source = postgresSource({}, `postgres://postgres:pw-never-shown@127.0.0.1:${port}/postgres`);
    const failure = (await ask(source, 'SELECT 1 AS value').catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'unreachable', reason: `connection refused (127.0.0.1:${port})` });
  });

  it('reports a wrong password as unreachable, without the password', async () => {
    const url = new URL(db.url);
    url.password = 'wrong-password-xyz';
    const source = postgresSource({}, url.toString());
    const failure = (await ask(source, 'SELECT 1 AS value').catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('authentication failed') });
    expect(failure.message).not.toContain('wrong-password-xyz');
  });

  it('fails while the server is down mid-run, then recovers by itself when it is back', async (ctx) => {
    if (!db.outage) ctx.skip();
    const source = postgresSource({ poolSize: 2 });
    // Both pooled connections in use once, so the pool holds idle connections when the server goes.
    await Promise.all([ask(source, 'SELECT 1 AS value'), ask(source, 'SELECT 2 AS value')]);
    await db.outage!.down();
    for (let i = 0; i < 3; i++) {
      await expect(ask(source, 'SELECT 1 AS value')).rejects.toMatchObject({ kind: 'unreachable', reason: expect.stringContaining(where) });
    }
    await db.outage!.up();
    expect(byLabel(await ask(source, `SELECT COUNT(*) AS value FROM telemetry_logs`), '')).toEqual({ '': 8 });
  });

  it('keeps the escape sequences of a RAISE EXCEPTION message shown and harmless where the poller stores it', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE OR REPLACE FUNCTION hostile() RETURNS double precision LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION E'boom \\x1b]0;TITLE\\x07 \\x1b[2J \\x1b]52;c;cm0gLXJmIH4=\\x07'; END $$`);
    await client.end();
    const profile = buildProfile({
      name: 'postgres-hostile',
      sources: { telemetry: { type: 'postgres', url: db.url } as never },
      metrics: { m: { source: 'telemetry', query: 'SELECT hostile() AS value' } },
      phases: [{ name: 'canary', traffic: 10 }],
    });
    sources = createSources(profile, { clock: realClock });
    const store = new SeriesStore(profile);
    const poller = new Poller({ profile, sources, store, clock: realClock });
    await poller.pollOnce();
    await poller.stop();
    const reason = store.snapshot().m!.lastError!.reason;
    expect(reason).toContain('boom \\x1b]0;TITLE\\x07 \\x1b[2J \\x1b]52;c;cm0gLXJmIH4=\\x07');
    expect(reason).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
