// evaluate() against the seeds' own thresholds, on a virtual clock: every rule form, every metric
// state and its transitions, the phase gates and the decision with its reasons.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/profile/load.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { nextCheckin } from '../../src/engine/phases.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { SeriesStore } from '../../src/engine/series.js';
import { initialState, type RolloutState } from '../../src/engine/state.js';
import type { MetricSeries, Point, Snapshot } from '../../src/engine/types.js';
import type { Profile } from '../../src/profile/types.js';
import { SampleView } from '../../src/engine/sample-view.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const S = 1_000;
const M = 60_000;
const H = 3_600_000;

function profile(yaml: string): Profile {
  return parseProfile(yaml, 'test.yaml', { env: {} }).profile;
}

const SOURCES = `
sources:
  db: { type: postgres, url: "postgres://localhost/telemetry" }
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
`;

/** Samples every `stepMs` over [from, to] (offsets from T0), valued by `value(offset)`. */
function samples(from: number, to: number, stepMs: number, value: (offset: number) => number): Point[] {
  const out: Point[] = [];
  for (let o = from; o <= to; o += stepMs) out.push({ t: T0 + o, v: value(o) });
  return out;
}

function series(canary: Point[], extra: Partial<MetricSeries> = {}, baseline: Point[] = []): MetricSeries {
  const last = canary.at(-1)?.t;
  return {
    groups: canary.length > 0 || baseline.length > 0 ? [{ key: '', canary: SampleView.of(canary), baseline: SampleView.of(baseline) }] : [],
    consecutiveErrors: 0,
    consecutiveNoData: 0,
    ...(last !== undefined ? { lastPollAt: last, lastGoodAt: last } : {}),
    ...extra,
  };
}

function state(p: Profile, overrides: Partial<RolloutState> = {}): RolloutState {
  return { ...initialState(p.name, T0), ...overrides };
}

function metric(snapshot: Snapshot, id: string) {
  const m = snapshot.metrics.find((x) => x.id === id);
  if (!m) throw new Error(`no metric ${id}`);
  return m;
}

// ── seed 004: parse success < 96% for 5 minutes; median latency > 2500ms for 10 minutes ──────

const seed004 = profile(`
name: simple-prompt
${SOURCES}
metrics:
  parse_success: { source: db, query: "select 1", unit: ratio, interval: 30s }
  median_latency: { source: db, query: "select 2", unit: milliseconds, interval: 30s }
rules:
  - { metric: parse_success, warn: "< 96%", rollback: "< 95%", for: 5m }
  - { metric: median_latency, warn: "> 2500ms", rollback: "> 3000ms", for: 10m }
phases:
  - { name: canary-5, traffic: 5, duration: 24h }
`);

describe('a threshold that must hold for a while (seed 004)', () => {
  const healthyLatency = series(samples(0, 60 * M, 30 * S, () => 1800));
  const at = (parse: (o: number) => number, now = 60 * M) =>
    evaluate(
      seed004,
      state(seed004),
      { parse_success: series(samples(0, now, 30 * S, parse)), median_latency: healthyLatency },
      T0 + now,
    );

  it.each([
    { story: 'steady at 98% is ok', parse: () => 0.98, state: 'ok', decision: 'SOAK' },
    {
      story: 'below 96% for the last 3 minutes is pending, with 2 minutes to go',
      parse: (o: number) => (o > 57 * M ? 0.955 : 0.98),
      state: 'pending',
      decision: 'HOLD',
      reason: 'parse_success 95.5% < 96% for 2m30s (warn in 2m30s)',
    },
    {
      story: 'below 96% for 5 minutes is a warning',
      parse: (o: number) => (o >= 55 * M ? 0.955 : 0.98),
      state: 'warn',
      decision: 'HOLD',
      reason: 'parse_success 95.5% < 96% for 5m (warn)',
    },
    {
      story: 'below 95% for 5 minutes rolls back',
      parse: (o: number) => (o >= 55 * M ? 0.93 : 0.98),
      state: 'breach',
      decision: 'ROLLBACK',
      reason: 'parse_success 93% < 95% for 5m (rollback)',
    },
    {
      story: 'one good sample resets the wait: below 96% again for only 1 minute is pending',
      parse: (o: number) => (o === 59 * M ? 0.99 : o >= 50 * M ? 0.93 : 0.98),
      state: 'pending',
      decision: 'HOLD',
      reason: 'parse_success 93% < 95% for 30s (rollback in 4m30s)',
    },
    {
      story: 'a recovery after a breach is ok again at once',
      parse: (o: number) => (o >= 50 * M && o < 60 * M ? 0.93 : 0.98),
      state: 'ok',
      decision: 'SOAK',
    },
  ])('$story', ({ parse, state: expected, decision, reason }) => {
    const snap = at(parse);
    const m = metric(snap, 'parse_success');
    expect(m.state).toBe(expected);
    expect(snap.decision).toBe(decision);
    if (reason) {
      expect(m.reason).toBe(reason);
      expect(snap.reasons[0]).toBe(reason);
    }
  });

  it('says how long a pending rule has to go and when it began', () => {
    const m = metric(at((o) => (o > 57 * M ? 0.955 : 0.98)), 'parse_success');
    expect(m.pending).toEqual({ since: T0 + 57 * M + 30 * S, forMs: 5 * M, remainingMs: 2 * M + 30 * S });
    expect(m.since).toBe(T0 + 57 * M + 30 * S);
  });

  it('dates a firing rule from the sample on which its `for` was served', () => {
    const m = metric(at((o) => (o >= 52 * M ? 0.93 : 0.98)), 'parse_success');
    expect(m.state).toBe('breach');
    expect(m.since).toBe(T0 + 57 * M);
    expect(m.reason).toBe('parse_success 93% < 95% for 8m (rollback)');
  });

  it('warns on median latency above 2500ms only after 10 minutes', () => {
    const parse = series(samples(0, 60 * M, 30 * S, () => 0.99));
    const judge = (since: number) =>
      metric(
        evaluate(seed004, state(seed004), {
          parse_success: parse,
          median_latency: series(samples(0, 60 * M, 30 * S, (o) => (o >= since ? 2_600 : 1_900))),
        }, T0 + 60 * M),
        'median_latency',
      );
    expect(judge(51 * M).state).toBe('pending');
    expect(judge(50 * M).state).toBe('warn');
    expect(judge(50 * M).reason).toBe('median_latency 2.6s > 2500ms for 10m (warn)');
  });

  it('ignores samples later than the moment judged', () => {
    const points = samples(0, 60 * M, 30 * S, (o) => (o > 40 * M ? 0.9 : 0.98));
    const snap = evaluate(seed004, state(seed004), { parse_success: series(points), median_latency: healthyLatency }, T0 + 40 * M);
    expect(metric(snap, 'parse_success').state).toBe('ok');
    expect(metric(snap, 'parse_success').value).toBe(0.98);
  });

  it('does not count a condition as held across a blackout in the samples', () => {
    // Bad before and after a 10-minute gap: the `for` starts again after the gap.
    const points = [
      ...samples(0, 45 * M, 30 * S, (o) => (o >= 40 * M ? 0.93 : 0.98)),
      ...samples(55 * M, 57 * M, 30 * S, () => 0.93),
    ];
    const snap = evaluate(seed004, state(seed004), { parse_success: series(points), median_latency: healthyLatency }, T0 + 57 * M);
    expect(metric(snap, 'parse_success').state).toBe('pending');
  });
});

// ── seed 003: "> 5 P1 errors in 1h" and memory "< 15% increase" ──────────────────────────────

const seed003 = profile(`
name: admin-workbench
${SOURCES}
metrics:
  p1_errors: { source: prom, query: "sum(sentry_p1_errors_total)", unit: count, interval: 1m }
  memory: { source: prom, query: "sum(process_resident_memory_bytes)", unit: bytes, interval: 1m }
rules:
  - { metric: p1_errors, rollback: "> 5 in 1h" }
  - { metric: memory, warn: "> +15% start", rollback: "> +50% start" }
phases:
  - { name: canary, traffic: 10, duration: 48h }
  - { name: ramp-25, traffic: 25, duration: 24h }
`);

describe('counts in a window and growth since the phase start (seed 003)', () => {
  const steadyMemory = series(samples(-2 * H, 3 * H, M, () => 1e9));
  const judgeCounter = (points: Point[], now = 3 * H) =>
    evaluate(seed003, state(seed003), { p1_errors: series(points), memory: steadyMemory }, T0 + now);

  it.each([
    { story: 'five errors within the hour is not more than five', errors: [10, 20, 30, 40, 50], state: 'ok' },
    { story: 'six errors within the hour rolls back', errors: [10, 20, 30, 40, 50, 59], state: 'breach' },
    { story: 'errors older than the hour no longer count', errors: [70, 80, 90, 100, 110, 170], state: 'ok' },
  ])('$story', ({ errors, state: expected }) => {
    // A counter over 3 hours; each listed minute (before now − 1h … now) adds one error.
    const base = 2 * H;
    const points = samples(0, 3 * H, M, (o) => 100 + errors.filter((minute) => base + minute * M <= o).length);
    expect(metric(judgeCounter(points), 'p1_errors').state).toBe(expected);
  });

  it('counts across a counter reset (the process restarted)', () => {
    // 100 → 103 (3 errors), restart to 0, then 3 more: 6 in the hour.
    const points = samples(0, 3 * H, M, (o) => {
      if (o < 2 * H + 10 * M) return 100;
      if (o < 2 * H + 30 * M) return 103;
      if (o < 2 * H + 31 * M) return 0;
      return 3;
    });
    const m = metric(judgeCounter(points), 'p1_errors');
    expect(m.state).toBe('breach');
    expect(m.reason).toBe('p1_errors 6 > 5 in 1h (rollback)');
  });

  it('compares memory with its value when the phase started, not before', () => {
    // 0.8GB before the phase, 1GB at its start, 1.2GB now: +20% since the start (warn), not +50%.
    const memory = series(samples(-2 * H, 3 * H, M, (o) => (o < 0 ? 0.8e9 : o < 2 * H ? 1e9 : 1.2e9)));
    const points = samples(0, 3 * H, M, () => 100);
    const snap = evaluate(seed003, state(seed003), { p1_errors: series(points), memory }, T0 + 3 * H);
    const m = metric(snap, 'memory');
    expect(m.state).toBe('warn');
    expect(m.baseline).toBe(1e9);
    expect(m.delta?.rel).toBeCloseTo(0.2);
    expect(m.reason).toBe('memory 1.2GB > +15% start (1.15GB) (warn)');
  });

  it('keeps memory 10% above its start ok', () => {
    const memory = series(samples(0, 3 * H, M, (o) => (o < H ? 1e9 : 1.1e9)));
    const snap = evaluate(seed003, state(seed003), { p1_errors: series(samples(0, 3 * H, M, () => 0)), memory }, T0 + 3 * H);
    expect(metric(snap, 'memory').state).toBe('ok');
  });

  it('measures growth from the start of the current phase after a promote', () => {
    const memory = series(samples(0, 3 * H, M, (o) => (o < 2 * H ? 1e9 : 1.2e9)));
    const moved = state(seed003, { phase: 1, phaseStartedAt: T0 + 2 * H });
    const snap = evaluate(seed003, moved, { p1_errors: series(samples(0, 3 * H, M, () => 0)), memory }, T0 + 3 * H);
    expect(metric(snap, 'memory').state).toBe('ok');
    expect(metric(snap, 'memory').baseline).toBe(1.2e9);
  });
});

// ── seed 000: response time > 2x legacy ──────────────────────────────────────────────────────

const seed000 = profile(`
name: phoenix
${SOURCES}
metrics:
  response_time:
    source: db
    query: "select avg(response_time_ms) from pipeline_usage_logs where pipeline_type = 'phoenix'"
    unit: milliseconds
    interval: 1m
    baseline: { query: "select avg(response_time_ms) from pipeline_usage_logs where pipeline_type = 'legacy'" }
rules:
  - { metric: response_time, warn: "> +50% baseline", rollback: "> 2x baseline" }
phases:
  - { name: internal, traffic: 5, duration: 1w }
`);

describe('a canary compared with its control group (seed 000)', () => {
  const judge = (canary: (o: number) => number, legacy: Point[]) =>
    evaluate(seed000, state(seed000), { response_time: series(samples(0, H, M, canary), {}, legacy) }, T0 + H);

  it.each([
    { story: 'within 50% of legacy is ok', canary: 280, state: 'ok', decision: 'SOAK' },
    { story: 'more than 50% slower than legacy warns', canary: 320, state: 'warn', decision: 'HOLD' },
    { story: 'more than twice legacy rolls back', canary: 450, state: 'breach', decision: 'ROLLBACK' },
  ])('$story', ({ canary, state: expected, decision }) => {
    const snap = judge(() => canary, samples(0, H, M, () => 200));
    expect(metric(snap, 'response_time').state).toBe(expected);
    expect(snap.decision).toBe(decision);
  });

  it('names the baseline value in the reason', () => {
    const snap = judge(() => 450, samples(0, H, M, () => 200));
    expect(snap.reasons[0]).toBe('response_time 450ms > 2x baseline (400ms) (rollback)');
    expect(metric(snap, 'response_time')).toMatchObject({ value: 450, baseline: 200, delta: { abs: 250, rel: 1.25 } });
  });

  it('matches each canary sample with the legacy sample nearest in time', () => {
    // Legacy sampled 20s off the canary's clock, and slow itself for the last 10 minutes.
    const legacy = samples(20 * S, H + 20 * S, M, (o) => (o >= 50 * M ? 300 : 200));
    const snap = judge(() => 450, legacy);
    expect(metric(snap, 'response_time').state).toBe('ok');
    expect(metric(snap, 'response_time').baseline).toBe(300);
  });

  it('compares with an absolute margin over the baseline, and only notes an info rule', () => {
    const p = profile(`
name: phoenix
${SOURCES}
metrics:
  response_time: { source: db, query: "q", unit: milliseconds, interval: 1m, baseline: { query: "legacy" } }
rules:
  - { metric: response_time, info: "> +20ms baseline", warn: "> +100ms baseline" }
phases:
  - { name: internal, traffic: 5 }
`);
    const judge = (canary: number) =>
      evaluate(p, state(p), { response_time: series(samples(0, H, M, () => canary), {}, samples(0, H, M, () => 200)) }, T0 + H);
    expect(judge(310).reasons[0]).toBe('response_time 310ms > +100ms baseline (300ms) (warn)');
    const noted = judge(250);
    expect(noted.decision).toBe('PROMOTE');
    expect(metric(noted, 'response_time')).toMatchObject({ state: 'ok', reason: 'response_time 250ms > +20ms baseline (220ms) (info)' });
  });

  it('holds instead of judging when the legacy track has no recent value', () => {
    const legacy = samples(0, 20 * M, M, () => 200);
    const snap = judge(() => 450, legacy);
    expect(metric(snap, 'response_time').state).toBe('nodata');
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('response_time no baseline value for "> 2x baseline"');
  });
});

// ── seed 002: error rate > 2% for 5 minutes → automatic rollback ────────────────────────────

const seed002 = profile(`
name: farmers-market-caching
${SOURCES}
metrics:
  error_rate: { source: prom, query: "sum(rate(http_requests_total{status=~'5..'}[5m]))", unit: ratio, interval: 15s }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%", for: 5m, auto: true, grace: 2m }
phases:
  - { name: shadow-10, traffic: 10, duration: 48h }
  - { name: half, traffic: 50, duration: 72h }
actions:
  rollback: { run: [vercel, env, rm, PHASE_3_ROLLOUT_PERCENTAGE, production], confirm: typed }
`);

describe('automatic rollback (seed 002)', () => {
  const judge = (badFrom: number, st: RolloutState = state(seed002)) =>
    evaluate(seed002, st, { error_rate: series(samples(0, H, 15 * S, (o) => (o >= badFrom ? 0.024 : 0.002))) }, T0 + H);

  it('asks for an automatic rollback once the error rate has been above 2% for 5 minutes', () => {
    const snap = judge(55 * M);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons[0]).toBe('error_rate 2.4% > 2% for 5m (rollback)');
    expect(snap.autoRollback).toEqual({ metric: 'error_rate', text: '2.4% > 2% for 5m', firedAt: T0 + H, graceMs: 2 * M });
    expect(metric(snap, 'error_rate').firing).toEqual({ severity: 'rollback', text: '> 2%', auto: true, graceMs: 2 * M });
  });

  it('does not ask before the 5 minutes are up', () => {
    const snap = judge(56 * M);
    expect(snap.autoRollback).toBeUndefined();
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('error_rate 2.4% > 2% for 4m (rollback in 1m)');
  });

  it('reports an earlier rollback and asks for no second one, still judging the metrics', () => {
    const rolled = state(seed002, { rolledBack: { at: T0 + 30 * M, by: 'alice@bastion', phase: null, traffic: 0 } });
    const snap = judge(50 * M, rolled);
    expect(snap.rolledBack).toEqual({ at: T0 + 30 * M, traffic: 0, phase: null, by: 'alice@bastion' });
    expect(snap.autoRollback).toBeUndefined();
    expect(metric(snap, 'error_rate').state).toBe('breach');
  });
});

// ── no data, errors, staleness ───────────────────────────────────────────────────────────────

describe('no data, source errors and stale samples never pass silently', () => {
  const withPolicy = (nodata: string, extra = '') =>
    profile(`
name: p
${SOURCES}
metrics:
  p95_latency: { source: prom, query: "q", unit: seconds, interval: 15s }
rules:
  - { metric: p95_latency, warn: "> 500ms", rollback: "> 1s", nodata: ${nodata} ${extra} }
phases:
  - { name: canary, traffic: 10 }
`);
  const good = samples(0, 10 * M, 15 * S, () => 0.2);

  it.each([
    { nodata: 'ok', decision: 'PROMOTE', state: 'nodata' },
    { nodata: 'warn', decision: 'HOLD', state: 'nodata' },
    { nodata: 'breach', decision: 'ROLLBACK', state: 'nodata' },
  ])('an empty answer under `nodata: $nodata` gives $decision', ({ nodata, decision, state: expected }) => {
    const p = withPolicy(nodata);
    const snap = evaluate(p, state(p), { p95_latency: series(good, { consecutiveNoData: 3, lastPollAt: T0 + 10 * M + 45 * S }) }, T0 + 10 * M + 45 * S);
    expect(metric(snap, 'p95_latency').state).toBe(expected);
    expect(metric(snap, 'p95_latency').value).toBeUndefined();
    expect(snap.decision).toBe(decision);
    if (decision !== 'PROMOTE') expect(snap.reasons[0]).toMatch(/^p95_latency no data for 3 polls/);
  });

  it('says why there is no data when the answer gave a reason, and keeps the note on the metric', () => {
    const p = withPolicy('warn');
    const note = 'no series named p95_latency_seconds in the exposition';
    const snap = evaluate(p, state(p), { p95_latency: series(good, { consecutiveNoData: 2, lastPollAt: T0 + 10 * M + 30 * S, note }) }, T0 + 10 * M + 30 * S);
    expect(snap.reasons[0]).toBe(`p95_latency no data for 2 polls: ${note}`);
    expect(metric(snap, 'p95_latency')).toMatchObject({ state: 'nodata', note });
  });

  it('says "no data yet" before the first answer', () => {
    const p = withPolicy('warn');
    const snap = evaluate(p, state(p), {}, T0);
    expect(metric(snap, 'p95_latency').state).toBe('nodata');
    expect(snap.reasons).toEqual(['p95_latency no data yet']);
  });

  it('keeps the last judgement below the error limit and shows the error', () => {
    const p = withPolicy('warn');
    const bad = samples(0, 10 * M, 15 * S, () => 2);
    const err = { consecutiveErrors: 2, lastError: { at: T0 + 10 * M + 30 * S, reason: 'connection refused (127.0.0.1:9090)' } };
    const snap = evaluate(p, state(p), { p95_latency: series(bad, err) }, T0 + 10 * M + 30 * S);
    expect(metric(snap, 'p95_latency').state).toBe('breach');
    expect(metric(snap, 'p95_latency').error).toBe('connection refused (127.0.0.1:9090) (2 of 3)');
    expect(snap.decision).toBe('ROLLBACK');
  });

  it('turns to error at the error limit and holds, never rolling back on errors alone', () => {
    const p = withPolicy('breach');
    const err = { consecutiveErrors: 3, lastError: { at: T0 + 10 * M + 45 * S, reason: 'HTTP 503' } };
    const snap = evaluate(p, state(p), { p95_latency: series(good, err) }, T0 + 10 * M + 45 * S);
    expect(metric(snap, 'p95_latency').state).toBe('error');
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('p95_latency source failing for 3 polls: HTTP 503');
  });

  it('rolls back on errors when the rule says onError: rollback', () => {
    const p = withPolicy('warn', ', onError: rollback, errorLimit: 5');
    const err = (n: number) => ({ consecutiveErrors: n, lastError: { at: T0 + 11 * M, reason: 'HTTP 503' } });
    expect(evaluate(p, state(p), { p95_latency: series(good, err(4)) }, T0 + 10 * M + 15 * S).decision).toBe('PROMOTE');
    expect(evaluate(p, state(p), { p95_latency: series(good, err(5)) }, T0 + 10 * M + 15 * S).decision).toBe('ROLLBACK');
  });

  it('never lets a phase promote while its only metric errors', () => {
    const p = withPolicy('ok');
    const err = { consecutiveErrors: 3, lastError: { at: T0 + 11 * M, reason: 'timeout after 10s' } };
    const snap = evaluate(p, state(p), { p95_latency: series(good, err) }, T0 + 10 * M + 15 * S);
    expect(snap.decision).toBe('HOLD');
  });

  it('waits, without rolling back, when the first polls fail', () => {
    const p = withPolicy('breach');
    const err = { consecutiveErrors: 1, lastError: { at: T0, reason: 'connection refused (127.0.0.1:9090)' } };
    const snap = evaluate(p, state(p), { p95_latency: series([], err) }, T0);
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('p95_latency no data yet: connection refused (127.0.0.1:9090)');
  });

  it('marks a metric stale when its last sample is older than 3 intervals', () => {
    const p = withPolicy('warn');
    const fresh = evaluate(p, state(p), { p95_latency: series(good) }, T0 + 10 * M + 45 * S);
    expect(metric(fresh, 'p95_latency').state).toBe('ok');
    const stale = evaluate(p, state(p), { p95_latency: series(good) }, T0 + 10 * M + 46 * S);
    expect(metric(stale, 'p95_latency').state).toBe('stale');
    expect(stale.decision).toBe('HOLD');
    expect(stale.reasons[0]).toBe('p95_latency stale: last sample 46s ago');
  });
});

// ── seed 002: Redis complete unavailability → automatic rollback, with no condition ─────────

describe('a rule that says only what no data or source errors mean (seed 002)', () => {
  const p = profile(`
name: farmers-market-caching
${SOURCES}
  redis: { type: http, url: "http://127.0.0.1:6379" }
metrics:
  redis_ping: { source: redis, path: /ping, query: "@duration", unit: milliseconds, interval: 1m }
  hit_rate: { source: prom, query: "q", unit: ratio, interval: 1m }
  error_rate: { source: prom, query: "q", unit: ratio, interval: 1m }
rules:
  - { metric: redis_ping, onError: rollback, errorLimit: 3, auto: true, grace: 30s }
  - { metric: hit_rate, nodata: breach }
  - { metric: error_rate, rollback: "> 2%" }
  - { metric: error_rate, onError: rollback }
phases:
  - { name: shadow-10, traffic: 10 }
actions:
  rollback: { run: [vercel, env, rm, PHASE_3_ROLLOUT_PERCENTAGE, production], confirm: typed }
`);
  const now = T0 + H;
  const answering = (v: number) => series(samples(0, H, M, () => v));
  const healthy = { redis_ping: answering(12), hit_rate: answering(0.7), error_rate: answering(0.001) };
  const failing = (n: number) => ({ consecutiveErrors: n, lastError: { at: now - 30 * S, reason: 'connection refused (127.0.0.1:6379)' } });

  it('passes a metric that answers, with no thresholds to show', () => {
    const snap = evaluate(p, state(p), healthy, now);
    expect(snap.decision).toBe('PROMOTE');
    expect(metric(snap, 'redis_ping')).toMatchObject({ state: 'ok', value: 12, thresholds: [] });
    expect(metric(snap, 'redis_ping').reason).toBeUndefined();
  });

  it('keeps judging below the error limit, showing the error and how many polls failed', () => {
    const snap = evaluate(p, state(p), { ...healthy, redis_ping: series(samples(0, H, M, () => 12), failing(2)) }, now);
    expect(snap.decision).toBe('PROMOTE');
    expect(metric(snap, 'redis_ping')).toMatchObject({ state: 'ok', error: 'connection refused (127.0.0.1:6379) (2 of 3)' });
    expect(snap.autoRollback).toBeUndefined();
  });

  it('rolls back at the error limit with a reason naming the metric and the error, and starts the automatic rollback', () => {
    const snap = evaluate(p, state(p), { ...healthy, redis_ping: series(samples(0, H - 3 * M, M, () => 12), failing(3)) }, now);
    expect(snap.decision).toBe('ROLLBACK');
    expect(metric(snap, 'redis_ping').state).toBe('error');
    expect(snap.reasons).toEqual(['redis_ping source failing for 3 polls: connection refused (127.0.0.1:6379) (rollback)']);
    expect(snap.autoRollback).toEqual({
      metric: 'redis_ping',
      text: 'source failing for 3 polls: connection refused (127.0.0.1:6379)',
      firedAt: now - 30 * S,
      graceMs: 30 * S,
    });
  });

  it('rolls back on errors even when the source never answered at all', () => {
    const snap = evaluate(p, state(p), { ...healthy, redis_ping: series([], failing(3)) }, now);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons[0]).toBe('redis_ping source failing for 3 polls: connection refused (127.0.0.1:6379) (rollback)');
    expect(snap.autoRollback?.metric).toBe('redis_ping');
  });

  it('asks for no second automatic rollback once the rollout is rolled back', () => {
    const rolled = state(p, { rolledBack: { at: now - M, by: 'auto-rollback', phase: null, traffic: 0 } });
    const snap = evaluate(p, rolled, { ...healthy, redis_ping: series([], failing(5)) }, now);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.autoRollback).toBeUndefined();
  });

  it('rolls back when a nodata: breach metric answers with no value', () => {
    const empty = { ...healthy, hit_rate: series(samples(0, H - 2 * M, M, () => 0.7), { consecutiveNoData: 2, lastPollAt: now }) };
    const snap = evaluate(p, state(p), empty, now);
    expect(snap.decision).toBe('ROLLBACK');
    expect(metric(snap, 'hit_rate')).toMatchObject({ state: 'nodata' });
    expect(metric(snap, 'hit_rate').value).toBeUndefined();
    expect(snap.reasons).toEqual(['hit_rate no data for 2 polls (rollback)']);
    // Not auto: a ROLLBACK decision for the operator, no countdown.
    expect(snap.autoRollback).toBeUndefined();
  });

  it('starts the automatic rollback on no data when the rule says auto: true', () => {
    const auto = profile(`
name: p
${SOURCES}
metrics:
  hit_rate: { source: prom, query: "q", unit: ratio, interval: 1m }
rules:
  - { metric: hit_rate, nodata: breach, auto: true }
phases:
  - { name: canary, traffic: 10 }
actions:
  rollback: { run: [flagctl, off] }
`);
    const snap = evaluate(auto, state(auto), { hit_rate: series([], { consecutiveNoData: 3, lastPollAt: now }) }, now);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.autoRollback).toEqual({ metric: 'hit_rate', text: 'no data for 3 polls', firedAt: now, graceMs: 60 * S });
  });

  it('waits, without rolling back, before the first poll has answered', () => {
    const snap = evaluate(p, state(p), { redis_ping: healthy.redis_ping, error_rate: healthy.error_rate }, T0);
    expect(metric(snap, 'hit_rate').state).toBe('nodata');
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons).toEqual(['hit_rate no data yet']);
  });

  it('holds, and does not roll back, on errors for a rule that only says what no data means', () => {
    const snap = evaluate(p, state(p), { ...healthy, hit_rate: series(samples(0, H - 3 * M, M, () => 0.7), failing(3)) }, now);
    expect(metric(snap, 'hit_rate').state).toBe('error');
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('hit_rate source failing for 3 polls: connection refused (127.0.0.1:6379)');
  });

  it('judges a condition and a rule without one on the same metric, the worse deciding', () => {
    const breaching = evaluate(p, state(p), { ...healthy, error_rate: answering(0.03) }, now);
    expect(breaching.reasons).toEqual(['error_rate 3% > 2% (rollback)']);
    expect(metric(breaching, 'error_rate').thresholds).toEqual([{ severity: 'rollback', text: '> 2%', threshold: 0.02 }]);
    const erroring = evaluate(p, state(p), { ...healthy, error_rate: series(samples(0, H - 3 * M, M, () => 0.001), failing(3)) }, now);
    expect(erroring.decision).toBe('ROLLBACK');
    expect(erroring.reasons).toEqual(['error_rate source failing for 3 polls: connection refused (127.0.0.1:6379) (rollback)']);
  });
});

// ── split metrics ────────────────────────────────────────────────────────────────────────────

describe('a metric judged per group', () => {
  const p = profile(`
name: p
${SOURCES}
metrics:
  error_rate: { source: prom, query: "q", unit: ratio, interval: 15s, split: endpoint }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }
phases:
  - { name: canary, traffic: 10 }
`);
  const group = (key: string, v: number, to = 5 * M) => ({ key, canary: SampleView.of(samples(0, to, 15 * S, () => v)), baseline: SampleView.EMPTY });
  const judge = (groups: MetricSeries['groups'], now = 5 * M) =>
    evaluate(p, state(p), { error_rate: { groups, consecutiveErrors: 0, consecutiveNoData: 0 } }, T0 + now);

  it('lets the worst group decide and names it', () => {
    const snap = judge([group('/api/orders', 0.001), group('/api/farms', 0.031), group('/api/users', 0.015)]);
    expect(snap.decision).toBe('ROLLBACK');
    expect(metric(snap, 'error_rate')).toMatchObject({ state: 'breach', group: 'endpoint=/api/farms', value: 0.031 });
    expect(snap.reasons[0]).toBe('error_rate (endpoint=/api/farms) 3.1% > 2% (rollback)');
  });

  it('shows the worst figure when several groups breach, not the first group in key order', () => {
    const snap = judge([group('/api/a', 0.04), group('/api/b', 0.09), group('/api/c', 0.03)]);
    expect(metric(snap, 'error_rate')).toMatchObject({ state: 'breach', group: 'endpoint=/api/b', value: 0.09 });
    expect(snap.reasons[0]).toBe('error_rate (endpoint=/api/b) 9% > 2% (rollback)');
    const warned = judge([group('/api/a', 0.012), group('/api/b', 0.018)]);
    expect(metric(warned, 'error_rate')).toMatchObject({ state: 'warn', group: 'endpoint=/api/b', value: 0.018 });
  });

  it('shows the group nearest its limit when all are healthy', () => {
    const snap = judge([group('/a', 0.001), group('/b', 0.008)]);
    expect(metric(snap, 'error_rate')).toMatchObject({ state: 'ok', group: 'endpoint=/b', value: 0.008 });
  });

  it('leaves out a group that stopped answering while the others go on', () => {
    const snap = judge([group('/gone', 0.5, 2 * M), group('/live', 0.001)]);
    expect(metric(snap, 'error_rate').state).toBe('ok');
  });
});

// ── phases: criteria, checklist, duration, check-ins, the decision ───────────────────────────

describe('the phase gate', () => {
  const p = profile(`
name: docflow
${SOURCES}
checklist: ["release notes updated"]
metrics:
  api_p95: { source: prom, query: "q", unit: seconds, interval: 15s }
  error_rate: { source: prom, query: "q", unit: ratio, interval: 15s }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 5%" }
phases:
  - name: canary
    traffic: 10
    duration: 30m
    hold: 20m
    success: ["api_p95 < 200ms", "error_rate < 1%"]
    checklist: ["UI smoke test"]
    checkins: [{ every: 5m, for: 10m }, { every: 15m }]
  - { name: full, traffic: 100, duration: 15m, success: ["error_rate < 1%"] }
`);
  const ticked = (st: RolloutState): RolloutState => ({
    ...st,
    checklist: { canary: { 'release notes updated': { by: 'alice', at: T0 }, 'UI smoke test': { by: 'bob', at: T0 + M } } },
  });
  const judge = (now: number, api: (o: number) => number, st: RolloutState = ticked(state(p))) =>
    evaluate(p, st, {
      api_p95: series(samples(0, now, 15 * S, api)),
      error_rate: series(samples(0, now, 15 * S, () => 0.002)),
    }, T0 + now);

  it('soaks until the minimum duration is served', () => {
    const snap = judge(12 * M, () => 0.145);
    expect(snap.decision).toBe('SOAK');
    expect(snap.reasons).toContain('soaking: 12m of 30m');
    expect(snap.phase).toMatchObject({ elapsedMs: 12 * M, durationMs: 30 * M, remainingMs: 18 * M });
  });

  it('soaks while a criterion holds but not yet for its hold window', () => {
    const snap = judge(35 * M, (o) => (o < 25 * M ? 0.25 : 0.145));
    expect(snap.decision).toBe('SOAK');
    expect(snap.reasons).toEqual(['success: api_p95 < 200ms held 10m of 20m']);
    expect(snap.phase.criteria[0]).toMatchObject({ met: true, heldMs: 10 * M, holdMs: 20 * M, value: 0.145 });
  });

  it('holds while a criterion fails', () => {
    const snap = judge(35 * M, () => 0.25);
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons).toEqual(['success: api_p95 < 200ms not met (250ms)']);
    expect(snap.phase.criteria[0]).toMatchObject({ met: false, heldMs: 0, value: 0.25 });
  });

  it('holds while checklist items are unchecked, and shows who ticked the others', () => {
    const st = { ...state(p), checklist: { canary: { 'UI smoke test': { by: 'bob', at: T0 + M } } } };
    const snap = judge(35 * M, () => 0.145, st);
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons).toEqual(['checklist: 1 item unchecked']);
    expect(snap.phase.checklist).toEqual([
      { item: 'release notes updated', checked: false },
      { item: 'UI smoke test', checked: true, by: 'bob', at: T0 + M },
    ]);
  });

  it('holds while the rollout is paused', () => {
    const snap = judge(35 * M, () => 0.145, { ...ticked(state(p)), paused: true });
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons).toEqual(['rollout paused']);
  });

  it('promotes when every gate is green and the duration is served', () => {
    const snap = judge(35 * M, () => 0.145);
    expect(snap.decision).toBe('PROMOTE');
    expect(snap.reasons).toEqual(['ready to promote to full (100%): all gates green']);
  });

  it('calls the last phase complete when it promotes', () => {
    const st = { ...state(p), phase: 1, phaseStartedAt: T0 };
    const snap = judge(61 * M, () => 0.1, st);
    expect(snap.decision).toBe('PROMOTE');
    expect(snap.reasons).toEqual(['rollout complete: all gates green at full (100%)']);
  });

  it('asks for the whole phase, not the hold window, when the phase is shorter', () => {
    const st = { ...state(p), phase: 1, phaseStartedAt: T0 };
    const snap = judge(61 * M, () => 0.1, st);
    expect(snap.phase.criteria[0]).toMatchObject({ holdMs: 15 * M });
  });

  it('counts criteria only from the start of the phase', () => {
    const st = { ...ticked(state(p)), phaseStartedAt: T0 + 20 * M };
    const snap = judge(35 * M, () => 0.145, st);
    expect(snap.phase.criteria[0]!.heldMs).toBe(15 * M);
  });

  it('orders reasons most severe first: rollback, then hold, then soak', () => {
    const snap = evaluate(p, state(p), {
      api_p95: series(samples(0, 12 * M, 15 * S, () => 0.3)),
      error_rate: series(samples(0, 12 * M, 15 * S, () => 0.08)),
    }, T0 + 12 * M);
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons).toEqual([
      'error_rate 8% > 5% (rollback)',
      'success: api_p95 < 200ms not met (300ms)',
      'success: error_rate < 1% not met (8%)',
      'checklist: 2 items unchecked',
      'soaking: 12m of 30m',
    ]);
  });

  it.each([
    { at: 0, next: 0, every: 5 * M },
    { at: 7 * M, next: 10 * M, every: 5 * M },
    { at: 10 * M, next: 10 * M, every: 15 * M },
    { at: 11 * M, next: 25 * M, every: 15 * M },
    { at: 26 * H, next: 26 * H + 10 * M, every: 15 * M },
  ])('schedules the check-in after $at ms at $next ms, every $every ms', ({ at, next, every }) => {
    expect(nextCheckin(p.phases[0]!, T0, T0 + at)).toEqual({ at: T0 + next, everyMs: every });
  });

  it('reports the next check-in in the phase status', () => {
    const snap = judge(7 * M, () => 0.145);
    expect(snap.phase).toMatchObject({ nextCheckinAt: T0 + 10 * M, checkinEveryMs: 5 * M });
  });
});

// ── transitions as a console sees them ───────────────────────────────────────────────────────

describe('state transitions over time', () => {
  it('goes ok → pending → warn → breach → ok as the error rate climbs and recovers (seed 002)', async () => {
    const clock = new VirtualClock(T0);
    const store = new SeriesStore(seed002);
    const st = state(seed002);
    const timeline: string[] = [];
    const rate = (elapsed: number) => {
      if (elapsed < 10 * M) return 0.002;
      if (elapsed < 20 * M) return 0.015;
      if (elapsed < 30 * M) return 0.03;
      return 0.002;
    };
    for (let elapsed = 0; elapsed <= 35 * M; elapsed += 15 * S) {
      const now = clock.now();
      store.putPoints('error_rate', 'canary', new Map([['', [{ t: now, v: rate(elapsed) }]]]), now, { source: 'prom' });
      const s = metric(evaluate(seed002, st, store.snapshot(), now), 'error_rate').state;
      if (timeline.at(-1) !== s) timeline.push(s);
      await clock.advance(15 * S);
    }
    expect(timeline).toEqual(['ok', 'pending', 'warn', 'breach', 'ok']);
  });
});
