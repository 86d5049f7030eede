// Sample counts and raw samples from a real PostgreSQL, through the postgres source itself: the
// count column of a row rides on its value (seed 004's parse failures out of requests), and raw
// latency rows (seed 004's telemetry_logs.latency_ms) feed the Mann-Whitney test and the
// Hodges-Lehmann shift, which must agree with the Python reference values for the same rows.

import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { hodgesLehmann, mannWhitney } from '../../src/engine/statistics.js';
import type { Metric } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { instantFor, testMetric } from '../support/metric.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { buildProfile } from '../support/profile-builder.js';

interface Reference {
  mannWhitney: { a: number[]; b: number[]; u: number; p: number }[];
  hodgesLehmann: { a: number[]; b: number[]; shift: number }[];
}
const reference = JSON.parse(readFileSync(new URL('../fixtures/statistics/reference.json', import.meta.url), 'utf8')) as Reference;
/** The lognormal latencies of the reference: 60 on the new model path, 80 on the legacy one. */
const latencies = reference.mannWhitney[3]!;
const shift = reference.hodgesLehmann[1]!;

const MINUTE = 60_000;
let db: TestPostgres;
let now: number;
let sources: Map<string, Source> | undefined;

beforeAll(async () => {
  db = await startPostgres();
  now = Date.now();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE TABLE telemetry_logs (
    model_path TEXT NOT NULL, parse_success BOOLEAN NOT NULL, latency_ms INTEGER NOT NULL, timestamp TIMESTAMPTZ NOT NULL)`);
  const rows: Array<[string, boolean, number, number]> = [
    ...latencies.a.map((ms, i): [string, boolean, number, number] => ['simple', i % 20 !== 0, ms, 1 + (i % 50)]),
    ...latencies.b.map((ms, i): [string, boolean, number, number] => ['legacy', i % 40 !== 0, ms, 1 + (i % 50)]),
    // Outside the window: never part of the test.
    ['simple', true, 99_999, 120],
  ];
  for (const [path, ok, ms, ago] of rows) {
    await client.query('INSERT INTO telemetry_logs VALUES ($1, $2, $3, $4)', [path, ok, ms, new Date(now - ago * MINUTE).toISOString()]);
  }
  await client.end();
});

afterAll(async () => {
  await db?.stop();
});

afterEach(async () => {
  if (sources) await closeSources(sources);
  sources = undefined;
});

function source(): Source {
  sources = createSources(
    buildProfile({ name: 'stats-test', sources: { telemetry: { type: 'postgres', url: db.url } as never }, metrics: {}, phases: [{ name: 'canary', traffic: 1 }] }),
    { clock: realClock },
  );
  return sources.get('telemetry')!;
}

function ask(s: Source, query: string, fields: Partial<Metric> = {}) {
  return s.instant(instantFor(testMetric({ source: 'telemetry', query, windowMs: 60 * MINUTE, ...fields }), { time: now }));
}

describe('statistics on rows from a real PostgreSQL', () => {
  it('reads the samples column of each row as the count behind its value, not as a label', async () => {
    const answer = await ask(
      source(),
      `SELECT model_path, AVG((NOT parse_success)::int) AS value, COUNT(*) AS n
         FROM telemetry_logs WHERE timestamp >= $1 AND timestamp <= $2 GROUP BY model_path ORDER BY model_path`,
      { samples: { query: 'n', name: 'requests' } },
    );
    const byPath = Object.fromEntries(answer.series.map((s) => [s.labels.model_path, s.points[0]]));
    expect(Object.keys(answer.series[0]!.labels)).toEqual(['model_path']);
    expect(byPath.simple).toMatchObject({ v: 3 / 60, n: 60 });
    expect(byPath.legacy).toMatchObject({ v: 2 / 80, n: 80 });
  });

  it('names the missing samples column instead of guessing a count', async () => {
    await expect(
      ask(source(), 'SELECT COUNT(*) AS value FROM telemetry_logs WHERE timestamp >= $1 AND timestamp <= $2', { samples: { query: 'n', name: 'requests' } }),
    ).rejects.toThrow(/no "n" column \(the metric's samples:\) among value/);
  });

  it('refuses a samples value that is not a whole count', async () => {
    await expect(
      ask(source(), 'SELECT 0.5 AS value, 2.5 AS n FROM telemetry_logs WHERE timestamp >= $1 AND timestamp <= $2 LIMIT 1', { samples: { query: 'n', name: 'requests' } }),
    ).rejects.toThrow(/n "2\.5" in row 1 is not a count of samples/);
  });

  it('runs Mann-Whitney and Hodges-Lehmann on raw latency rows and matches the Python reference', async () => {
    // One row per request, through the source's READ ONLY window: each row its own series.
    const answer = await ask(
      source(),
      `SELECT latency_ms AS value, model_path, ctid::text AS row
         FROM telemetry_logs WHERE timestamp >= $1 AND timestamp <= $2`,
    );
    const values = (path: string) => answer.series.filter((s) => s.labels.model_path === path).map((s) => s.points[0]!.v);
    const canary = values('simple');
    const baseline = values('legacy');
    expect(canary).toHaveLength(60);
    expect(baseline).toHaveLength(80);
    const test = mannWhitney(canary, baseline);
    expect(test.u).toBe(latencies.u);
    expect(Math.abs(test.p - latencies.p)).toBeLessThan(1e-6);
    expect(hodgesLehmann(canary, baseline)).toBeCloseTo(shift.shift, 9);
  });
});
