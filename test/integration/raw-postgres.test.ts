// Raw latency rows from a real PostgreSQL, judged end to end by the built CLI: seed 004's
// telemetry_logs.latency_ms (one query per group) and seed 000's pipeline_usage_logs (one query,
// Phoenix and Legacy told apart by select). `rollcall check` polls once, so this is the first look
// of the Mann–Whitney test (α/2 spent): a shifted canary rolls back, an equal one does not, too
// few rows hold, and a window with more rows than maxRows is an error that says so.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/commands/check-format.js';
import { ensureBuilt, onlyEnv, runCli, type CliResult } from '../support/cli.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { lognormal, rng } from '../support/raw-rollout.js';
import { PIPELINE_USAGE_LOGS } from '../support/seed-tables.js';

let db: TestPostgres;
let work: string;
let env: Record<string, string>;

/** Rows spread over the last 20 minutes (inside every window below). */
async function insert(client: pg.Client, sql: string, group: string, count: number, median: number, seed: number): Promise<void> {
  const random = rng(seed);
  const latencies = Array.from({ length: count }, () => lognormal(random, median));
  const ages = Array.from({ length: count }, (_, i) => Math.round((i / count) * 20 * 60));
  await client.query(sql, [group, latencies, ages]);
}

beforeAll(async () => {
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'rollcall-raw-'));
  db = await startPostgres();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE TABLE telemetry_logs (
    model_path TEXT NOT NULL, parse_success BOOLEAN NOT NULL DEFAULT true, latency_ms INTEGER, timestamp TIMESTAMPTZ NOT NULL)`);
  const telemetry = `INSERT INTO telemetry_logs (model_path, latency_ms, timestamp)
    SELECT $1, l, now() - (a || ' seconds')::interval FROM unnest($2::int[], $3::int[]) AS r(l, a)`;
  await insert(client, telemetry, 'legacy', 2_000, 300, 1);
  await insert(client, telemetry, 'simple-slow', 300, 420, 2);
  await insert(client, telemetry, 'simple-same', 300, 300, 3);
  await insert(client, telemetry, 'simple-few', 12, 300, 4);
  // A request that failed before it was timed: no latency, no observation.
  await client.query(`INSERT INTO telemetry_logs (model_path, latency_ms, timestamp) VALUES ('simple-few', NULL, now())`);
  await client.query(PIPELINE_USAGE_LOGS);
  const pipeline = `INSERT INTO pipeline_usage_logs (user_id, pipeline_type, success, response_time_ms, created_at)
    SELECT gen_random_uuid(), $1, true, l, now() - (a || ' seconds')::interval FROM unnest($2::int[], $3::int[]) AS r(l, a)`;
  await insert(client, pipeline, 'legacy', 1_500, 1_200, 5);
  await insert(client, pipeline, 'phoenix', 200, 2_000, 6);
  await client.end();
  env = { PATH: process.env.PATH ?? '', HOME: work, XDG_STATE_HOME: join(work, 'state'), TELEMETRY_DATABASE_URL: db.url };
}, 120_000);

afterAll(async () => {
  await db?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Seed 004's latency: the simple path `path` against legacy, p95 over 30 minutes of raw rows. */
function telemetryProfile(path: string, raw = 'p95'): string {
  return `
name: raw-${path}
sources:
  telemetry: { type: postgres, url: "\${TELEMETRY_DATABASE_URL}" }
metrics:
  latency:
    source: telemetry
    unit: milliseconds
    window: 30m
    raw: ${raw}
    query: "SELECT latency_ms AS value FROM telemetry_logs WHERE model_path = '${path}' AND timestamp >= $1 AND timestamp <= $2"
    baseline:
      query: "SELECT latency_ms AS value FROM telemetry_logs WHERE model_path = 'legacy' AND timestamp >= $1 AND timestamp <= $2;"
rules:
  - { metric: latency, rollback: "> 1.2x baseline significant", minSamples: 50, nodata: warn }
phases:
  - { name: canary, traffic: 1, duration: 1h }
  - { name: full, traffic: 100 }
`;
}

async function check(name: string, text: string, format = 'json'): Promise<CliResult> {
  const file = join(work, `${name}.yaml`);
  await writeFile(file, text);
  return runCli(['check', file, '--format', format], { env: onlyEnv(env) });
}

const report = (run: CliResult) => JSON.parse(run.stdout) as CheckReport;

describe('raw latency rows from a real PostgreSQL', () => {
  it('roll back a canary whose latencies are shifted, with the statistic, p and n in the reason', async () => {
    const run = await check('slow', telemetryProfile('simple-slow'));
    const r = report(run);
    expect(r.decision).toBe('ROLLBACK');
    expect(r.reasons[0]).toMatch(/^latency p95 [\d.]+m?s vs [\d.]+m?s \(p < 0\.001, n = 300\): > 1\.2x baseline significant \(rollback\)$/);
    const m = r.metrics[0]!;
    expect(m.samples).toEqual({ n: 300, min: 50, name: 'rows' });
    expect(m.significance).toMatchObject({ method: 'Mann-Whitney', significant: true, n: 300, baselineN: 2_000, rows: { statistic: 'p95', looks: 1 } });
    expect(m.significance!.effect).toBeGreaterThan(80);
    expect(m.significance!.rows!.medianRatio).toBeGreaterThan(1.25);
  });

  it('give n, p-value and effect size per comparison in text and markdown too', async () => {
    for (const format of ['text', 'markdown']) {
      const run = await check(`slow-${format}`, telemetryProfile('simple-slow'), format);
      expect(run.stdout).toMatch(/n = 300 rows \(minimum 50\); > 1\.2x baseline significant: p95 [\d.]+m?s vs [\d.]+m?s, shift \+\d+ms \(Hodges-Lehmann\), medians ×1\.\d\d, p < 0\.001 \(Mann-Whitney, alpha spent over 1 look; n = 300 vs 2,000\), significant at 95%/);
    }
  });

  it('do not roll back a canary with the same distribution as legacy', async () => {
    const r = report(await check('same', telemetryProfile('simple-same')));
    expect(r.decision).not.toBe('ROLLBACK');
    expect(r.metrics[0]!.state).toMatch(/^(ok|insufficient)$/);
    expect(r.metrics[0]!.samples).toEqual({ n: 300, min: 50, name: 'rows' });
  });

  it('hold on too few rows, saying how many there are', async () => {
    const r = report(await check('few', telemetryProfile('simple-few')));
    expect(r.decision).toBe('HOLD');
    expect(r.metrics[0]).toMatchObject({ state: 'insufficient', samples: { n: 12, min: 50, name: 'rows' } });
    expect(r.reasons).toContain('latency not enough data yet: 12/50 rows');
  });

  it('refuse a window with more rows than maxRows instead of judging part of it', async () => {
    const r = report(await check('capped', telemetryProfile('simple-slow', '{ value: p95, maxRows: 1000 }')));
    expect(r.decision).not.toBe('ROLLBACK');
    expect(JSON.stringify(r)).toContain('more than 1,000 rows in the window (raw maxRows)');
  });

  it('tell Phoenix from Legacy in one query of seed 000 pipeline_usage_logs by select', async () => {
    const r = report(
      await check(
        'phoenix',
        `
name: raw-phoenix
sources:
  telemetry: { type: postgres, url: "\${TELEMETRY_DATABASE_URL}" }
metrics:
  response_time:
    source: telemetry
    unit: milliseconds
    window: 30m
    raw: { value: mean, name: generations }
    query: |
      SELECT pipeline_type, response_time_ms AS value
      FROM pipeline_usage_logs
      WHERE created_at >= $1 AND created_at < $2
    select: { pipeline_type: phoenix }
    baseline: { select: { pipeline_type: legacy } }
rules:
  - { metric: response_time, rollback: "> 1.5x baseline significant", minSamples: 30 }
phases:
  - { name: phase-1, traffic: 5 }
  - { name: full, traffic: 100 }
`,
      ),
    );
    expect(r.decision).toBe('ROLLBACK');
    expect(r.metrics[0]!.significance).toMatchObject({ n: 200, baselineN: 1_500, significant: true });
    expect(r.reasons[0]).toMatch(/^response_time mean [\d.]+s vs [\d.]+s \(p < 0\.001, n = 200\): > 1\.5x baseline significant \(rollback\)$/);
  });
});
