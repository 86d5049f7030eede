// The seed profiles — one per rollout plan in shared/seeds — load, and carry what each plan says:
// phases, thresholds, `for` durations, check-in cadences, checklists and every rollback method.
// Their SQL runs on a real PostgreSQL holding the plans' tables, and their shell pipelines turn
// what Upstash, Sentry and kubectl print into numbers (those three cannot run here: fakes on PATH
// answer for them, named as such).

import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState } from '../../src/engine/state.js';
import { RawSampleStore } from '../../src/engine/raw-samples.js';
import type { MetricSeries, Point, SeriesSnapshot } from '../../src/engine/types.js';
import { ProfileError } from '../../src/profile/load.js';
import { loadProfileFile } from '../support/profile-file.js';
import type { Condition, Phase, Profile, Rule } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { PIPELINE_USAGE_LOGS } from '../support/seed-tables.js';
import { SampleView } from '../../src/engine/sample-view.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const SEEDS = {
  phoenix: 'profiles/phoenix-pipeline.yaml',
  docflow: 'profiles/docflow-phase1.yaml',
  farmers: 'profiles/farmers-market-caching.yaml',
  admin: 'profiles/admin-workbench.yaml',
  simple: 'profiles/simple-prompt.yaml',
} as const;
const FILES = Object.values(SEEDS);

async function seed(file: string, env: Record<string, string> = {}): Promise<Profile> {
  return (await loadProfileFile(file, { env, envMode: 'lenient' })).profile;
}

function phase(profile: Profile, name: string): Phase {
  const found = profile.phases.find((p) => p.name === name);
  if (!found) throw new Error(`${profile.name} has no phase ${name}`);
  return found;
}

/** The effective rules of a phase for one metric. */
function rules(p: Phase, metric: string): Rule[] {
  return p.rules.filter((r) => r.metric === metric);
}

function conditionTexts(p: Phase, metric: string, severity: 'info' | 'warn' | 'rollback'): string[] {
  return rules(p, metric)
    .map((r) => r[severity]?.text)
    .filter((t): t is string => t !== undefined);
}

function criteria(p: Phase): string[] {
  return p.success.map((c) => c.text);
}

function sql(profile: Profile, metric: string): string {
  const query = profile.metrics[metric]!.query;
  if (typeof query !== 'string') throw new Error(`${metric} has no SQL`);
  return query;
}

/** One sample a minute for `minutes` minutes up to `now`, each the value `at` gives (over `n` samples, when given). */
function minutely(now: number, minutes: number, at: (minute: number) => number, n?: number): Point[] {
  return Array.from({ length: minutes + 1 }, (_, i) => ({ t: now - (minutes - i) * MINUTE, v: at(i), ...(n !== undefined ? { n } : {}) }));
}

function answered(canary: Point[], baseline: Point[] = []): MetricSeries {
  const last = canary.at(-1)!.t;
  return { groups: [{ key: '', canary: SampleView.of(canary), baseline: SampleView.of(baseline) }], lastPollAt: last, lastGoodAt: last, consecutiveErrors: 0, consecutiveNoData: 0 };
}

/** The seed judged by the real evaluate(), `elapsed` into the named phase. */
function judge(profile: Profile, phaseName: string, series: SeriesSnapshot, now: number, elapsed = 2 * HOUR, raw?: RawSampleStore) {
  const state = { ...initialState(profile.name, now - elapsed), phase: phase(profile, phaseName).index };
  return evaluate(profile, state, series, now, raw);
}

/** A raw metric's rows as the poller keeps them: one window each for canary and baseline, `ago` before now. */
function rawRows(profile: Profile, metric: string, now: number, canary: number[], baseline: number[], ago = 10 * MINUTE): RawSampleStore {
  const store = new RawSampleStore(profile);
  const t = now - ago;
  store.put(metric, 'canary', { t, at: t, rows: Float64Array.from(canary) });
  store.put(metric, 'baseline', { t, at: t, rows: Float64Array.from(baseline) });
  return store;
}

describe('every seed profile', () => {
  it.each(FILES)('%s loads, warning only about the environment variables it has not been given', async (file) => {
    const { warnings } = await loadProfileFile(file, { env: {}, envMode: 'lenient' });
    const other = warnings.filter((w) => !/^environment variable \w+ is not set\b/.test(w.message));
    expect(other).toEqual([]);
  });

  it.each(FILES)('%s asks for the action name to be typed before anything that rolls back, reduces or disables', async (file) => {
    const profile = await seed(file);
    const destructive = Object.values(profile.actions).filter((a) => a.effect === 'rollback' || /rollback|reduce|revert|disable/.test(a.id));
    expect(destructive.length).toBeGreaterThan(0);
    for (const action of destructive) expect({ id: action.id, confirm: action.confirm }).toEqual({ id: action.id, confirm: 'typed' });
  });

  it.each(FILES)('%s bounds every SQL window on a log table with $1 and $2, never with built strings', async (file) => {
    const profile = await seed(file);
    for (const id of profile.metricIds) {
      const source = profile.sources[profile.metrics[id]!.source]!;
      if (source.type !== 'postgres') continue;
      const text = sql(profile, id);
      if (!/(pipeline_usage_logs|telemetry_logs|user_reports)/.test(text)) continue;
      expect(text, id).toMatch(/>= \$1 AND \S+ < \$2/);
    }
  });

  it('names every variable it still needs when run without its environment', async () => {
    const issues = await loadProfileFile(SEEDS.simple, { env: {} }).then(
      () => [],
      (error: unknown) => (error instanceof ProfileError ? error.issues.map((i) => i.message) : [String(error)]),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^environment variable TELEMETRY_DATABASE_URL is not set\b/));
    expect(issues).toContainEqual(expect.stringMatching(/^environment variable FLAGSMITH_TOKEN is not set\b/));
  });

  it('keeps the tokens it is given as secrets, so they are redacted wherever text leaves', async () => {
    const profile = await seed(SEEDS.farmers, {
      VERCEL_TOKEN: 'vercel-token-0123456789',
      SENTRY_AUTH_TOKEN: 'sentry-token-0123456789',
      UPSTASH_REDIS_REST_TOKEN: 'upstash-token-0123456789',
      UPSTASH_API_KEY: 'upstash-key-0123456789',
    });
    expect(profile.secrets).toEqual(
      expect.arrayContaining(['vercel-token-0123456789', 'sentry-token-0123456789', 'upstash-token-0123456789', 'upstash-key-0123456789']),
    );
  });
});

describe('seed 000: Phoenix pipeline vs Legacy', () => {
  let profile: Profile;
  beforeAll(async () => {
    profile = await seed(SEEDS.phoenix);
  });

  it('runs four weekly phases at 5, 25, 50 and 100% of users, the last one open-ended', () => {
    expect(profile.phases.map((p) => [p.name, p.traffic, p.durationMs])).toEqual([
      ['internal', 5, 7 * DAY],
      ['early-adopters', 25, 7 * DAY],
      ['majority', 50, 7 * DAY],
      ['full', 100, undefined],
    ]);
  });

  it('reads Phoenix and its Legacy baseline from one pipeline_usage_logs query grouped by pipeline', () => {
    for (const id of ['success_rate', 'error_rate', 'response_time']) {
      // Response time reads one row per generation (raw:), labelled by pipeline, not grouped.
      expect(sql(profile, id)).toMatch(id === 'response_time' ? /SELECT pipeline_type, response_time_ms AS value\s+FROM pipeline_usage_logs/ : /FROM pipeline_usage_logs[\s\S]*GROUP BY pipeline_type/);
      expect(profile.metrics[id]!.select).toEqual({ pipeline_type: 'phoenix' });
      expect(profile.metrics[id]!.baseline).toEqual({ kind: 'select', labels: { pipeline_type: 'legacy' } });
    }
  });

  it('rolls back automatically when response time passes 2x the Legacy average beyond chance, tested on the generations themselves', () => {
    const [rule] = rules(profile.phases[0]!, 'response_time');
    expect(rule!.rollback).toEqual<Condition>({ kind: 'factor', op: '>', factor: 2, ref: 'baseline', text: '> 2x baseline significant', significant: true });
    expect(rule!.warn?.text).toBe('> +50% baseline significant');
    expect(rule!).toMatchObject({ auto: true, confidence: 0.95, minSamples: 50 });
    expect(profile.metrics.response_time!.raw).toEqual({ statistic: 'mean', maxRows: 100_000 });
    expect(profile.metrics.response_time!.samples?.name).toBe('generations');
  });

  it('counts down to an automatic rollback once Phoenix takes over twice as long as Legacy, with the rows to show it', () => {
    const now = Date.now();
    const phoenix = Array.from({ length: 80 }, (_, i) => 2_400 + (i % 20) * 20);
    const legacy = Array.from({ length: 800 }, (_, i) => 1_100 + (i % 20) * 10);
    const series = { response_time: answered(minutely(now, 10, () => 2600, 80), minutely(now, 10, () => 1200, 800)) };
    const snapshot = judge(profile, 'early-adopters', series, now, 2 * HOUR, rawRows(profile, 'response_time', now, phoenix, legacy));
    expect(snapshot.decision).toBe('ROLLBACK');
    expect(snapshot.autoRollback).toMatchObject({ metric: 'response_time', text: expect.stringMatching(/^mean [\d.]+s vs [\d.]+s \(p < 0\.001, n = 80\): > 2x baseline significant$/) });
  });

  it('holds instead of rolling back when a few slow Phoenix generations are all there is', () => {
    const now = Date.now();
    const series = { response_time: answered(minutely(now, 10, () => 2600, 6), minutely(now, 10, () => 1200, 800)) };
    const snapshot = judge(profile, 'internal', series, now, 2 * HOUR, rawRows(profile, 'response_time', now, [2_600, 900, 3_100, 1_000, 4_200, 1_200], Array.from({ length: 800 }, (_, i) => 1_100 + (i % 20) * 10)));
    expect(snapshot.decision).toBe('HOLD');
    expect(snapshot.metrics.find((m) => m.id === 'response_time')).toMatchObject({ state: 'insufficient', samples: { n: 6, min: 50, name: 'generations' } });
  });

  it('warns at 95% success and 2% errors, and rolls back under 90% of Legacy success or over 5% errors', () => {
    const first = profile.phases[0]!;
    expect(rules(first, 'success_rate')[0]).toMatchObject({ warn: { threshold: 0.95 }, rollback: { kind: 'factor', op: '<', factor: 0.9, ref: 'baseline' }, auto: true });
    expect(rules(first, 'error_rate')[0]).toMatchObject({ warn: { threshold: 0.02 }, rollback: { threshold: 0.05 }, auto: true });
  });

  it('rolls back on success under 90% of what Legacy achieves at the same time, not under an absolute 90%', () => {
    const now = Date.now();
    const success = (phoenix: number, legacy: number) =>
      judge(profile, 'internal', { success_rate: answered(minutely(now, 10, () => phoenix, 500), minutely(now, 10, () => legacy, 5000)) }, now);
    // 88% where Legacy succeeds 99% of the time: under 90% of Legacy's (89.1%).
    const worse = success(0.88, 0.99);
    expect(worse.decision).toBe('ROLLBACK');
    expect(worse.autoRollback).toMatchObject({ metric: 'success_rate', text: expect.stringContaining('< 0.9x baseline') });
    // The same 88% on a day Legacy manages only 95% (90% of it is 85.5%): a warning, not a rollback.
    const bad = success(0.88, 0.95);
    expect(bad.decision).toBe('HOLD');
    expect(bad.metrics.find((m) => m.id === 'success_rate')!.state).toBe('warn');
  });

  it('raises the success bar and tightens the Legacy comparison phase by phase', () => {
    expect(profile.phases.map(criteria)).toEqual([
      ['success_rate >= 95%', 'response_time <= +20% baseline'],
      ['success_rate >= 95%', 'error_rate < 2%', 'response_time <= +15% baseline'],
      ['success_rate >= 97%', 'error_rate < 1%', 'response_time <= +10% baseline'],
      ['success_rate >= 98%', 'error_rate < 0.5%', 'response_time <= 1x baseline'],
    ]);
  });

  it('checks in morning, afternoon and evening, on Mondays for the review, and reviews the week before each promote', () => {
    for (const p of profile.phases) {
      expect(p.checkins).toEqual([]);
      expect(p.checkinTimes).toEqual([{ hour: 9, minute: 0 }, { hour: 14, minute: 0 }, { hour: 19, minute: 0 }, { hour: 10, minute: 0, days: [1] }]);
    }
    expect(profile.phases[0]!.checklist).toEqual(expect.arrayContaining(['No critical errors', "Next week's rollout percentage planned"]));
  });

  it('mails threshold breaches as well as posting them to Slack', () => {
    expect(profile.notify[1]).toMatchObject({ type: 'command', on: ['warn', 'breach', 'rollback'] });
    expect(profile.notify[1]!.type === 'command' && profile.notify[1]!.run[0]).toBe('mail');
  });

  it('escalates an unresolved warning to reduce after 2h and to rollback an hour later, telling the team lead', () => {
    for (const metric of ['success_rate', 'error_rate', 'response_time']) {
      expect(rules(profile.phases[0]!, metric)[0]!.escalate, metric).toEqual([
        { afterMs: 2 * HOUR, to: 'reduce' },
        { afterMs: 3 * HOUR, to: 'rollback', notify: 'team-lead' },
      ]);
    }
    expect(profile.notify.find((n) => n.id === 'team-lead')).toMatchObject({ type: 'command', on: ['rollback'] });
  });

  it('mails stakeholders a daily summary at 09:00', () => {
    expect(profile.notify[3]).toMatchObject({ type: 'command', on: [], digest: { at: ['09:00'] } });
  });

  it('has an emergency rollback and a gradual one back to the previous percentage', () => {
    expect(profile.actions.rollback).toMatchObject({ key: 'r', effect: 'rollback' });
    expect(profile.actions.rollback!.run.join(' ')).toContain('/api/admin/phoenix/emergency-rollback');
    expect(profile.actions.reduce).toMatchObject({ effect: 'traffic', traffic: 'prev', confirm: 'typed' });
    expect(profile.actions.reduce!.run.join(' ')).toContain('"percentage": {{prev.traffic}}');
  });
});

describe('seed 001: docflow Phase 1', () => {
  let profile: Profile;
  beforeAll(async () => {
    profile = await seed(SEEDS.docflow);
  });

  it('validates in staging for 30 minutes, runs a 30-minute 10% canary, then goes to 100% for the 24-hour review', () => {
    expect(profile.phases.map((p) => [p.name, p.traffic, p.durationMs, p.holdMs])).toEqual([
      ['staging', 0, 30 * MINUTE, 5 * MINUTE],
      ['canary', 10, 30 * MINUTE, 30 * MINUTE],
      ['full', 100, DAY, DAY],
    ]);
  });

  it('promotes the canary only on API p95 < 200ms, publish p95 < 20ms and under 1% 5xx', () => {
    const canary = phase(profile, 'canary');
    expect(canary.success.map((c) => [c.metric, c.condition])).toEqual([
      ['api_p95_latency', { kind: 'literal', op: '<', threshold: 0.2, text: '< 200ms' }],
      ['publish_p95_latency', { kind: 'literal', op: '<', threshold: 20, text: '< 20ms' }],
      ['error_rate_5xx', { kind: 'literal', op: '<', threshold: 0.01, text: '< 1%' }],
    ]);
    expect(canary.checklist).toContain('No JavaScript errors in Phase 1 components');
  });

  it('asks Prometheus through the Grafana datasource proxy with real PromQL', () => {
    expect(profile.sources.grafana).toMatchObject({ type: 'prometheus', pathPrefix: '/api/datasources/proxy/uid/prometheus' });
    expect(profile.metrics.api_p95_latency!.query).toBe('histogram_quantile(0.95, sum by (le) (rate(api_request_duration_seconds_bucket[5m])))');
    expect(profile.metrics.error_rate_5xx!.query).toContain('http_requests_total{status=~"5.."}');
  });

  it("reads publish latency from the backend's /metrics as the 0.95 quantile of publish_latency_ms", () => {
    expect(profile.sources.backend).toMatchObject({ type: 'scrape', url: '${BACKEND}/metrics' });
    expect(profile.metrics.publish_p95_latency!.query).toEqual({ series: 'publish_latency_ms', mode: 'quantile', quantile: 0.95 });
  });

  it('rolls back on any 5xx in Phase 1 endpoints and on a 20% slowdown; warns at 5%', () => {
    const canary = phase(profile, 'canary');
    expect(conditionTexts(canary, 'phase1_5xx', 'rollback')).toEqual(['> 0']);
    for (const id of ['api_p95_latency', 'publish_p95_latency', 'queue_load_p95', 'export_api_p95']) {
      expect(conditionTexts(canary, id, 'rollback'), id).toEqual(['> +20% baseline']);
      expect(conditionTexts(canary, id, 'warn'), id).toEqual(['> +5% baseline']);
    }
    expect(conditionTexts(canary, 'ai_low_confidence', 'warn')).toEqual(['> 10%']);
    expect(conditionTexts(canary, 'forecast_accuracy_deviation', 'info')).toEqual(['> 20%']);
  });

  it('measures every performance figure against the same query a week earlier, before Phase 1 shipped', () => {
    for (const id of ['api_p95_latency', 'queue_load_p95', 'export_api_p95']) {
      const metric = profile.metrics[id]!;
      expect(metric.baseline, id).toMatchObject({ kind: 'query', query: String(metric.query).replace('[5m]', '[5m] offset 7d') });
    }
    expect(profile.metrics.publish_p95_latency!.baseline).toMatchObject({ kind: 'query', source: 'grafana', query: expect.stringContaining('publish_latency_ms_bucket[5m] offset 7d') });
    const now = Date.now();
    const slower = judge(profile, 'full', { queue_load_p95: answered(minutely(now, 10, () => 0.5), minutely(now, 10, () => 0.4)) }, now);
    expect(slower.decision).toBe('ROLLBACK');
    expect(slower.reasons[0]).toContain('queue_load_p95');
    const same = judge(profile, 'full', { queue_load_p95: answered(minutely(now, 10, () => 0.41), minutely(now, 10, () => 0.4)) }, now);
    expect(same.metrics.find((m) => m.id === 'queue_load_p95')!.state).toBe('ok');
  });

  it('checks the admin API endpoints with the bearer token before leaving staging', () => {
    expect(profile.sources.api).toMatchObject({ type: 'http', auth: { bearer: '${ADMIN_TOKEN}' } });
    expect(profile.metrics.queue_api_status).toMatchObject({ path: '/api/admin/queue?aiType=invoice', query: '@status' });
    expect(criteria(phase(profile, 'staging'))).toEqual(expect.arrayContaining(['queue_api_status == 200', 'export_schedule_api_status == 200']));
    expect(phase(profile, 'staging').checklist).toContain('Queue Manager: AI filter dropdown works');
  });

  it('rolls back immediately by switching Phase 1 off, then reverting Vercel and Fly.io', () => {
    const { rollback, 'vercel-rollback': vercel, 'fly-rollback': fly } = profile.actions;
    expect(rollback!.run.join(' ')).toContain('"key":"phase1_enabled","value":false');
    expect(rollback!.then).toBe('vercel-rollback');
    expect(vercel!.run.slice(0, 2)).toEqual(['vercel', 'rollback']);
    expect(vercel!.then).toBe('fly-rollback');
    expect(fly!.run).toEqual(['fly', 'deploy', '--app', 'docflow', '--image', 'registry.fly.io/docflow:v2.0.9']);
  });

  it('can switch off each Phase 1 feature on its own and redeploy', () => {
    for (const [id, flag] of [
      ['disable-ai-queue', 'NEXT_PUBLIC_ENABLE_AI_QUEUE'],
      ['disable-forecast', 'NEXT_PUBLIC_ENABLE_FORECAST'],
      ['disable-export-schedule', 'NEXT_PUBLIC_ENABLE_EXPORT_SCHEDULE'],
    ] as const) {
      expect(profile.actions[id]!.run[0]).toContain(`vercel env add ${flag} production`);
      expect(profile.actions[id]).toMatchObject({ effect: 'none', then: 'redeploy' });
    }
  });
});

describe('seed 002: farmers-market caching', () => {
  let profile: Profile;
  beforeAll(async () => {
    profile = await seed(SEEDS.farmers);
  });

  it('goes 10% for 48h, 50% for 72h, then 100% with 72 hours of stable metrics', () => {
    expect(profile.phases.map((p) => [p.name, p.traffic, p.durationMs])).toEqual([
      ['shadow', 10, 48 * HOUR],
      ['partial', 50, 72 * HOUR],
      ['full', 100, 7 * DAY],
    ]);
    expect(phase(profile, 'full').holdMs).toBe(72 * HOUR);
  });

  it('posts a Slack status every 4 hours in Phase 1 only, alerts in every phase, and mails a summary after each phase', () => {
    expect(profile.notify[0]).toMatchObject({ type: 'slack', on: ['warn', 'breach', 'rollback', 'action', 'promote', 'recovered'] });
    expect(profile.notify[0]!.every).toBeUndefined();
    expect(profile.notify[0]!.phases).toBeUndefined();
    expect(profile.notify[1]).toMatchObject({ type: 'command', on: ['action', 'rollback'] });
    expect(profile.notify[2]).toMatchObject({ type: 'slack', every: 4 * HOUR, phases: [profile.phases[0]!.name], on: [] });
  });

  it('lists the post-rollback actions in four groups, from immediate to long-term', () => {
    const groups = [...new Set(profile.rollbackChecklist!.map((c) => c.group))];
    expect(groups).toEqual(['Immediate (0-30 minutes)', 'Short-term (1-4 hours)', 'Medium-term (1-3 days)', 'Long-term (1 week)']);
    for (const g of groups) expect(profile.rollbackChecklist!.filter((c) => c.group === g), g).toHaveLength(4);
    expect(profile.rollbackChecklist![0]!.item).toBe('Verify application is stable');
    expect(profile.rollbackChecklist!.at(-1)!.item).toBe('Share learnings with team');
  });

  it('rolls back automatically in every phase when the error rate is over 2% for 5 minutes', () => {
    for (const p of profile.phases) {
      const auto = rules(p, 'error_rate').find((r) => r.auto);
      expect(auto, p.name).toMatchObject({ rollback: { kind: 'literal', op: '>', threshold: 0.02 }, forMs: 5 * MINUTE });
    }
  });

  it('counts down to an automatic rollback after 5 minutes over 2% errors, not before', () => {
    const now = Date.now();
    const fourMinutes = judge(profile, 'partial', { error_rate: answered(minutely(now, 20, (m) => (m >= 16 ? 0.03 : 0.001), 500)) }, now);
    expect(fourMinutes.autoRollback).toBeUndefined();
    const sixMinutes = judge(profile, 'partial', { error_rate: answered(minutely(now, 20, (m) => (m >= 14 ? 0.03 : 0.001), 500)) }, now);
    expect(sixMinutes.decision).toBe('ROLLBACK');
    expect(sixMinutes.autoRollback).toMatchObject({ metric: 'error_rate', text: expect.stringContaining('> 2% for') });
  });

  it('rolls back automatically on P95 over 2 seconds for 10 minutes, database connection failures and Redis going away', () => {
    const first = profile.phases[0]!;
    expect(rules(first, 'p95_latency').find((r) => r.auto)).toMatchObject({ rollback: { threshold: 2000 }, forMs: 10 * MINUTE });
    expect(rules(first, 'db_health').find((r) => r.auto)).toMatchObject({ rollback: { op: '<', threshold: 1 }, forMs: MINUTE, onError: 'hold' });
    expect(profile.metrics.db_health!.source).toBe('app_db_health');
    const redis = rules(first, 'redis_status').find((r) => r.auto);
    expect(redis).toMatchObject({ onError: 'rollback', errorLimit: 3 });
    expect(redis?.info ?? redis?.warn ?? redis?.rollback).toBeUndefined();
  });

  it("rolls back on the service's own database failures, and only holds when rollcall cannot reach the database", () => {
    // Every rule on a metric read through rollcall's own PostgreSQL connection holds on errors.
    for (const p of profile.phases) {
      for (const rule of p.rules.filter((r) => profile.metrics[r.metric]!.source === 'db')) expect(rule.onError, `${p.name} ${rule.metric}`).toBe('hold');
    }
    const now = Date.now();
    const down = judge(profile, 'shadow', { db_health: answered(minutely(now, 5, (m) => (m >= 3 ? 0 : 1))) }, now);
    expect(down.decision).toBe('ROLLBACK');
    expect(down.autoRollback).toMatchObject({ metric: 'db_health' });
    const unreachable: MetricSeries = { groups: [], lastPollAt: now, consecutiveErrors: 5, consecutiveNoData: 0, lastError: { at: now, reason: 'connect ETIMEDOUT 10.0.0.5:5432' } };
    const blip = judge(profile, 'shadow', { db_pool_usage: unreachable, db_mean_query_time: unreachable }, now);
    expect(blip.decision).toBe('HOLD');
    expect(blip.autoRollback).toBeUndefined();
  });

  it('warns on a Redis hit rate under 30% only once the first 24 hours of the first phase are over', () => {
    const first = profile.phases[0]!;
    expect(rules(first, 'redis_hit_rate')).toEqual([expect.objectContaining({ warn: expect.objectContaining({ text: '< 30%' }), afterMs: DAY })]);
    const now = Date.now();
    const hitRate = (elapsed: number) => judge(profile, first.name, { redis_hit_rate: answered(minutely(now, 10, () => 0.12)) }, now, elapsed);
    const warming = hitRate(6 * HOUR).metrics.find((m) => m.id === 'redis_hit_rate')!;
    expect(warming.state).toBe('ok');
    expect(warming.thresholds).toEqual([{ severity: 'warn', text: '< 30% (after 1d in phase)' }]);
    const warmed = hitRate(30 * HOUR).metrics.find((m) => m.id === 'redis_hit_rate')!;
    expect(warmed.state).toBe('warn');
    // In the later phases the cache is warm from the start: the warning applies at once.
    expect(rules(phase(profile, 'partial'), 'redis_hit_rate').every((r) => r.afterMs === undefined)).toBe(true);
  });

  it("holds each phase's failure criteria as rollback rules", () => {
    expect(conditionTexts(phase(profile, 'shadow'), 'error_rate', 'rollback')).toContain('> 1%');
    expect(conditionTexts(phase(profile, 'partial'), 'error_rate', 'rollback')).toContain('> 0.5%');
    expect(conditionTexts(phase(profile, 'partial'), 'cache_hit_rate', 'rollback')).toEqual(['< 30%']);
    expect(conditionTexts(phase(profile, 'partial'), 'redis_memory', 'rollback')).toEqual(['> 2x start']);
    expect(conditionTexts(phase(profile, 'shadow'), 'cache_hit_rate', 'rollback')).toEqual(['<= 0%']);
  });

  it('asks for more cache hits, a faster response and fewer database queries at each phase', () => {
    expect(criteria(phase(profile, 'shadow'))).toEqual(expect.arrayContaining(['cache_hit_rate >= 30%', 'response_time_improvement >= 40%', 'error_rate <= 0.1%']));
    expect(criteria(phase(profile, 'partial'))).toEqual(
      expect.arrayContaining(['cache_hit_rate >= 50%', 'response_time_improvement >= 50%', 'p95_latency <= 200ms', 'db_queries <= 18000 in 1h', 'error_rate <= 1x baseline']),
    );
    expect(criteria(phase(profile, 'full'))).toEqual(expect.arrayContaining(['cache_hit_rate >= 60%', 'db_queries <= 15000 in 1h']));
    const queries = phase(profile, 'partial').success.find((c) => c.metric === 'db_queries')!;
    expect(queries.condition).toEqual({ kind: 'count', op: '<=', count: 18000, windowMs: HOUR, text: '<= 18000 in 1h' });
  });

  it('watches PostgreSQL through pg_stat_statements and pg_stat_activity', () => {
    expect(sql(profile, 'db_mean_query_time')).toContain("FROM pg_stat_statements\nWHERE query LIKE '%Farm%'");
    expect(sql(profile, 'db_pool_usage')).toContain('FROM pg_stat_activity');
    expect(sql(profile, 'db_slow_queries')).toContain("now() - query_start > INTERVAL '5 seconds'");
  });

  it('offers all four rollback methods, each ending the rollout', () => {
    const methods = ['instant-rollback', 'rollback', 'git-revert', 'emergency-disable'].map((id) => profile.actions[id]!);
    for (const m of methods) expect(m).toMatchObject({ effect: 'rollback', confirm: 'typed' });
    expect(methods[0]!.run.slice(0, 2)).toEqual(['vercel', 'rollback']);
    expect(methods[1]!.run[0]).toContain("printf '%s' '0' | vercel env add PHASE_3_ROLLOUT_PERCENTAGE production");
    expect(methods[2]!.run.slice(0, 2)).toEqual(['git', 'revert']);
    expect(methods[3]!.run[0]).toBe('sed');
    expect(profile.actions['emergency-commit']!.then).toBe('push-master');
  });

  it('checks in every 5 minutes for the first hour, every 15 until hour 4, then hourly', () => {
    expect(phase(profile, 'shadow').checkins).toEqual([{ everyMs: 5 * MINUTE, forMs: HOUR }, { everyMs: 15 * MINUTE, forMs: 3 * HOUR }, { everyMs: HOUR }]);
    expect(phase(profile, 'partial').checkins).toEqual([{ everyMs: 10 * MINUTE, forMs: 4 * HOUR }, { everyMs: 30 * MINUTE }]);
  });

  it('puts the go/no-go checklist before the first promote', () => {
    expect(profile.phases[0]!.checklist).toEqual(expect.arrayContaining(['All unit tests passing (72/72)', 'On-call engineer available (schedule established)']));
    expect(profile.phases[1]!.checklist).not.toContain('All unit tests passing (72/72)');
  });
});

describe('seed 003: admin workbench', () => {
  let profile: Profile;
  beforeAll(async () => {
    profile = await seed(SEEDS.admin);
  });

  it('pages on-call through PagerDuty when the Sentry error alert fires, and for nothing else', async () => {
    const pager = profile.notify.filter((n) => n.type === 'pagerduty');
    expect(pager).toEqual([expect.objectContaining({ type: 'pagerduty', on: ['warn'], metrics: ['errors'] })]);
    const withKey = await seed(SEEDS.admin, { PD_ROUTING_KEY: 'pd-routing-key-for-tests' });
    expect(withKey.secrets).toContain('pd-routing-key-for-tests');
  });

  it('runs a 48h canary, three 24h ramps, 72h at 100% and a cleanup day', () => {
    expect(profile.phases.map((p) => [p.name, p.traffic, p.durationMs])).toEqual([
      ['canary', 10, 48 * HOUR],
      ['ramp-25', 25, DAY],
      ['ramp-50', 50, DAY],
      ['ramp-75', 75, DAY],
      ['full', 100, 72 * HOUR],
      ['cleanup', 100, DAY],
    ]);
  });

  it('holds the daily 9 AM standup as a check-in on every day of the rollout, canary to the 72h window', () => {
    for (const name of ['canary', 'ramp-25', 'ramp-50', 'ramp-75', 'full']) expect(phase(profile, name).checkinTimes, name).toEqual([{ hour: 9, minute: 0 }]);
  });

  it("reads the 72h window's memory trend from a day's level, so an hour's noise does not fail it", () => {
    const full = phase(profile, 'full');
    expect(criteria(full)).toContain('memory_24h <= +5% start');
    expect(criteria(full)).not.toContain('memory <= +0% start');
    expect(profile.metrics.memory_24h!.path).toContain('statsPeriod=24h');
    const now = Date.now();
    const level = (growth: number) =>
      judge(profile, 'full', { memory_24h: answered(minutely(now, 120, (m) => 80e6 * (1 + (growth * m) / 120) + (m % 2 ? 4e5 : -4e5))) }, now, 2 * HOUR)
        .phase.criteria.find((c) => c.text === 'memory_24h <= +5% start')!;
    expect(level(0.01).met).toBe(true);
    expect(level(0.12).met).toBe(false);
  });

  it('checks the canary every 15 minutes for 8h, every 30 minutes for 16h, then hourly', () => {
    expect(phase(profile, 'canary').checkins).toEqual([
      { everyMs: 15 * MINUTE, forMs: 8 * HOUR },
      { everyMs: 30 * MINUTE, forMs: 16 * HOUR },
      { everyMs: HOUR },
    ]);
  });

  it('rolls back on more than 5 P1 errors in an hour, counted from a Sentry counter', () => {
    const canary = phase(profile, 'canary');
    expect(rules(canary, 'p1_errors').map((r) => r.rollback)).toContainEqual({ kind: 'count', op: '>', count: 5, windowMs: HOUR, text: '> 5 in 1h' });
    expect(profile.metrics.p1_errors).toMatchObject({ source: 'sentry', unit: 'count' });
    expect(profile.metrics.p1_errors!.path).toContain('statsPeriod=14d');
  });

  it('calls for a rollback when the P1 counter climbs by 6 within an hour, but not by 5', () => {
    const now = Date.now();
    const climb = (by: number) => judge(profile, 'canary', { p1_errors: answered(minutely(now, 90, (m) => (m < 40 ? 10 : 10 + by))) }, now, 3 * HOUR);
    expect(climb(5).decision).not.toBe('ROLLBACK');
    expect(climb(6).decision).toBe('ROLLBACK');
    expect(climb(6).reasons[0]).toContain('p1_errors');
  });

  it('rolls back on an LCP regression over 30% against the legacy dashboard and on memory growth since the phase began', () => {
    const canary = phase(profile, 'canary');
    expect(rules(canary, 'lcp')[0]!.rollback).toEqual({ kind: 'relative', op: '>', percent: 30, ref: 'baseline', text: '> +30% baseline' });
    expect(rules(canary, 'memory')[0]).toMatchObject({ warn: { ref: 'start', percent: 15 }, rollback: { ref: 'start', percent: 30 } });
    expect(criteria(canary)).toEqual(expect.arrayContaining(['p1_p2_errors < 1 in 48h', 'lcp < 2.5s', 'adoption > 5%']));
  });

  it('finishes only after 72h at 100% with no P1 error', () => {
    expect(criteria(phase(profile, 'full'))).toEqual(expect.arrayContaining(['p1_errors < 1 in 72h', 'errors < 5 in 72h', 'lcp <= +5% start', 'error_rate < 0.05%']));
  });

  it('can disable the flag, cut the canary to 1% or 5%, or revert the commit', () => {
    expect(profile.actions.rollback!.run[0]).toContain('{"adminWorkBench":false}');
    expect(profile.actions.rollback!.then).toBe('deploy');
    expect(profile.actions['reduce-to-1']!.run[3]).toBe('s/\\(userIdHash % 100\\) < [0-9]+/(userIdHash % 100) < 1/');
    expect(profile.actions['reduce-to-5']!.run[3]).toContain('< 5/');
    expect(profile.actions['reduce-to-1']).toMatchObject({ effect: 'traffic', traffic: 1 });
    expect(profile.actions['reduce-to-5']).toMatchObject({ effect: 'traffic', traffic: 5 });
    expect(profile.actions['full-revert']).toMatchObject({ effect: 'rollback', then: 'push-main' });
    expect(profile.actions.promote!.run[3]).toContain('< {{next.traffic}}/');
  });
});

describe('seed 004: simple prompt', () => {
  let profile: Profile;
  beforeAll(async () => {
    profile = await seed(SEEDS.simple);
  });

  it('pages on-call for parse success and error-rate warnings, not for latency', () => {
    expect(profile.notify.filter((n) => n.type === 'pagerduty')).toEqual([
      expect.objectContaining({ type: 'pagerduty', on: ['warn'], metrics: ['parse_success', 'error_rate'] }),
    ]);
  });

  it('has the ten steps at 0, 0, 1, 5, 15, 35, 65, 100, 100 and 100%', () => {
    expect(profile.phases.map((p) => p.traffic)).toEqual([0, 0, 1, 5, 15, 35, 65, 100, 100, 100]);
    expect(profile.phases.map((p) => p.durationMs)).toEqual([2 * HOUR, HOUR, 4 * HOUR, DAY, 2 * DAY, 3 * DAY, 4 * DAY, 7 * DAY, 14 * DAY, undefined]);
  });

  it('warns when parse success is under 96% for 5 minutes, and rolls back under 95%', () => {
    const canary = phase(profile, 'canary-5');
    const [warn, rollback] = rules(canary, 'parse_success');
    expect(warn).toMatchObject({ warn: { op: '<', threshold: 0.96, text: '< 96%' }, forMs: 5 * MINUTE });
    expect(rollback).toMatchObject({ rollback: { op: '<', threshold: 0.95 }, forMs: 0 });
  });

  it('holds on parse success under 96% for 5 minutes and calls for a rollback under 95%', () => {
    const now = Date.now();
    const parse = (value: number) => judge(profile, 'canary-5', { parse_success: answered(minutely(now, 20, (m) => (m >= 13 ? value : 0.99), 500)) }, now);
    const low = parse(0.955);
    expect(low.decision).toBe('HOLD');
    expect(low.metrics.find((m) => m.id === 'parse_success')!.state).toBe('warn');
    const lower = parse(0.94);
    expect(lower.decision).toBe('ROLLBACK');
    expect(lower.autoRollback).toBeUndefined();
  });

  it('holds at 1% on 2 failed calls of the first 12 instead of rolling back, and rolls back once 200 calls show 10% errors', () => {
    const now = Date.now();
    const errors = (rate: number, n: number) => judge(profile, 'internal', { error_rate: answered(minutely(now, 0, () => rate, n), minutely(now, 0, () => 0.01, 2000)) }, now);
    const few = errors(2 / 12, 12);
    expect(few.decision).toBe('HOLD');
    // The warning (no minimum of its own) is pending; the rollback rule waits for 50 calls.
    expect(few.metrics.find((m) => m.id === 'error_rate')).toMatchObject({ samples: { n: 12, min: 50, name: 'calls' } });
    expect(few.autoRollback).toBeUndefined();
    const many = errors(0.1, 200);
    expect(many.decision).toBe('ROLLBACK');
  });

  it('alerts on median latency over 2500ms for 10 minutes and errors over 3% for 5, rolling back at 3000ms and 5%', () => {
    const canary = phase(profile, 'canary-5');
    expect(rules(canary, 'median_latency').map((r) => [r.warn?.text ?? r.rollback?.text, r.forMs])).toEqual([
      ['> 2500ms', 10 * MINUTE],
      ['> 3000ms', 0],
      ['> 1.2x baseline significant', 0],
    ]);
    expect(rules(canary, 'error_rate').map((r) => [r.warn?.text ?? r.rollback?.text, r.forMs])).toEqual([
      ['> 3%', 5 * MINUTE],
      ['> 5%', 0],
      ['> 2x baseline significant', 0],
    ]);
    expect(rules(canary, 'critical_reports')[0]!.rollback?.text).toBe('> 3');
    expect(profile.metrics.critical_reports!.windowMs).toBe(DAY);
  });

  it("reads its SQL over the plan's hour, the error rate over 5 minutes and critical reports over a day", () => {
    const windows = Object.fromEntries(Object.values(profile.metrics).filter((m) => m.source === 'telemetry').map((m) => [m.id, m.windowMs]));
    expect(windows).toMatchObject({ parse_success: HOUR, median_latency: HOUR, requests: HOUR, error_rate: 5 * MINUTE, critical_reports: DAY });
    for (const [id, ms] of Object.entries(windows)) if (id !== 'error_rate' && id !== 'critical_reports') expect(ms, id).toBe(HOUR);
  });

  it('measures median latency as the median of the latency_ms rows (the plan\'s PERCENTILE_CONT(0.5)), simple against legacy', () => {
    expect(sql(profile, 'median_latency')).toMatch(/SELECT model_path, latency_ms AS value\s+FROM telemetry_logs/);
    expect(profile.metrics.median_latency!.raw).toEqual({ statistic: 'median', quantile: 0.5, maxRows: 100_000 });
    expect(sql(profile, 'legacy_median_latency')).toMatch(/PERCENTILE_CONT\(0\.5\) WITHIN GROUP \(ORDER BY latency_ms\) AS value\s+FROM telemetry_logs[\s\S]*GROUP BY model_path/);
    expect(profile.metrics.median_latency).toMatchObject({ select: { model_path: 'simple' }, baseline: { kind: 'select', labels: { model_path: 'legacy' } } });
  });

  it('requires every success criterion for 24 hours at 5% before moving on', () => {
    const canary = phase(profile, 'canary-5');
    expect(criteria(canary)).toEqual(['parse_success >= 98%', 'median_latency < 2000ms', 'error_rate < 2%', 'acceptance_rate >= 85%']);
    expect(canary.holdMs).toBe(DAY);
  });

  it('rolls back with kubectl, reduces to 5% through Flagsmith, and promotes by percentage', () => {
    expect(profile.actions.rollback!.run).toEqual(['kubectl', 'patch', 'configmap', 'ilana-config', '--patch', '{"data":{"USE_SIMPLE_AZURE_PROMPT":"false"}}']);
    expect(profile.actions['restart-backend']!.run).toEqual(['kubectl', 'rollout', 'restart', 'deployment/ilana-backend']);
    expect(profile.actions.rollback!.then).toBe('restart-backend');
    expect(profile.actions['reduce-to-5']!.run.at(-1)).toContain('"percentage_allocation":5}');
    expect(profile.actions['reduce-to-5']).toMatchObject({ effect: 'traffic', traffic: 5 });
    expect(profile.actions.promote!.run.at(-1)).toContain('"percentage_allocation":{{next.traffic}}}');
    expect(profile.actions['full-rollback']).toMatchObject({ effect: 'rollback', then: 'undo-deployment' });
  });

  it('leaves a rolled-back rollout deployed but disabled', () => {
    expect(profile.rollbackTo).toEqual({ phase: 1, traffic: 0 });
  });
});

describe('the seed SQL on PostgreSQL with the plans’ tables', () => {
  let db: TestPostgres;
  const now = Date.now();

  beforeAll(async () => {
    db = await startPostgres();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Seed 000's table as the plan defines it; telemetry_logs and user_reports as the profiles read them.
    await client.query(`
      CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
      ${PIPELINE_USAGE_LOGS}
      CREATE TABLE telemetry_logs (
        model_path TEXT NOT NULL,
        event TEXT NOT NULL,
        parse_success BOOLEAN,
        latency_ms INTEGER,
        suggestion_count INTEGER,
        timestamp TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE user_reports (severity TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);`);
    const at = (secondsAgo: number) => new Date(now - secondsAgo * SECOND).toISOString();
    for (let i = 1; i <= 40; i++) {
      await client.query(
        'INSERT INTO pipeline_usage_logs (user_id, pipeline_type, success, response_time_ms, error_message, created_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)',
        [i % 2 ? 'phoenix' : 'legacy', i % 5 !== 0, 1000 + i * 10, i % 5 === 0 ? 'timeout' : null, at(i * 20)],
      );
      await client.query(
        'INSERT INTO telemetry_logs (model_path, event, parse_success, latency_ms, suggestion_count, timestamp) VALUES ($1, $2, $3, $4, $5, $6)',
        [i % 2 ? 'simple' : 'legacy', i % 20 === 0 ? 'MODEL_CALL_ERROR' : 'MODEL_CALL_SUCCESS', i % 25 !== 0, 800 + i * 10, i % 4, at(i * 10)],
      );
      await client.query('INSERT INTO telemetry_logs (model_path, event, timestamp) VALUES ($1, $2, $3)', [
        i % 2 ? 'simple' : 'legacy',
        i % 7 === 0 ? 'SUGGESTION_IGNORED' : 'SUGGESTION_ACCEPTED',
        at(i * 10),
      ]);
    }
    await client.query("INSERT INTO user_reports VALUES ('critical', $1), ('critical', $2), ('minor', $2)", [at(60), at(3600)]);
    await client.end();
  });

  afterAll(async () => {
    await db?.stop();
  });

  const postgresSeeds = [SEEDS.phoenix, SEEDS.farmers, SEEDS.admin, SEEDS.simple];

  it.each(postgresSeeds)('%s: every SQL metric answers, with the series its select and baseline pick', async (file) => {
    const url = db.url;
    const profile = await seed(file, { PHOENIX_DATABASE_URL: url, TELEMETRY_DATABASE_URL: url, DATABASE_URL: url, ADMIN_DATABASE_URL: url });
    const sources = createSources(profile, { clock: realClock });
    try {
      const ids = profile.metricIds.filter((id) => profile.sources[profile.metrics[id]!.source]!.type === 'postgres');
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const metric = profile.metrics[id]!;
        const answer = await sources.get(metric.source)!.instant({ metric, query: metric.query, time: now, signal: new AbortController().signal });
        const labels = answer.series.map((s) => s.labels);
        if (metric.select) expect(labels, id).toContainEqual(metric.select);
        if (metric.baseline?.kind === 'select') expect(labels, id).toContainEqual(metric.baseline.labels);
        // A raw metric answers its rows (summarised by the poller), anything else one number per series.
        for (const s of answer.series) {
          if (metric.raw) expect(s.rows!.length > 0 && s.rows!.every(Number.isFinite), id).toBe(true);
          else expect(Number.isFinite(s.points[0]!.v), id).toBe(true);
        }
      }
    } finally {
      await closeSources(sources);
    }
  });

  it('counts the critical user reports of the last 24 hours only', async () => {
    const profile = await seed(SEEDS.simple, { TELEMETRY_DATABASE_URL: db.url });
    const sources = createSources(profile, { clock: realClock });
    try {
      const metric = profile.metrics.critical_reports!;
      const answer = await sources.get('telemetry')!.instant({ metric, query: metric.query, time: now, signal: new AbortController().signal });
      expect(answer.series.map((s) => s.points[0]!.v)).toEqual([2]);
    } finally {
      await closeSources(sources);
    }
  });
});

describe('the seed shell pipelines, with fake curl and kubectl on PATH', () => {
  let dir: string;
  const path = process.env.PATH;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rollcall-seed-fakes-'));
    const fake = async (name: string, script: string) => {
      await writeFile(join(dir, name), `#!/bin/sh\n# A fake ${name}: the real one needs a network this test does not have.\n${script}`);
      await chmod(join(dir, name), 0o755);
    };
    await fake(
      'curl',
      `case "$*" in
  *"/info"*) printf '%s' '{"result":"# Memory\\r\\nused_memory:900000\\r\\nmaxmemory:1000000\\r\\n# Stats\\r\\nkeyspace_hits:300\\r\\nkeyspace_misses:100\\r\\n"}' ;;
  *"field=feature&field=count()"*) printf '%s' '{"data":[{"feature":"admin-workbench","count()":30},{"feature":"","count()":90}]}' ;;
  *) echo "fake curl: unexpected request" >&2; exit 22 ;;
esac
`,
    );
    await fake(
      'kubectl',
      `case "$ROLLCALL_FAKE_KUBECTL" in
  down) echo 'The connection to the server localhost:8080 was refused - did you specify the right host or port?' >&2; exit 1 ;;
  empty) printf 'postgres-0   500m   2048Mi\\n' ;;
  *) printf 'ilana-backend-5d8f-abcde   120m   256Mi\\nilana-backend-5d8f-fghij   80m   300Mi\\npostgres-0   500m   2048Mi\\n' ;;
esac
`,
    );
    process.env.PATH = `${dir}:${path}`;
  });

  afterAll(async () => {
    process.env.PATH = path;
    await rm(dir, { recursive: true, force: true });
  });

  async function read(file: string, metricIds: string[], env: Record<string, string> = {}): Promise<Record<string, number[]>> {
    const profile = await seed(file, env);
    const sources = createSources(profile, { clock: realClock });
    try {
      const out: Record<string, number[]> = {};
      for (const id of metricIds) {
        const metric = profile.metrics[id]!;
        const answer = await sources.get(metric.source)!.instant({ metric, query: metric.query, time: Date.now(), signal: new AbortController().signal });
        out[id] = answer.series.map((s) => s.points[0]!.v);
      }
      return out;
    } finally {
      await closeSources(sources);
    }
  }

  it("turns Upstash's INFO text into memory and hit ratios", async () => {
    const values = await read(SEEDS.farmers, ['redis_memory', 'redis_hit_rate'], {
      UPSTASH_REDIS_REST_URL: 'https://example-redis.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'upstash-token-0123456789',
    });
    expect(values).toEqual({ redis_memory: [0.9], redis_hit_rate: [0.75] });
  });

  it("turns Sentry's page loads grouped by feature into the workbench's share", async () => {
    const values = await read(SEEDS.admin, ['adoption'], { SENTRY_ORG: 'acme', SENTRY_PROJECT_ID: '42', SENTRY_AUTH_TOKEN: 'sentry-token-0123456789' });
    expect(values).toEqual({ adoption: [0.25] });
  });

  it('sums the memory and CPU of the ilana-backend pods from kubectl top', async () => {
    const values = await read(SEEDS.simple, ['backend_memory', 'backend_cpu']);
    expect(values).toEqual({ backend_memory: [556 * 1024 * 1024], backend_cpu: [0.2] });
  });

  it('makes kubectl top without a cluster an error carrying its message, never 0B', async () => {
    process.env.ROLLCALL_FAKE_KUBECTL = 'down';
    try {
      await expect(read(SEEDS.simple, ['backend_memory'])).rejects.toMatchObject({
        kind: 'exit',
        reason: 'exit 1: The connection to the server localhost:8080 was refused - did you specify the right host or port? (kubectl)',
      });
    } finally {
      delete process.env.ROLLCALL_FAKE_KUBECTL;
    }
  });

  it('makes a kubectl top that lists no backend pod an error, never 0', async () => {
    process.env.ROLLCALL_FAKE_KUBECTL = 'empty';
    try {
      await expect(read(SEEDS.simple, ['backend_cpu'])).rejects.toMatchObject({ kind: 'parse', reason: 'printed nothing on stdout (kubectl)' });
    } finally {
      delete process.env.ROLLCALL_FAKE_KUBECTL;
    }
  });
});
