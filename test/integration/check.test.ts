// `rollcall check` and `rollcall report` end to end: the built CLI as a child process, against a
// real Prometheus scraping a small local service and a real PostgreSQL holding the seed 000
// telemetry table. Incidents are injected into the canary track; the exit code and the reasons
// must say so.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog } from '../../src/actions/audit.js';
import { openStateStore, statePath } from '../../src/actions/state-store.js';
import { promoted, rolledBack } from '../../src/engine/state.js';
import { rollbackChecklistTicked } from '../../src/engine/checklist.js';
import { parseProfile } from '../../src/profile/load.js';
import type { CheckReport } from '../../src/commands/check-format.js';
import type { Review } from '../../src/commands/review.js';
import { ensureBuilt, onlyEnv, runCli, type CliResult } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';

// ── the service Prometheus scrapes: a stable track, a healthy canary, and a canary in trouble ──

const TRACKS = { stable: 0.003, canary: 0.005, 'canary-incident': 0.08 } as const;
const PER_SCRAPE = 1_000;
let scrapes = 0;

function exposition(): string {
  scrapes++;
  const lines = ['# TYPE app_requests_total counter'];
  for (const track of Object.keys(TRACKS)) lines.push(`app_requests_total{track="${track}"} ${scrapes * PER_SCRAPE}`);
  lines.push('# TYPE app_errors_total counter');
  for (const [track, share] of Object.entries(TRACKS)) lines.push(`app_errors_total{track="${track}"} ${Math.round(scrapes * PER_SCRAPE * share)}`);
  return `${lines.join('\n')}\n`;
}

const errorRate = (track: string) =>
  `sum(rate(app_errors_total{track="${track}"}[5s])) / sum(rate(app_requests_total{track="${track}"}[5s]))`;

/** A profile on the seed 002 / seed 000 thresholds, with the canary track and pipeline chosen. */
function profileText(canary: { track: string; pipeline: string }): string {
  return `
name: checkout-it
title: Checkout canary (integration)
sources:
  prom: { type: prometheus, url: "\${PROMETHEUS_URL}" }
  telemetry: { type: postgres, url: "\${TELEMETRY_DATABASE_URL}" }
metrics:
  error_rate:
    source: prom
    query: '${errorRate(canary.track)}'
    unit: ratio
    interval: 1s
    baseline: { query: '${errorRate('stable')}' }
  success_rate:
    source: telemetry
    query: "SELECT avg(CASE WHEN success THEN 1.0 ELSE 0.0 END) FROM pipeline_usage_logs WHERE pipeline_type = '${canary.pipeline}' AND created_at > $1::timestamptz AND created_at <= $2::timestamptz"
    unit: ratio
    interval: 5s
    window: 1h
    baseline: { query: "SELECT avg(CASE WHEN success THEN 1.0 ELSE 0.0 END) FROM pipeline_usage_logs WHERE pipeline_type = 'legacy' AND created_at > $1::timestamptz AND created_at <= $2::timestamptz" }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%", for: 5s }
  - { metric: success_rate, warn: "< -3% baseline", rollback: "< -5% baseline" }
phases:
  - { name: canary, traffic: 5, duration: 1w }
  - { name: full, traffic: 100 }
`;
}

let service: TestHttpServer;
let prometheus: TestPrometheus | undefined;
let postgres: TestPostgres;
let work: string;
let env: Record<string, string>;

async function writeProfile(name: string, text: string): Promise<string> {
  const file = join(work, name);
  await writeFile(file, text);
  return file;
}

/** The built CLI with the suite's environment only (plus `extraEnv`), none of the test runner's. */
function rollcall(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { env: onlyEnv({ ...env, ...extraEnv }) });
}

/** Waits until Prometheus has answered the query on every second of the last `seconds`. */
async function untilPrometheusHas(query: string, seconds: number): Promise<void> {
  const probe = `count_over_time((${query})[${seconds}s:1s])`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(probe)}`);
    const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
    const count = Number(body.data.result[0]?.value[1] ?? 0);
    if (count >= seconds) return;
    if (Date.now() > deadline) throw new Error(`Prometheus never held ${probe}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'rollcall-check-'));
  service = await startHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition());
  });
  postgres = await startPostgres();
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  await db.query(`CREATE TABLE pipeline_usage_logs (
    id serial PRIMARY KEY, user_id int NOT NULL, pipeline_type varchar(20) NOT NULL,
    success boolean NOT NULL, response_time_ms integer, error_message text, created_at timestamptz DEFAULT now())`);
  // Half an hour of traffic (inside the metric's 1h window for as long as the suite runs): legacy
  // and phoenix succeed 99% of the time, phoenix-incident only 80%.
  await db.query(`INSERT INTO pipeline_usage_logs (user_id, pipeline_type, success, response_time_ms, created_at)
    SELECT n, p.type, (n % 100) >= p.failures, 200, now() - (n || ' seconds')::interval
    FROM generate_series(1, 1800) AS n,
         (VALUES ('legacy', 1), ('phoenix', 1), ('phoenix-incident', 20)) AS p(type, failures)`);
  await db.end();
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${service.port}`], scrapeIntervalS: 1 });
  env = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    XDG_STATE_HOME: join(work, 'state'),
    PROMETHEUS_URL: prometheus?.url ?? 'http://127.0.0.1:9',
    TELEMETRY_DATABASE_URL: postgres.url,
  };
  if (prometheus) {
    // Every track has answered for longer than the longest `for` plus the rate window.
    await untilPrometheusHas(errorRate('canary-incident'), 8);
  }
});

afterAll(async () => {
  await prometheus?.stop();
  await postgres?.stop();
  await service?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Without the Prometheus binary (and without ROLLCALL_REQUIRE_PROMETHEUS=1) these are skipped, loudly. */
function needsPrometheus(ctx: { skip: (note?: string) => void }): void {
  if (!prometheus) ctx.skip('prometheus binary not found');
}

describe('rollcall check', () => {
  it('exits 0 on healthy data, judging every metric against its baseline', async (ctx) => {
    needsPrometheus(ctx);
    const file = await writeProfile('healthy.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }));
    const run = await rollcall(['check', file, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report).toMatchObject({ version: 1, decision: 'SOAK', exitCode: 0, phase: { name: 'canary', index: 0, count: 2 } });
    expect(report.metrics.map((m) => [m.id, m.state])).toEqual([['error_rate', 'ok'], ['success_rate', 'ok']]);
    expect(report.metrics[0]!.value).toBeCloseTo(0.005, 3);
    expect(report.metrics[0]!.baseline).toBeCloseTo(0.003, 3);
    expect(report.metrics[1]).toMatchObject({ valueText: '99%', baselineText: '99%' });
    expect(report.sources).toEqual([
      { id: 'prom', type: 'prometheus', reachable: true },
      { id: 'telemetry', type: 'postgres', reachable: true },
    ]);
  });

  it('exits 2 when the canary error rate has been above 2% for its `for`, naming the metric', async (ctx) => {
    needsPrometheus(ctx);
    const file = await writeProfile('incident.yaml', profileText({ track: 'canary-incident', pipeline: 'phoenix' }));
    const run = await rollcall(['check', file]);
    expect(run.code).toBe(2);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('ROLLBACK');
    // The history was backfilled: the 5s `for` is already served, not pending.
    expect(run.stdout).toMatch(/ {2}- error_rate 8% > 2% for \d+s \(rollback\)/);
    expect(run.stdout).toMatch(/^error_rate +8% +0\.3% +breach +warn > 1%, rollback > 2%$/m);
  });

  it('exits 2 when the canary pipeline succeeds less than its legacy baseline', async (ctx) => {
    needsPrometheus(ctx);
    const file = await writeProfile('pipeline.yaml', profileText({ track: 'canary', pipeline: 'phoenix-incident' }));
    const run = await rollcall(['check', file, '--format', 'markdown']);
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')[0]).toMatch(/^\*\*ROLLBACK\*\* — Checkout canary \(integration\) · phase 1\/2 canary \(5%\)/);
    expect(run.stdout).toContain('\n- success_rate 80% < -5% baseline (94%) (rollback)\n');
    expect(run.stdout).toContain(
      '\n- `success_rate` 80%, baseline 99% — **breach** (warn < -3% baseline (96%), rollback < -5% baseline (94%))\n',
    );
  });

  it('never takes the console lock nor changes the rollout state', async (ctx) => {
    needsPrometheus(ctx);
    const file = await writeProfile('locked.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }));
    const { profile } = parseProfile(await readFile(file, 'utf8'), file, { env });
    const console = await openStateStore(profile, { dir: join(work, 'state', 'rollcall') });
    try {
      await console.update((s) => promoted(s, Date.now(), 'alice@bastion', profile.phases.length));
      const before = await readFile(statePath(profile, join(work, 'state', 'rollcall')), 'utf8');
      const run = await rollcall(['check', file, '--format', 'json', '--phase', 'canary']);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as CheckReport;
      expect(report.phase.name).toBe('canary');
      expect(report.notices).toEqual(['judged as if in phase canary; the rollout is in full']);
      expect(await readFile(statePath(profile, join(work, 'state', 'rollcall')), 'utf8')).toBe(before);
      expect(console.readOnly).toBe(false);
    } finally {
      await console.close();
    }
  });

  it('exits 4 when every source is unreachable, saying which and why', async () => {
    const promPort = await freePort();
    const pgPort = await freePort();
    const file = await writeProfile('unreachable.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }));
    const run = await rollcall(['check', file, '--format', 'json'], {
      PROMETHEUS_URL: `http://127.0.0.1:${promPort}`,
      TELEMETRY_DATABASE_URL: `postgres://rollcall:hunter2secret@127.0.0.1:${pgPort}/telemetry`,
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^rollcall check: every source is unreachable \(prom: .*127\.0\.0\.1:\d+.*; telemetry: .*127\.0\.0\.1:\d+.*\)\n$/);
    expect(run.stderr + run.stdout).not.toContain('hunter2secret');
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.exitCode).toBe(4);
    expect(report.decision).toBe('HOLD');
    expect(report.sources.map((s) => s.reachable)).toEqual([false, false]);
  });

  it('exits 3 with one clear line for a phase the profile does not have', async () => {
    const file = await writeProfile('phase.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }));
    const run = await rollcall(['check', file, '--phase', 'ramp-50']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('rollcall check: --phase: no phase named "ramp-50" in checkout-it; phases: canary, full\n');
    expect(run.stdout).toBe('');
  });

  it('exits 3 for a profile that does not load, printing where and what', async () => {
    const file = await writeProfile('broken.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }).replace('for: 5s', 'for: soon'));
    const run = await rollcall(['check', file]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/broken\.yaml:\d+:\d+: rules\[0\]\.for: .*"soon" is not a duration/);
  });
});

describe('rollcall report', () => {
  it('reviews the window: statistics, the breach, phase moves and actions', async (ctx) => {
    needsPrometheus(ctx);
    const file = await writeProfile('review.yaml', profileText({ track: 'canary-incident', pipeline: 'phoenix' }));
    const { profile } = parseProfile(await readFile(file, 'utf8'), file, { env });
    const stateDir = join(work, 'review-state');
    const store = await openStateStore(profile, { dir: stateDir });
    await store.update((s) => promoted(s, Date.now() - 1_000, 'alice@bastion', profile.phases.length));
    await store.close();
    const audit = await AuditLog.open(join(stateDir, 'checkout-it.audit.jsonl'));
    await audit.append({
      time: new Date(Date.now() - 1_000).toISOString(), event: 'action', user: 'alice', host: 'bastion',
      profile: 'checkout-it', phase: 'canary', action: 'promote', argv: ['flagctl', 'set', '100'], exitCode: 0, ok: true,
    });
    await audit.close();

    const run = await rollcall(['report', file, '--since', '1m', '--format', 'json', '--state-dir', stateDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const review = JSON.parse(run.stdout) as Review;
    expect(review.now.decision).toBe('ROLLBACK');
    const errors = review.metrics.find((m) => m.id === 'error_rate')!;
    expect(errors.groups[0]!.canary.samples).toBeGreaterThan(5);
    expect(errors.groups[0]!.canary.median).toBeCloseTo(0.08, 2);
    expect(errors.breachMs).toBeGreaterThan(0);
    expect(errors.breaches.at(-1)).toMatchObject({ reason: expect.stringMatching(/^error_rate 8% > 2% for \d+s \(rollback\)$/) });
    expect(review.phaseMoves).toEqual([expect.objectContaining({ from: 'canary', to: 'full', by: 'alice@bastion', reason: 'promote' })]);
    expect(review.actions).toEqual([expect.objectContaining({ event: 'action', action: 'promote', user: 'alice', ok: true })]);

    const text = await rollcall(['report', file, '--since', '1m', '--state-dir', stateDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\*\*1m review\*\* — Checkout canary \(integration\) \(checkout-it\)$/m);
    expect(text.stdout).toMatch(/^- .* canary → full by alice@bastion \(promote\)$/m);
  });

  it('lists the rollback checklist, ticked and not, while the rollout is rolled back', async (ctx) => {
    needsPrometheus(ctx);
    const checklist = 'rollbackChecklist:\n  - Post in the incident channel\n  - group: Immediate\n    items: [Verify stable serves all traffic]\n';
    const file = await writeProfile('review-rollback.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }) + checklist);
    const { profile } = parseProfile(await readFile(file, 'utf8'), file, { env });
    const stateDir = join(work, 'review-rollback-state');
    const store = await openStateStore(profile, { dir: stateDir });
    await store.update((s) => rolledBack(s, Date.now() - 2_000, 'alice@bastion', profile.rollbackTo));
    await store.update((s) => rollbackChecklistTicked(s, 'Post in the incident channel', { by: 'alice@bastion', at: Date.now() - 1_000 }));
    await store.close();

    const run = await rollcall(['report', file, '--since', '1m', '--state-dir', stateDir]);
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(/^\*\*After rollback\*\* 1\/2$/m);
    expect(run.stdout).toMatch(/^- \[x\] Post in the incident channel — alice@bastion$/m);
    expect(run.stdout).toMatch(/^- Immediate\n  - \[ \] Verify stable serves all traffic$/m);
    const json = JSON.parse((await rollcall(['report', file, '--since', '1m', '--format', 'json', '--state-dir', stateDir])).stdout) as Review;
    expect(json.rollbackChecklist?.map((c) => [c.item, c.checked])).toEqual([
      ['Post in the incident channel', true],
      ['Verify stable serves all traffic', false],
    ]);
  });

  it('lists the step a warning escalated to, once, under its metric', async (ctx) => {
    needsPrometheus(ctx);
    const text = profileText({ track: 'canary-incident', pipeline: 'phoenix' })
      .replace('{ metric: error_rate, warn: "> 1%", rollback: "> 2%", for: 5s }', '{ metric: error_rate, warn: "> 1%", for: 1s, escalate: [{ after: 3s, to: reduce }] }')
      .concat('actions:\n  reduce: { key: d, run: ["true"], effect: { traffic: 1 } }\n');
    const file = await writeProfile('review-escalation.yaml', text);
    const run = await rollcall(['report', file, '--since', '1m', '--format', 'json', '--state-dir', join(work, 'review-escalation-state')]);
    expect(run.stderr).toBe('');
    const review = JSON.parse(run.stdout) as Review;
    const errors = review.metrics.find((m) => m.id === 'error_rate')!;
    expect(errors.warnMs).toBeGreaterThan(0);
    expect(errors.escalations).toEqual([{ at: expect.any(String), to: 'reduce', key: 'd' }]);
    const markdown = await rollcall(['report', file, '--since', '1m', '--state-dir', join(work, 'review-escalation-state')]);
    expect(markdown.stdout).toMatch(/^  - escalated to reduce \(key d\) at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
  });

  it('refuses a --since that is not a duration', async () => {
    const file = await writeProfile('since.yaml', profileText({ track: 'canary', pipeline: 'phoenix' }));
    const run = await rollcall(['report', file, '--since', 'yesterday']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^rollcall report: --since: "yesterday" is not a duration; use /);
  });
});
