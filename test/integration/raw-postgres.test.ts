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
import { VirtualClock } from '../../src/engine/clock.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import { initialState } from '../../src/engine/state.js';
import { parseProfile } from '../../src/profile/load.js';
import { closeSources, createSources } from '../../src/sources/registry.js';

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

  it('give the same evidence in report, judged now on the rows of the live poll', async () => {
    const file = join(work, 'slow-report.yaml');
    await writeFile(file, telemetryProfile('simple-slow'));
    const run = await runCli(['report', file, '--since', '1h', '--state-dir', join(work, 'report-state')], { env: onlyEnv(env) });
    expect(run.stdout).toMatch(/p95 [\d.]+m?s vs [\d.]+m?s, shift \+\d+ms \(Hodges-Lehmann\), medians ×1\.\d\d, p < 0\.001 \(Mann-Whitney, alpha spent over 1 look; n = 300 vs 2,000\), significant at 95%/);
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

describe('a raw query the source cannot read as observations', () => {
  async function ask(query: string, maxRows = 10_000) {
    const profile = parseProfile(
      `name: raw-bad
sources: { telemetry: { type: postgres, url: "\${TELEMETRY_DATABASE_URL}" } }
metrics:
  latency: { source: telemetry, unit: milliseconds, window: 30m, raw: { value: p95, maxRows: ${maxRows} }, query: "${query}" }
phases: [{ name: a, traffic: 1 }]
`,
      'bad.yaml',
      { env: { TELEMETRY_DATABASE_URL: db.url } },
    ).profile;
    const sources = createSources(profile, { clock: new VirtualClock(Date.now()) });
    const metric = profile.metrics.latency!;
    try {
      return await sources.get('telemetry')!.instant({ metric, query: metric.query, time: Date.now(), signal: new AbortController().signal });
    } finally {
      await closeSources(sources);
    }
  }

  it('is an error naming the row and the value when a value is not a number', async () => {
    await expect(ask("SELECT model_path AS value FROM telemetry_logs WHERE timestamp >= $1 AND model_path = 'simple-few'")).rejects.toThrow(
      /^value "simple-few" in row 1 is not a finite number \(127\.0\.0\.1:\d+\)$/,
    );
  });

  it('is an error naming the columns when none is called value', async () => {
    await expect(ask('SELECT latency_ms, model_path FROM telemetry_logs WHERE timestamp >= $1')).rejects.toThrow(
      /^no "value" column among latency_ms, model_path; name the observation AS value/,
    );
  });

  it('reads exactly maxRows rows, one row more is the error', async () => {
    const where = "FROM telemetry_logs WHERE timestamp >= $1 AND model_path = 'simple-few' AND latency_ms IS NOT NULL";
    expect((await ask(`SELECT latency_ms AS value ${where}`, 12)).series[0]!.rows).toHaveLength(12);
    await expect(ask(`SELECT latency_ms AS value ${where}`, 11)).rejects.toThrow(/^more than 11 rows in the window \(raw maxRows\)/);
  });
});

describe('raw rows polled through an hour on a virtual clock', () => {
  /** An hour of seed 004 rows from `start`: legacy 20 a minute, `path` 4 a minute at `median`. */
  async function hour(path: string, median: number, start: number): Promise<void> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const random = rng(path.length * 7919);
    for (const [group, perMinute, m] of [['legacy', 20, 300], [path, 4, median]] as const) {
      const rows = Array.from({ length: 60 * perMinute }, (_, i) => [lognormal(random, m), new Date(start + (i / perMinute) * 60_000 + 1).toISOString()] as const);
      await client.query(`INSERT INTO telemetry_logs (model_path, latency_ms, timestamp) SELECT $1, l, ts FROM unnest($2::int[], $3::timestamptz[]) AS r(l, ts)`, [
        group === 'legacy' ? `legacy-${path}` : path,
        rows.map((r) => r[0]),
        rows.map((r) => r[1]),
      ]);
    }
    await client.end();
  }

  /** Polls every minute for an hour (5-minute windows: 12 looks), judging after each poll. */
  async function watch(path: string, median: number) {
    const start = Date.UTC(2025, 5, 1, 12) + path.length * 3_600_000;
    await hour(path, median, start);
    const profile = parseProfile(
      telemetryProfile(path).replace(`model_path = 'legacy'`, `model_path = 'legacy-${path}'`).replace('window: 30m', 'window: 5m\n    interval: 1m'),
      'watch.yaml',
      { env: { TELEMETRY_DATABASE_URL: db.url } },
    ).profile;
    const clock = new VirtualClock(start);
    const sources = createSources(profile, { clock });
    const store = new SeriesStore(profile);
    const poller = new Poller({ profile, sources, store, clock });
    const state = initialState(profile.name, start);
    const decisions: string[] = [];
    let last;
    try {
      for (let minute = 1; minute <= 60; minute++) {
        await clock.advance(60_000);
        await poller.pollOnce();
        last = evaluate(profile, state, store.snapshot(), clock.now(), poller.raw);
        decisions.push(last.decision);
      }
    } finally {
      await poller.stop();
      await closeSources(sources);
    }
    return { decisions, last: last!, kept: poller.raw.windows('latency')! };
  }

  it('tests each 5-minute window of new rows once, canary and baseline side by side, and rolls back a slower canary', async () => {
    const { decisions, last, kept } = await watch('simple-watch-slow', 420);
    expect(decisions).toContain('ROLLBACK');
    // Every look's rows are new: the first poll's minute, then 11 windows of 5 minutes (20 rows
    // each), the baseline's beside them.
    expect(kept.canary.map((w) => w.rows.length)).toEqual([4, ...Array(11).fill(20)]);
    expect(kept.baseline).toHaveLength(12);
    for (const [i, w] of kept.canary.entries()) expect(Math.abs(w.t - kept.baseline[i]!.t)).toBeLessThanOrEqual(60_000);
    expect(last.metrics[0]!.significance).toMatchObject({ significant: true, n: 224, baselineN: 1_120, rows: { looks: 12 } });
  });

  it('never rolls back a canary equal to its baseline over the same hour', async () => {
    const { decisions, last } = await watch('simple-watch-same', 300);
    expect(decisions).not.toContain('ROLLBACK');
    expect(last.metrics[0]!.samples).toEqual({ n: 20, min: 50, name: 'rows' });
  });
});
