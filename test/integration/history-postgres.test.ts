// The sample history in a shared PostgreSQL database, on a real server: what one process writes
// another reads, series are packed into chunks, the retention prunes only its own rollout's rows,
// the size bound stops writes and says so, and a database that goes away costs no sample that fits
// the buffer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgHistory } from '../../src/actions/history-postgres.js';
import { readPgHistory } from '../../src/actions/history-postgres-read.js';
import { loadStoredHistory } from '../../src/actions/history-load.js';
import { CHUNK_POINTS } from '../../src/actions/history-sqlite.js';
import { SeriesStore } from '../../src/engine/series.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let db: TestPostgres;
let admin: pg.Client;
let tables = 0;

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Client({ connectionString: db.url });
  admin.on('error', () => undefined);
  await admin.connect();
});
afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await db?.stop();
});

const T0 = Date.UTC(2026, 0, 1);
const STEP = 15_000;

function profileOn(table: string, name = 'checkout'): Profile {
  return parseProfile(
    `
name: ${name}
sources: { svc: { type: http, url: "http://127.0.0.1:9" } }
metrics:
  error_rate: { source: svc, path: /stats, query: $.error_rate, unit: ratio }
  latency: { source: svc, path: /stats, query: $.latency, unit: milliseconds }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${DB}", table: ${table} }
`,
    'shared.yaml',
    { env: { DB: db.url } },
  ).profile;
}

function writer(profile: Profile, opts: ConstructorParameters<typeof PgHistory>[2] = {}): { history: PgHistory; problems: (string | undefined)[] } {
  const problems: (string | undefined)[] = [];
  const history = new PgHistory(profile, profile.state!, { batchMs: 10_000, onProblem: (p) => problems.push(p), ...opts });
  return { history, problems };
}

const one = (t: number, v: number) => new Map([['', [{ t, v }]]]);

describe('the sample history in PostgreSQL', () => {
  it('stores samples and errors in one flush and reads them back on another connection, as another host would', async () => {
    const profile = profileOn(`hist_${++tables}`);
    const { history, problems } = writer(profile);
    await history.start();
    for (let i = 0; i < 10; i++) history.samples('error_rate', 'canary', one(T0 + i * STEP, 0.01 * i));
    history.samples('latency', 'baseline', new Map([['/api', [{ t: T0, v: 120 }]], ['/pay', [{ t: T0, v: 340.5 }]]]));
    history.error('latency', 'canary', 'HTTP 500', T0 + 5_000, 'http');
    history.noData('latency', 'canary', T0 + 20_000);
    await history.flush();
    const read = await readPgHistory(profile, profile.state!, T0, T0 + 9 * STEP);
    expect(read.ranges.get('error_rate')!.get('canary')!.series[0]!.points).toEqual(Array.from({ length: 10 }, (_, i) => ({ t: T0 + i * STEP, v: 0.01 * i })));
    expect(read.ranges.get('latency')!.get('baseline')!.series).toEqual([
      { group: '/api', points: [{ t: T0, v: 120 }] },
      { group: '/pay', points: [{ t: T0, v: 340.5 }] },
    ]);
    expect(read.ranges.get('latency')!.get('canary')!.events).toEqual([
      { at: T0 + 5_000, kind: 'error', reason: 'HTTP 500', errorKind: 'http' },
      { at: T0 + 20_000, kind: 'nodata' },
    ]);
    expect(problems).toEqual([]);
    expect(history.description).toMatch(/^history: postgres:\/\/127\.0\.0\.1:\d+\/postgres \(tables hist_\d+_history_\*\), keeps .+, at most 1 GiB for this rollout$/);
    expect(history.description).not.toContain(new URL(db.url).password);
    await history.close();
  });

  it("packs a series into one chunk row once it has a chunk's worth, and reads across chunks and recent rows without a gap or a repeat", async () => {
    const table = `hist_${++tables}`;
    const profile = profileOn(table);
    const { history } = writer(profile);
    const n = CHUNK_POINTS * 2 + 17;
    for (let i = 0; i < n; i++) {
      history.samples('error_rate', 'canary', one(T0 + i * STEP, Math.round(Math.sin(i) * 1e6) / 1e8));
      if (i % 50 === 49) await history.flush();
    }
    // A backfill re-reading samples already stored adds nothing.
    history.samples('error_rate', 'canary', one(T0 + 3 * STEP, 99));
    await history.flush();
    await history.close();
    const chunks = (await admin.query(`SELECT n FROM ${table}_history_chunk`)).rows.map((r) => r.n as number);
    const recent = Number((await admin.query(`SELECT count(*) AS n FROM ${table}_history_recent`)).rows[0].n);
    expect(chunks.reduce((a, b) => a + b, 0) + recent).toBe(n);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    const points = (await readPgHistory(profile, profile.state!, T0, T0 + n * STEP)).ranges.get('error_rate')!.get('canary')!.series[0]!.points;
    expect(points).toHaveLength(n);
    expect(points.every((p, i) => p.t === T0 + i * STEP && p.v === Math.round(Math.sin(i) * 1e6) / 1e8)).toBe(true);
    // A window inside one chunk reads only its samples.
    const inner = (await readPgHistory(profile, profile.state!, T0 + 10 * STEP, T0 + 20 * STEP)).ranges.get('error_rate')!.get('canary')!.series[0]!.points;
    expect(inner.map((p) => p.t)).toEqual(Array.from({ length: 11 }, (_, i) => T0 + (10 + i) * STEP));
  });

  it("prunes what is older than the retention and leaves another rollout's rows alone", async () => {
    const table = `hist_${++tables}`;
    const profile = profileOn(table);
    const other = profileOn(table, 'payments');
    const day = 86_400_000;
    const { history } = writer(profile, { retentionMs: 2 * day });
    const { history: theirs } = writer(other, { retentionMs: 2 * day });
    // Five days, one sample an hour, and an error each day.
    for (let h = 0; h < 5 * 24; h++) {
      for (const w of [history, theirs]) w.samples('error_rate', 'canary', one(T0 + h * 3_600_000, h));
      if (h % 24 === 0) history.error('error_rate', 'canary', 'timeout', T0 + h * 3_600_000);
    }
    await Promise.all([history.flush(), theirs.flush()]);
    const now = T0 + 5 * day;
    const gone = await history.prune(now);
    expect(gone).toBeGreaterThan(0);
    const mine = (await readPgHistory(profile, profile.state!, 0, now)).ranges.get('error_rate')!.get('canary')!;
    expect(mine.series[0]!.points[0]!.t).toBeGreaterThanOrEqual(now - 2 * day);
    expect(mine.series[0]!.points.at(-1)!.t).toBe(T0 + 119 * 3_600_000);
    expect(mine.events.every((e) => e.at >= now - 2 * day)).toBe(true);
    expect(mine.events).toHaveLength(2);
    const theirPoints = (await readPgHistory(other, other.state!, 0, now)).ranges.get('error_rate')!.get('canary')!.series[0]!.points;
    expect(theirPoints).toHaveLength(5 * 24);
    await Promise.all([history.close(), theirs.close()]);
  });

  it('stops storing when the rollout passes its size bound, says so once, and stores again after pruning frees room', async () => {
    const profile = profileOn(`hist_${++tables}`);
    const { history, problems } = writer(profile, { maxBytes: 3_000, retentionMs: 3_600_000 });
    for (let i = 0; i < 400; i++) history.samples('error_rate', 'canary', one(T0 + i * 1_000, i / 1000));
    await history.flush();
    // Measured at the next write's start (and after each prune): over the bound now.
    await history.prune(T0);
    history.samples('error_rate', 'canary', one(T0 + 500_000, 1));
    await history.flush();
    expect(problems).toEqual([expect.stringMatching(/^history on hist_\d+_history_\* is full \(\d+ KiB of at most 3 KiB for this rollout\): samples are not stored until the retention frees room; judging goes on$/)]);
    const before = await readPgHistory(profile, profile.state!, 0, T0 + 10_000_000);
    expect(before.ranges.get('error_rate')!.get('canary')!.series[0]!.points.at(-1)!.t).toBe(T0 + 399_000);
    // An hour later everything stored is past the retention: pruned, there is room again.
    await history.prune(T0 + 2 * 3_600_000);
    expect(problems.at(-1)).toBeUndefined();
    history.samples('error_rate', 'canary', one(T0 + 2 * 3_600_000, 0.5));
    await history.flush();
    const after = await readPgHistory(profile, profile.state!, 0, T0 + 10_000_000);
    expect(after.ranges.get('error_rate')!.get('canary')!.series[0]!.points).toEqual([{ t: T0 + 2 * 3_600_000, v: 0.5 }]);
    await history.close();
  });

  it('loads the stored samples into a series store for a profile whose state is shared, and says why when it cannot', async () => {
    const profile = profileOn(`hist_${++tables}`);
    const none = await loadStoredHistory(profile, '/nonexistent', new SeriesStore(profile), 0, T0);
    expect(none).toBeUndefined();
    const { history } = writer(profile);
    const now = Date.now();
    for (let i = 0; i < 5; i++) history.samples('error_rate', 'canary', one(now - (5 - i) * 1_000, 0.05));
    await history.close();
    const series = new SeriesStore(profile);
    expect(await loadStoredHistory(profile, '/nonexistent', series, now - 60_000, now)).toEqual({ points: 5 });
    expect(series.snapshot().error_rate!.groups[0]!.canary.length).toBe(5);
    const url = new URL(db.url);
    url.port = '1';
    const away = parseProfile(
      `
name: checkout
sources: { svc: { type: http, url: "http://127.0.0.1:9" } }
metrics: { error_rate: { source: svc, path: /stats, query: $.error_rate, unit: ratio } }
phases: [{ name: canary, traffic: 10 }]
state: { store: postgres, url: "\${DB}", timeout: 1s }
`,
      'shared.yaml',
      { env: { DB: url.toString() } },
    ).profile;
    const failed = await loadStoredHistory(away, '/nonexistent', new SeriesStore(away), 0, now);
    expect(failed?.points).toBe(0);
    expect(failed?.problem).toMatch(/^cannot read the history on postgres:\/\/127\.0\.0\.1:1\/postgres \(tables rollcall_state_history_\*\): .*; judged without it$/);
    expect(failed?.problem).not.toContain(url.password);
  });

  it('reads rows another process wrote as hostile: a chunk that does not decode is skipped and said, labels and reasons escaped, an unknown error kind dropped', async () => {
    const table = `hist_${++tables}`;
    const profile = profileOn(table);
    const { history } = writer(profile);
    history.samples('error_rate', 'canary', new Map([['\u001b]0;owned\u0007', [{ t: T0, v: 0.25 }]]]));
    history.error('error_rate', 'canary', 'bad\u001b[2J', T0);
    await history.close();
    const id = (await admin.query(`SELECT id FROM ${table}_history_series WHERE grp <> '' LIMIT 1`)).rows[0].id as number;
    await admin.query(`INSERT INTO ${table}_history_chunk (series, start, "end", n, data) VALUES ($1, $2, $3, 1, '\\xff'::bytea)`, [id, T0 - 60_000, T0 - 30_000]);
    await admin.query(`UPDATE ${table}_history_event SET errkind = 'rm -rf'`);
    const read = await readPgHistory(profile, profile.state!, T0 - 120_000, T0);
    expect(read.problem).toMatch(/^history on postgres:\/\/127\.0\.0\.1:\d+\/postgres \(tables hist_\d+_history_\*\): 1 stored chunk could not be read and was skipped$/);
    const range = read.ranges.get('error_rate')!.get('canary')!;
    expect(range.series).toEqual([{ group: '\\x1b]0;owned\\x07', points: [{ t: T0, v: 0.25 }] }]);
    expect(range.events).toEqual([{ at: T0, kind: 'error', reason: 'bad\\x1b[2J' }]);
  });

  it("keeps its four tables apart when the state table's name is near PostgreSQL's 63-byte limit", async () => {
    const long = `h${++tables}_${'x'.repeat(58)}`.slice(0, 60);
    const profile = profileOn(long);
    const { history, problems } = writer(profile);
    history.samples('error_rate', 'canary', one(T0, 0.5));
    history.error('error_rate', 'canary', 'HTTP 503', T0);
    await history.close();
    expect(problems).toEqual([]);
    const made = (await admin.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE $1 ORDER BY 1`, [`${long.slice(0, 20)}%`])).rows.map((r) => r.tablename as string);
    expect(made).toHaveLength(4);
    expect(made.every((name) => name.length <= 63)).toBe(true);
    expect(made.map((name) => name.replace(/^.*_history_/, '')).sort()).toEqual(['chunk', 'event', 'recent', 'series']);
    const read = (await readPgHistory(profile, profile.state!, T0, T0)).ranges.get('error_rate')!.get('canary')!;
    expect(read.series[0]!.points).toEqual([{ t: T0, v: 0.5 }]);
    expect(read.events).toEqual([{ at: T0, kind: 'error', reason: 'HTTP 503' }]);
  });

  it('keeps samples while PostgreSQL restarts, says so once, and stores every one of them when it is back', async (ctx) => {
    if (!db.outage) ctx.skip();
    const profile = profileOn(`hist_${++tables}`);
    const { history, problems } = writer(profile, { batchMs: 50 });
    await history.start();
    history.samples('error_rate', 'canary', one(T0, 0));
    await history.flush();
    await admin.end().catch(() => undefined);
    await db.outage!.down();
    try {
      for (let i = 1; i <= 20; i++) {
        history.samples('error_rate', 'canary', one(T0 + i * STEP, i / 100));
        await history.flush();
      }
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^history on hist_\d+_history_\*: writing failed \(.*\); samples wait \(at most 100000 kept\) and are stored once it works; judging goes on$/);
    } finally {
      await db.outage!.up();
      admin = new pg.Client({ connectionString: db.url });
      admin.on('error', () => undefined);
      await admin.connect();
    }
    const deadline = Date.now() + 15_000;
    while (problems.at(-1) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(problems.at(-1)).toBeUndefined();
    const points = (await readPgHistory(profile, profile.state!, T0, T0 + 20 * STEP)).ranges.get('error_rate')!.get('canary')!.series[0]!.points;
    expect(points.map((p) => p.t)).toEqual(Array.from({ length: 21 }, (_, i) => T0 + i * STEP));
    await history.close();
  }, 60_000);
});
