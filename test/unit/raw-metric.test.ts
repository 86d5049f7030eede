// A raw metric (profile `raw:`): its rows are summarised into the value shown, and a baseline
// comparison marked significant fires only when the value is beyond the threshold and the rows
// differ beyond chance (Mann–Whitney, alpha spent over the looks). Misuse is a profile error at
// its line and column. Rollouts run on a virtual clock through evaluate itself.

import { describe, expect, it } from 'vitest';
import { checkProfileText } from '../../src/profile/load.js';
import { evidenceText } from '../../src/engine/evidence.js';
import { RawSampleStore, statistic, summarized } from '../../src/engine/raw-samples.js';
import { spentAlpha } from '../../src/engine/raw-test.js';
import { hodgesLehmann } from '../../src/engine/statistics.js';
import { MINUTE, rawProfile, rng, runRaw, T0 } from '../support/raw-rollout.js';

const RULE = '{ metric: latency, rollback: "> 1.2x baseline significant", minSamples: 50 }';

describe('a raw metric judged on its rows', () => {
  it('rolls back a canary whose latencies are shifted, saying the statistic, p and n', () => {
    const run = runRaw(rawProfile(RULE), rng(1), { perMinute: 40, median: 420 }, { perMinute: 200, median: 300 }, 30);
    const last = run.snapshots.at(-1)!;
    expect(last.decision).toBe('ROLLBACK');
    const m = last.metrics[0]!;
    expect(m.state).toBe('breach');
    expect(m.reason).toMatch(/^latency p95 \d+ms vs \d+ms \(p < 0\.001, n = [\d,]+\): > 1\.2x baseline significant \(rollback\)$/);
    expect(m.significance).toMatchObject({ method: 'Mann-Whitney', significant: true, rows: { statistic: 'p95' } });
    // The Hodges–Lehmann shift of lognormals with medians 420 and 300 is about 120 ms.
    expect(m.significance!.effect).toBeGreaterThan(90);
    expect(m.significance!.effect).toBeLessThan(150);
    expect(m.significance!.rows!.medianRatio).toBeCloseTo(1.4, 1);
    expect(evidenceText(m)).toMatch(
      /^n = [\d,]+ rows \(minimum 50\); > 1\.2x baseline significant: p95 \d+ms vs \d+ms, shift \+\d+ms \(Hodges-Lehmann\), medians ×1\.\d\d, p < 0\.001 \(Mann-Whitney, alpha spent over \d+ looks; n = [\d,]+ vs [\d,]+\), significant at 95%$/,
    );
  });

  it('does not roll back a canary with the same distribution as its baseline', () => {
    const run = runRaw(rawProfile(RULE), rng(2), { perMinute: 40, median: 300 }, { perMinute: 200, median: 300 }, 60);
    expect(run.snapshots.some((s) => s.decision === 'ROLLBACK')).toBe(false);
  });

  it('holds on too few rows instead of judging them, and says how many it has', () => {
    const run = runRaw(rawProfile(RULE), rng(3), { perMinute: 2, median: 300 }, { perMinute: 200, median: 300 }, 10);
    const first = run.snapshots[0]!;
    expect(first.decision).toBe('HOLD');
    expect(first.metrics[0]).toMatchObject({ state: 'insufficient', samples: { n: 2, min: 50, name: 'rows' } });
    expect(first.metrics[0]!.reason).toBe('latency not enough data yet: 2/50 rows');
  });

  it('rolls back on few rows when the shift is so large that it is significant anyway', () => {
    const run = runRaw(rawProfile(RULE), rng(3), { perMinute: 3, median: 1500 }, { perMinute: 200, median: 300 }, 1);
    expect(run.snapshots[0]!.decision).toBe('ROLLBACK');
    expect(run.snapshots[0]!.metrics[0]!.reason).toMatch(/^latency p95 [\d.]+s vs \d+ms \(p = 0\.0\d+, n = 3\): > 1\.2x baseline significant \(rollback\)$/);
  });

  it('holds a breach of the threshold that is not yet beyond chance', () => {
    // Few rows, a modest shift: p95 over the threshold by chance as much as by the shift.
    const run = runRaw(rawProfile('{ metric: latency, rollback: "> 1.05x baseline significant" }'), rng(1), { perMinute: 3, median: 360 }, { perMinute: 3, median: 300 }, 6);
    const unsure = run.snapshots.find((s) => s.metrics[0]!.state === 'insufficient');
    expect(unsure?.decision).toBe('HOLD');
    expect(unsure?.metrics[0]!.reason).toMatch(/not yet significant: p95 \d+ms vs \d+ms \(p = [\d.]+, n = \d+\)$/);
  });

  it('is not fooled by a p95 over the threshold when the rows are alike: the test must agree', () => {
    // Tiny windows make the p95 jump about; the rows are the same distribution.
    const run = runRaw(rawProfile('{ metric: latency, rollback: "> 1.2x baseline significant" }'), rng(5), { perMinute: 4, median: 300 }, { perMinute: 4, median: 300 }, 60);
    const beyond = run.snapshots.filter((s) => s.metrics[0]!.value! > 1.2 * s.metrics[0]!.baseline!);
    expect(beyond.length).toBeGreaterThan(0);
    expect(run.snapshots.some((s) => s.decision === 'ROLLBACK')).toBe(false);
  });
});

describe('the rows behind a raw metric', () => {
  it('are summarised as PERCENTILE_CONT does: linear between the two nearest ranks', () => {
    const rows = Float64Array.from([10, 20, 30, 40, 50]);
    expect(statistic(rows, { quantile: 0.95 })).toBeCloseTo(48, 9);
    expect(statistic(rows, { quantile: 0.5 })).toBe(30);
    expect(statistic(rows, {})).toBe(30);
    const set = summarized({ series: [{ labels: { path: 'simple' }, points: [], rows }] }, { statistic: 'p95', quantile: 0.95, maxRows: 10 }, T0);
    expect(set.series[0]!.points).toEqual([{ t: T0, v: 48, n: 5 }]);
  });

  it('are kept one window at a time, so no row is tested twice', () => {
    const profile = rawProfile(RULE);
    const store = new RawSampleStore(profile);
    for (let minute = 0; minute <= 12; minute++) {
      const t = T0 + minute * MINUTE;
      store.put('latency', 'canary', { t, at: t, rows: Float64Array.of(minute) });
    }
    expect(store.windows('latency')!.canary.map((w) => w.rows[0])).toEqual([0, 5, 10]);
  });

  it('make a look once the baseline has answered for the same time, whichever answered first, and never change it after', () => {
    const profile = rawProfile(RULE);
    const store = new RawSampleStore(profile);
    const put = (track: 'canary' | 'baseline', minute: number) =>
      store.put('latency', track, { t: T0 + minute * MINUTE, at: T0 + minute * MINUTE, rows: Float64Array.of(minute) });
    const closed = (i: number) => store.windows('latency')!.canary[i]!.closed;
    const baselineKept = () => store.windows('latency')!.baseline.map((w) => w.rows[0]);
    put('baseline', 0);
    put('canary', 0.5);
    // The baseline answered within the last interval (1m): that answer is the canary's baseline.
    expect(closed(0)).toEqual({ at: T0 + 0.5 * MINUTE, seq: 2 });
    put('canary', 6);
    // The latest baseline answer is 6 minutes old: the look waits for the next one.
    expect(closed(1)).toBeUndefined();
    put('baseline', 6.5);
    expect(closed(1)).toEqual({ at: T0 + 6.5 * MINUTE, seq: 4 });
    put('baseline', 7.5);
    expect(closed(1)).toEqual({ at: T0 + 6.5 * MINUTE, seq: 4 });
    put('baseline', 10.8);
    put('canary', 11.2);
    // 10.8 would overlap the baseline window kept at 6.5 (5-minute windows): the next answer is taken.
    expect(closed(2)).toBeUndefined();
    put('baseline', 11.8);
    expect(closed(2)).toEqual({ at: T0 + 11.8 * MINUTE, seq: 6 });
    expect(baselineKept()).toEqual([0, 6.5, 11.8]);
  });

  it('spend alpha over the looks so that all looks together spend at most alpha', () => {
    let total = 0;
    for (let k = 1; k <= 100_000; k++) total += spentAlpha(0.05, k);
    expect(total).toBeLessThanOrEqual(0.05);
    expect(total).toBeGreaterThan(0.0499);
    expect(spentAlpha(0.05, 1)).toBe(0.025);
  });

  it('give the exact Hodges–Lehmann shift, the median of every difference, on random samples', () => {
    const random = rng(9);
    for (let trial = 0; trial < 50; trial++) {
      const a = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Math.round(random() * 100));
      const b = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Math.round(random() * 100) / 4);
      const diffs = a.flatMap((x) => b.map((y) => x - y)).sort((x, y) => x - y);
      const mid = diffs.length >> 1;
      const median = diffs.length % 2 === 1 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
      expect(hodgesLehmann(a, b)).toBeCloseTo(median, 9);
    }
  });
});

describe('raw: in a profile', () => {
  const load = (metric: string, rule = '') =>
    checkProfileText(
      `name: x
sources:
  db: { type: postgres, url: "postgres://u@127.0.0.1/t" }
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
${metric}
${rule ? `rules:\n  - ${rule}\n` : ''}phases: [{ name: a, traffic: 5 }]
`,
      'p.yaml',
      { env: {} },
    ).issues.map((i) => `${i.line}:${i.col} ${i.message}`);

  it('on a source that is not SQL is an error at raw:', () => {
    expect(load('  l: { source: prom, query: up, raw: p95 }')).toContainEqual(expect.stringMatching(/^6:\d+ raw: reads one row per observation from SQL; source prom is prometheus/));
  });

  it('without the window bounds in its query is an error at the query', () => {
    expect(load('  l: { source: db, query: "SELECT latency_ms AS value FROM t", raw: p95 }')).toContainEqual(
      expect.stringMatching(/^6:\d+ a raw query must keep to the window: bound its rows with \$1/),
    );
  });

  it('with samples: of its own is an error at samples:', () => {
    expect(load('  l: { source: db, query: "SELECT v AS value FROM t WHERE at >= $1", raw: p95, samples: n }')).toContainEqual(
      expect.stringMatching(/^6:\d+ a raw metric counts its rows/),
    );
  });

  it('with split: is an error at split:, since canary and baseline are one distribution each', () => {
    expect(load('  l: { source: db, query: "SELECT v AS value, path FROM t WHERE at >= $1", raw: p95, split: path }')).toContainEqual(
      expect.stringMatching(/^6:\d+ a raw metric is judged as one distribution .* split: is not supported with raw:/),
    );
  });

  it('with a statistic it does not know is an error naming the ones it does', () => {
    expect(load('  l: { source: db, query: "SELECT v AS value FROM t WHERE at >= $1", raw: average }')).toContainEqual(
      expect.stringMatching(/^6:\d+ .*median, mean or a percentile such as p95/),
    );
  });

  it('asked for significance against a literal is an error: rows are tested against the baseline rows', () => {
    expect(
      load('  l: { source: db, query: "SELECT v AS value FROM t WHERE at >= $1", raw: p95, unit: milliseconds }', '{ metric: l, rollback: "> 300ms significant" }'),
    ).toContainEqual(expect.stringMatching(/^8:\d+ "> 300ms significant": a raw metric tests its rows against the baseline's rows/));
  });

  it('with a baseline query and a significant baseline comparison is clean', () => {
    expect(
      load(
        `  l:
    source: db
    unit: milliseconds
    raw: { value: median, maxRows: 50000, name: requests }
    query: "SELECT v AS value FROM t WHERE g = 'new' AND at >= $1 AND at < $2"
    baseline: { query: "SELECT v AS value FROM t WHERE g = 'old' AND at >= $1 AND at < $2" }`,
        '{ metric: l, rollback: "> 1.2x baseline significant", minSamples: 200 }',
      ),
    ).toEqual([]);
  });
});
