// Store size and read time of the sample history in PostgreSQL (a profile whose state is shared):
// 50 metrics polled every 15 s, written the way the agent writes them (PgHistory: buffered, one
// transaction per flush, a series packed into a chunk row per 240 samples), then the history tables
// measured with pg_total_relation_size (heap, TOAST and indexes) after a VACUUM (and one each
// simulated hour while writing, as autovacuum would in real time), and the read that
// `report --since 24h` makes (readStoredHistory: three queries for every metric). 40 metrics are
// full-precision floats, 10 counters, as in history.bench.ts. `BENCH_HISTORY_PG_DAYS` (default 2)
// days are written and the chunk table scaled to 30 days (it grows by one chunk row per
// series-hour); the rest does not grow (recent rows stay at most a chunk per series). The database is
// an embedded PostgreSQL (fsync off) or ROLLCALL_TEST_DATABASE_URL's.

import pg from 'pg';
import { PgHistory } from '../src/actions/history-postgres.js';
import { historySql } from '../src/actions/history-postgres-schema.js';
import { readStoredHistory } from '../src/actions/history-load.js';
import { startPostgres } from '../test/support/postgres.js';
import { benchProfile, DAY_MS, METRICS, pollRounds, STEP_MS, T0 } from './history.bench.js';
import type { BenchResult } from './result.js';

/** Poll rounds gathered per flush: the agent flushes each round; the size does not depend on it, the run time does. */
const ROUNDS_PER_FLUSH = 40;
/** A simulated hour. */
const VACUUM_EVERY_ROUNDS = 240;

export async function run(): Promise<BenchResult[]> {
  const days = Number(process.env.BENCH_HISTORY_PG_DAYS ?? 2);
  const db = await startPostgres();
  const profile = benchProfile({ store: 'postgres', url: db.url });
  const admin = new pg.Client({ connectionString: db.url });
  try {
    const history = new PgHistory(profile, profile.state!, { retentionMs: 40 * DAY_MS, maxBytes: 4 * 1024 ** 3, batchMs: 3_600_000 });
    await history.start();
    await admin.connect();
    const ids = profile.metricIds;
    const rounds = Math.round((days * DAY_MS) / STEP_MS);
    const started = process.hrtime.bigint();
    for (const { round: r, t, values } of pollRounds(ids.length, rounds)) {
      for (let i = 0; i < ids.length; i++) history.samples(ids[i]!, 'canary', new Map([['', [{ t, v: values[i]! }]]]));
      if (r % ROUNDS_PER_FLUSH === ROUNDS_PER_FLUSH - 1) await history.flush();
      // What autovacuum does in real time (a minute's naptime; here a day passes in seconds): the
      // recent rows packed into chunks leave room that the next ones reuse.
      if (r % VACUUM_EVERY_ROUNDS === VACUUM_EVERY_ROUNDS - 1) await vacuum(admin, `${historySql(profile.state!).channel}_recent`);
    }
    await history.close();
    const writeMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (history.problem) throw new Error(history.problem);

    const sql = historySql(profile.state!);
    const tables = ['series', 'recent', 'chunk', 'event'].map((t) => `${sql.channel}_${t}`);
    await admin.query(`VACUUM ANALYZE ${tables.join(', ')}`);
    const size = async (names: string[]) => Number((await admin.query<{ b: string }>(`SELECT sum(pg_total_relation_size(t))::bigint AS b FROM unnest($1::regclass[]) AS t`, [names])).rows[0]!.b);
    const bytes = await size(tables);
    // Only the chunks grow with time; the series, the recent rows (at most a chunk per series) and their room do not.
    const chunkBytes = await size([tables[2]!]);
    const chunks = Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${tables[2]}`)).rows[0]!.n);
    const scaled = (chunkBytes * 30) / days + (bytes - chunkBytes);

    const end = T0 + rounds * STEP_MS;
    const times: number[] = [];
    let points = 0;
    for (let i = 0; i < 5; i++) {
      const readStarted = process.hrtime.bigint();
      points = (await readStoredHistory(profile, '/nonexistent', end - DAY_MS, end))?.points ?? 0;
      times.push(Number(process.hrtime.bigint() - readStarted) / 1e6);
    }
    if (points < (METRICS * DAY_MS) / STEP_MS - METRICS * 2) throw new Error(`the 24h read lost samples: ${points}`);
    times.sort((a, b) => a - b);
    const samples = rounds * METRICS;
    return [
      {
        name: 'history_pg.store_size.50x15s.30d',
        value: scaled / 1e6,
        unit: 'MB',
        budget: 200,
        note: `${(bytes / samples).toFixed(1)} B/sample over ${samples} samples; a chunk row of 240 samples ${(chunkBytes / chunks).toFixed(0)} B (${(chunkBytes / chunks / 240).toFixed(1)} B/sample, index included); ${((bytes - chunkBytes) / 1e6).toFixed(1)} MB that does not grow; ${days}d measured, chunks scaled to 30d`,
      },
      { name: 'history_pg.write_per_round.50', value: writeMs / rounds, unit: 'ms', note: `${ROUNDS_PER_FLUSH} rounds of 50 samples per transaction` },
      { name: 'history_pg.read_24h.50metrics', value: times[2]!, unit: 'ms', budget: 500, note: `${points} points, median of 5: what report --since 24h reads (budget is the whole report's)` },
    ];
  } finally {
    await admin.end().catch(() => undefined);
    await db.stop();
  }
}

async function vacuum(admin: pg.Client, table: string): Promise<void> {
  await admin.query(`VACUUM ${table}`);
}


if (process.argv[1]?.endsWith('history-postgres.bench.js')) {
  for (const r of await run()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}  ${r.note ?? ''}`);
}
