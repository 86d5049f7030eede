import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePoints, encodePoints } from '../../src/actions/history-codec.js';
import { CHUNK_POINTS, historyPath, openSqliteHistory } from '../../src/actions/history-sqlite.js';
import { defaultRetentionMs } from '../../src/engine/history.js';
import type { Point } from '../../src/engine/types.js';
import { testMetric, testProfile } from '../support/metric.js';

const T0 = Date.UTC(2026, 0, 1);
const STEP = 15_000;
const profile = testProfile([testMetric({ id: 'error_rate', query: 'q' }), testMetric({ id: 'p95', query: 'q2' })], { name: 'checkout-v2' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function points(n: number, from = T0, value = (i: number) => 0.01 + i / 7919): Point[] {
  return Array.from({ length: n }, (_, i) => ({ t: from + i * STEP, v: value(i) }));
}

describe('the packed form of samples', () => {
  it('gives back every finite value exactly, at its exact time', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3_600_000 }), fc.double({ noNaN: true })), { maxLength: 300 }), (steps) => {
        let t = T0;
        const pts = steps.map(([dt, v]) => ({ t: (t += dt), v }));
        const back = decodePoints(T0, encodePoints(T0, pts));
        expect(back).toHaveLength(pts.length);
        back.forEach((p, i) => {
          expect(p.t).toBe(pts[i]!.t);
          expect(Object.is(p.v, pts[i]!.v)).toBe(true);
        });
      }),
    );
  });

  it('costs about 11 bytes for a ratio sample and less for counters and repeats', () => {
    const ratios = encodePoints(T0, points(240));
    const counters = encodePoints(T0, points(240, T0, (i) => 1000 + i * 3));
    const flat = encodePoints(T0, points(240, T0, () => 0.5));
    expect(ratios.length / 240).toBeLessThanOrEqual(11);
    expect(counters.length / 240).toBeLessThanOrEqual(6);
    expect(flat.length / 240).toBeLessThanOrEqual(3.1);
  });

  it('refuses packed samples cut in the middle of a value', () => {
    const data = encodePoints(T0, points(3));
    expect(() => decodePoints(T0, data.slice(0, data.length - 2))).toThrow(/end in the middle/);
  });
});

describe('the SQLite history', () => {
  it('reads back the samples of a range, per group, across packed chunks and recent rows', async () => {
    const history = openSqliteHistory(profile, dir);
    const all = points(CHUNK_POINTS * 2 + 17);
    // One poll round at a time, as the poller writes them.
    for (const p of all) {
      history.samples('error_rate', 'canary', new Map([['', [p]], ['eu', [{ t: p.t, v: p.v * 2 }]]]));
      history.flush();
    }
    history.samples('error_rate', 'baseline', new Map([['', [{ t: T0, v: 9 }]]]));
    const from = all[100]!.t;
    const to = all[CHUNK_POINTS + 200]!.t;
    const range = history.read('error_rate', 'canary', from, to);
    const plain = range.series.find((s) => s.group === '')!;
    const eu = range.series.find((s) => s.group === 'eu')!;
    expect(plain.points).toEqual(all.slice(100, CHUNK_POINTS + 201));
    expect(eu.points.map((p) => p.v)).toEqual(all.slice(100, CHUNK_POINTS + 201).map((p) => p.v * 2));
    expect(history.read('error_rate', 'baseline', T0, T0).series).toEqual([{ group: '', points: [{ t: T0, v: 9 }] }]);
    expect(history.read('p95', 'canary', T0, to).series).toEqual([]);
    expect(history.problem).toBeUndefined();
    await history.close();
  });

  it('keeps samples across a restart and does not store a backfill re-read twice', async () => {
    const first = openSqliteHistory(profile, dir);
    const pts = points(CHUNK_POINTS + 10);
    first.samples('p95', 'canary', new Map([['', pts]]));
    await first.close();
    const second = openSqliteHistory(profile, dir);
    // The backfill after a restart answers the last hours again, with two new points at the end.
    const again = [...pts.slice(-50), ...points(2, pts[pts.length - 1]!.t + STEP, () => 7)];
    second.samples('p95', 'canary', new Map([['', again]]));
    const read = second.read('p95', 'canary', T0, T0 + 1e9).series[0]!.points;
    expect(read).toEqual([...pts, ...again.slice(-2)]);
    await second.close();
  });

  it('keeps no-data answers and errors with their reasons', async () => {
    const history = openSqliteHistory(profile, dir);
    history.noData('error_rate', 'canary', T0);
    history.error('error_rate', 'canary', 'HTTP 502 from http://sentry.local', T0 + STEP, 'http');
    history.error('p95', 'canary', 'other metric', T0 + STEP, 'timeout');
    expect(history.read('error_rate', 'canary', T0, T0 + STEP).events).toEqual([
      { at: T0, kind: 'nodata' },
      { at: T0 + STEP, kind: 'error', reason: 'HTTP 502 from http://sentry.local', errorKind: 'http' },
    ]);
    await history.close();
  });

  it('prunes what is older than the retention and keeps the rest', async () => {
    const history = openSqliteHistory(profile, dir, { retentionMs: 3_600_000 });
    const pts = points(CHUNK_POINTS * 3);
    history.samples('error_rate', 'canary', new Map([['', pts]]));
    history.error('error_rate', 'canary', 'old', T0, 'http');
    const now = pts[pts.length - 1]!.t;
    expect(history.prune(now)).toBeGreaterThan(0);
    const left = history.read('error_rate', 'canary', T0, now);
    expect(left.events).toEqual([]);
    const kept = left.series[0]!.points;
    expect(kept[0]!.t).toBeGreaterThanOrEqual(now - 3_600_000 - CHUNK_POINTS * STEP);
    expect(kept[kept.length - 1]).toEqual(pts[pts.length - 1]);
    expect(history.description).toMatch(/keeps 1h, at most 1 GiB/);
    await history.close();
  });

  it('keeps by default the longest phase plus a week', () => {
    const phased = { ...profile, phases: [{ durationMs: 48 * 3_600_000 }, { durationMs: 72 * 3_600_000 }] } as unknown as typeof profile;
    expect(defaultRetentionMs(phased)).toBe(72 * 3_600_000 + 7 * 86_400_000);
  });

  it('sets a corrupt file aside with a clear message and goes on storing in a new one', async () => {
    const file = historyPath(profile, dir);
    writeFileSync(file, 'this is not a database, it is a disk block full of garbage '.repeat(200));
    const problems: (string | undefined)[] = [];
    const history = openSqliteHistory(profile, dir, { onProblem: (p) => problems.push(p) });
    expect(problems[0]).toMatch(new RegExp(`history ${file} is corrupt \\(file is not a database\\): kept as ${file}\\.corrupt-\\d{8}T\\d{6}Z; a new history starts now; judging goes on`));
    expect(readdirSync(dir).some((f) => f.includes('.corrupt-'))).toBe(true);
    history.samples('error_rate', 'canary', new Map([['', points(3)]]));
    expect(history.read('error_rate', 'canary', T0, T0 + 1e6).series[0]!.points).toEqual(points(3));
    expect(existsSync(file)).toBe(true);
    await history.close();
  });

  it('says a full store is full and neither throws nor stops taking samples', async () => {
    const problems: (string | undefined)[] = [];
    const history = openSqliteHistory(profile, dir, { maxBytes: 64 * 1024, onProblem: (p) => problems.push(p) });
    for (let round = 0; round < 200; round++) {
      expect(() => history.samples('error_rate', 'canary', new Map([[`g${round}`, points(CHUNK_POINTS)]]))).not.toThrow();
      history.flush();
    }
    expect(history.problem).toMatch(/is full \(at most 64 KiB, or the disk is\): samples are not stored; judging goes on/);
    expect(problems.filter((p) => p !== undefined)).toHaveLength(1);
    await history.close();
  });
});
