// Escalation timers (seed 000: "if not resolved in 2 hours … in 1 hour"): a warning that stays
// unresolved escalates, first to a named action (reduce the rollout), then to rollback. Judged on
// the engine's clock, so hours pass in a test without waiting.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { judgementWindowMs } from '../../src/engine/phases.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { initialState } from '../../src/engine/state.js';
import type { MetricSeries, Point } from '../../src/engine/types.js';
import { buildModel, frameText } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi } from '../../src/view/ui.js';
import { formatCheckMarkdown, formatCheckText, toCheckReport } from '../../src/commands/check-format.js';
import { consoleState, NOW, snapshot, status } from '../fixtures/console/state.js';
import { SampleView } from '../../src/engine/sample-view.js';

const FILE = 'profiles/checkout.yaml';
const M = 60_000;
const H = 60 * M;

function yaml(rule: string, actions = '  reduce: { key: d, run: [flagctl, "5"], effect: { traffic: 5 } }\n'): string {
  return `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "sum(rate(errors_total[5m]))", unit: ratio, interval: 1m }
rules:
${rule}phases:
  - { name: canary, traffic: 25 }
actions:
${actions}`;
}

const RULE = `  - metric: error_rate
    warn: "> 2%"
    rollback: "> 5%"
    escalate:
      - { after: 2h, to: reduce }
      - { after: 3h, to: rollback }
`;

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

describe('escalate: in a profile', () => {
  it('compiles one step or a list, in order', () => {
    const { profile } = parseProfile(yaml(RULE), FILE, { env: {} });
    expect(profile.phases[0]!.rules[0]!.escalate).toEqual([{ afterMs: 2 * H, to: 'reduce' }, { afterMs: 3 * H, to: 'rollback' }]);
    const single = parseProfile(yaml('  - { metric: error_rate, warn: "> 2%", escalate: { after: 1h, to: rollback } }\n'), FILE, { env: {} }).profile;
    expect(single.phases[0]!.rules[0]!.escalate).toEqual([{ afterMs: H, to: 'rollback' }]);
  });

  it('rejects an unknown action with the nearest one, at to:', () => {
    expect(lines(yaml(RULE.replace('to: reduce', 'to: redcue')))).toEqual([
      `${FILE}:11:26: rules[0].escalate[0].to: unknown action "redcue" (did you mean "reduce"?); escalate to rollback or to one of the actions: rollback, reduce`,
    ]);
  });

  it('rejects a step that does not come after the one before', () => {
    expect(lines(yaml(RULE.replace('after: 3h', 'after: 90m')))).toEqual([
      `${FILE}:12:18: rules[0].escalate[1].after: each step must come later than the one before: 1h30m is not after 2h (both count from when the warning fired)`,
    ]);
  });

  it('needs a warning to escalate from', () => {
    expect(lines(yaml('  - { metric: error_rate, rollback: "> 5%", escalate: { after: 1h, to: rollback } }\n'))).toEqual([
      `${FILE}:7:55: rules[0].escalate: escalate: needs a warn: condition on the rule for error_rate; it escalates a warning that is not resolved in time`,
    ]);
  });

  it('refuses to escalate a warning into a promote', () => {
    const text = yaml('  - { metric: error_rate, warn: "> 2%", escalate: { after: 1h, to: promote } }\n', '  promote: { run: [flagctl, "50"] }\n');
    expect(lines(text)).toEqual([
      `${FILE}:7:68: rules[0].escalate.to: a warning cannot escalate to "promote": it promotes; escalate to rollback or to an action such as a partial rollback`,
    ]);
  });

  it('keeps the samples the longest escalation needs, and check backfills that far', () => {
    const { profile } = parseProfile(yaml(RULE), FILE, { env: {} });
    expect(profile.metrics.error_rate!.capacity).toBeGreaterThanOrEqual(3 * 60);
    expect(judgementWindowMs(profile, profile.phases[0]!, 0, 0)).toBeGreaterThanOrEqual(3 * H);
  });
});

describe('an unresolved warning on the engine’s clock', () => {
  const { profile } = parseProfile(yaml(RULE), FILE, { env: {} });
  const clock = new VirtualClock(Date.UTC(2026, 0, 5, 9, 0));
  const start = clock.now();
  const state = initialState(profile.name, start);
  const points: Point[] = [];
  /** One sample a minute up to the clock's now: healthy, then 3% from `warnFrom` on. */
  const judge = async (advanceMs: number, warnFrom: number, until = Infinity) => {
    await clock.advance(advanceMs);
    points.length = 0;
    for (let t = start; t <= clock.now(); t += M) points.push({ t, v: t >= start + warnFrom && t < start + until ? 0.03 : 0.01 });
    const series: MetricSeries = { groups: [{ key: '', canary: SampleView.of(points), baseline: SampleView.EMPTY }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: clock.now(), lastGoodAt: clock.now() };
    return evaluate(profile, state, { error_rate: series }, clock.now());
  };

  it('counts down to the first step while the warning fires', async () => {
    const snap = await judge(60 * M, 30 * M);
    const m = snap.metrics[0]!;
    expect(m.state).toBe('warn');
    expect(m.escalation).toEqual({ next: { to: 'reduce', at: start + 30 * M + 2 * H, remainingMs: 90 * M } });
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('error_rate 3% > 2% (warn)');
  });

  it('escalates to the action after 2h, names its key, and counts down to rollback', async () => {
    const snap = await judge(90 * M, 30 * M);
    const m = snap.metrics[0]!;
    expect(m.state).toBe('warn');
    expect(m.escalation).toEqual({ reached: { to: 'reduce', at: start + 150 * M, key: 'd' }, next: { to: 'rollback', at: start + 210 * M, remainingMs: H } });
    expect(snap.decision).toBe('HOLD');
    expect(snap.reasons[0]).toBe('error_rate 3% > 2% (warn unresolved for 2h: escalated to reduce)');
  });

  it('makes the decision ROLLBACK 3h after the warning fired, without an automatic rollback', async () => {
    const snap = await judge(H, 30 * M);
    const m = snap.metrics[0]!;
    expect(m.state).toBe('breach');
    expect(snap.decision).toBe('ROLLBACK');
    expect(snap.reasons[0]).toBe('error_rate 3% > 2% (warn unresolved for 3h: escalated to rollback)');
    expect(m.since).toBe(start + 210 * M);
    expect(snap.autoRollback).toBeUndefined();
  });

  it('starts again from nothing once the warning clears', async () => {
    const snap = await judge(M, 30 * M, 211 * M);
    expect(snap.metrics[0]!.state).toBe('ok');
    expect(snap.metrics[0]!.escalation).toBeUndefined();
    expect(snap.decision).not.toBe('ROLLBACK');
  });
});

describe('escalation on screen and in check', () => {
  const counting = consoleState({
    snapshot: snapshot({
      decision: 'HOLD',
      reasons: ['error_rate 3% > 2% (warn)'],
      metrics: [status('error_rate', { state: 'warn', value: 0.03, escalation: { next: { to: 'reduce', at: NOW + 72 * M, remainingMs: 72 * M } } })],
    }),
  });
  const escalated = consoleState({
    snapshot: snapshot({
      decision: 'HOLD',
      reasons: ['error_rate 3% > 2% (warn unresolved for 2h: escalated to reduce)'],
      metrics: [
        status('error_rate', {
          state: 'warn',
          value: 0.03,
          escalation: { reached: { to: 'reduce', at: NOW - 5 * M, key: 'd' }, next: { to: 'rollback', at: NOW + 55 * M, remainingMs: 55 * M } },
        }),
      ],
    }),
  });
  const frame = (state: typeof counting) =>
    frameText(buildModel({ state, live: state, ui: initialUi, size: { columns: 120, rows: 30 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} }));

  it('shows the countdown to escalation on the metric row', () => {
    expect(frame(counting).find((l) => l.includes('error rate'))).toContain('escalates to reduce in 1h12m');
  });

  it('shows the step reached, its key, and the countdown to the next', () => {
    const row = frame(escalated).find((l) => l.includes('error rate'))!;
    expect(row).toContain('escalated: reduce (d); rollback in 55m');
  });

  it('reports both in check', () => {
    const report = toCheckReport(escalated.profile, escalated.snapshot, { exitCode: 1, sources: [], notices: [] });
    expect(report.metrics[0]!.escalation).toEqual({
      reached: { to: 'reduce', at: new Date(NOW - 5 * M).toISOString(), key: 'd' },
      next: { to: 'rollback', at: new Date(NOW + 55 * M).toISOString(), remainingMs: 55 * M },
    });
    const text = formatCheckText(report);
    expect(text).toContain('  error_rate: escalated to reduce (key d) at 2026-03-10 14:00 UTC');
    expect(text).toContain('  error_rate: escalates to rollback at 2026-03-10 15:00 UTC (in 55m) unless the warning clears');
    expect(formatCheckMarkdown(report)).toContain('*escalated to reduce (key d) at 2026-03-10 14:00 UTC*');
  });
});
