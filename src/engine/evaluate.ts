// evaluate(profile, state, series, now) → Snapshot: every metric judged against the current
// phase's rules, the phase's gates, and the decision with its reasons. Pure: the same inputs give
// the same snapshot, and samples later than `now` are ignored, so a report can replay history by
// calling it at earlier moments.

import { formatValue } from '../profile/units.js';
import type { Condition, Metric, Profile, Rule, Severity } from '../profile/types.js';
import type { RolloutState } from './state.js';
import type { ChecklistStatus, MetricStatus, SeriesSnapshot, Snapshot } from './types.js';
import { viewMetric, type MetricView, type Track } from './judge.js';
import { UNKNOWN } from './truth.js';
import { displayTrack, worstGroup } from './worst-group.js';
import { currentPhase, decide, phaseGate, spoken, type Level, type Reason } from './phases.js';
import { SEVERITIES, status, type Verdict } from './metric-status.js';
import { defaultRules, inForce } from './rules-in-force.js';
import { confidenceFor, describeTest, formatCount, shortOfSamples, significance, type RawContext, type Significance } from './evidence.js';
import type { RawSampleStore } from './raw-samples.js';

/** `raw`: the rows of raw metrics (the poller's), for their Mann–Whitney tests; without it those tests wait. */
export function evaluate(profile: Profile, state: RolloutState, series: SeriesSnapshot, now: number, raw?: RawSampleStore): Snapshot {
  const phase = currentPhase(profile, state);
  const byMetric = new Map<string, Rule[]>();
  for (const rule of phase.rules) {
    const rules = byMetric.get(rule.metric);
    if (rules) rules.push(rule);
    else byMetric.set(rule.metric, [rule]);
  }

  const views = new Map<string, MetricView>();
  const reasons: Reason[] = [];
  const metrics: MetricStatus[] = [];
  let auto: { metric: string; text: string; firedAt: number; graceMs: number } | undefined;
  const rows = raw ? { store: raw, phaseStartedAt: state.phaseStartedAt, now } : undefined;
  for (const id of profile.metricIds) {
    const view = viewMetric(profile.metrics[id]!, series[id], state.phaseStartedAt, now);
    views.set(id, view);
    const rules = byMetric.get(id) ?? defaultRules(profile, id);
    const verdicts = rules.map((rule) => judgeRule(inForce(rule, now - state.phaseStartedAt), view, now, rows));
    const worst = verdicts.reduce((a, b) => (worse(b, a) ? b : a));
    metrics.push(status(view, rules, worst, profile, now - state.phaseStartedAt));
    if (worst.level > 0 && worst.reason) reasons.push({ level: worst.level, rank: worst.rank, text: worst.reason });
    for (const v of verdicts) {
      if (v.auto && (!auto || v.auto.firedAt < auto.firedAt)) auto = { metric: id, ...v.auto };
    }
  }

  const gate = phaseGate(profile, phase, state, views, now);
  const decided = decide(profile, phase, [...reasons, ...gate.reasons]);
  return {
    at: now,
    profile: profile.name,
    decision: decided.decision,
    reasons: decided.reasons,
    metrics,
    phase: gate.status,
    ...(state.rolledBack
      ? { rolledBack: { at: state.rolledBack.at, traffic: state.rolledBack.traffic, phase: state.rolledBack.phase, by: state.rolledBack.by } }
      : {}),
    ...(state.traffic && !state.rolledBack ? { traffic: { ...state.traffic } } : {}),
    ...(state.rolledBack && (profile.rollbackChecklist?.length ?? 0) > 0
      ? { rollbackChecklist: rollbackChecklistStatus(profile, state.rolledBack.checklist ?? {}) }
      : {}),
    // Once rolled back there is nothing left to roll back automatically.
    ...(auto && !state.rolledBack ? { autoRollback: auto } : {}),
  };
}

function rollbackChecklistStatus(profile: Profile, ticks: Record<string, { by: string; at: number }>): ChecklistStatus[] {
  return (profile.rollbackChecklist ?? []).map(({ item, group }) => {
    const tick = ticks[item];
    return { item, ...(group !== undefined ? { group } : {}), checked: tick !== undefined, ...(tick ? { by: tick.by, at: tick.at } : {}) };
  });
}

const NODATA_LEVEL = { ok: 0, warn: 1, breach: 2 } as const;

function worse(a: Verdict, b: Verdict): boolean {
  return a.level !== b.level ? a.level > b.level : a.rank > b.rank;
}

function label(metric: Metric, track: Track | undefined): string {
  return metric.split && track && track.key !== '' ? `${metric.id} (${metric.split}=${track.key})` : metric.id;
}

function polls(n: number): string {
  return n === 1 ? '1 poll' : `${n} polls`;
}

function judgeRule(rule: Rule, view: MetricView, now: number, raw?: RawContext): Verdict {
  const { metric, series } = view;
  const errors = view.consecutiveErrors;
  if (errors >= rule.errorLimit) {
    const level: Level = rule.onError === 'rollback' ? 2 : 1;
    const body = `source failing for ${polls(errors)}: ${series?.lastError?.reason ?? 'unknown error'}`;
    return {
      level,
      state: 'error',
      rank: level === 2 ? 10 : 30,
      reason: `${metric.id} ${body}${level === 2 ? ' (rollback)' : ''}`,
      ...(series?.lastGoodAt !== undefined ? { since: series.lastGoodAt } : {}),
      ...(level === 2 && rule.auto ? { auto: { text: body, firedAt: series?.lastError?.at ?? now, graceMs: rule.graceMs } } : {}),
    };
  }
  if (view.tracks.length === 0 && errors > 0) {
    // Nothing to keep judging while errors are still under the limit: wait, never roll back.
    return {
      level: 1,
      state: 'nodata',
      rank: 10,
      reason: `${metric.id} no data yet: ${series?.lastError?.reason ?? 'source failing'}`,
    };
  }
  if (view.tracks.length === 0 || view.answeredEmpty) {
    // Before the first poll has finished nothing has answered yet: wait, never roll back.
    const asked = series?.lastPollAt !== undefined;
    const level = asked ? NODATA_LEVEL[rule.nodata] : (Math.min(NODATA_LEVEL[rule.nodata], 1) as Level);
    const n = series?.consecutiveNoData ?? 0;
    // Said with its reason when the answer gave one: "no data for 3 polls: no series named …".
    const why = series?.note !== undefined ? `: ${series.note}` : '';
    const body = `${n > 0 ? `no data for ${polls(n)}` : 'no data yet'}${why}`;
    return {
      level,
      state: 'nodata',
      rank: level === 2 ? 20 : 10,
      reason: `${metric.id} ${body}${level === 2 ? ' (rollback)' : ''}`,
      ...(series?.lastGoodAt !== undefined ? { since: series.lastGoodAt } : {}),
      ...(level === 2 && rule.auto ? { auto: { text: body, firedAt: series?.lastPollAt ?? now, graceMs: rule.graceMs } } : {}),
    };
  }
  if (view.stale) {
    const track = view.tracks[0]!;
    return {
      level: 1,
      state: 'stale',
      rank: 20,
      reason: `${metric.id} stale: last sample ${spoken(view.ageMs ?? 0)} ago`,
      since: track.latest!.t + track.maxGapMs,
      track,
    };
  }
  const verdicts = view.tracks.map((track) => judgeTrack(rule, metric, track, now, raw));
  const worst = worstGroup(verdicts, [rule], worse);
  if (worst.level > 0 || verdicts.length === 1) return worst;
  // All healthy: the group to show is the one nearest its limit.
  const shown = displayTrack(view, [rule]);
  return verdicts.find((v) => v.track === shown && v.rank === worst.rank) ?? worst;
}

interface Run {
  condition: Condition;
  severity: Severity;
  start: number;
  heldMs: number;
}

/** Where a warning firing since `firedAt` stands on its rule's escalation at `now`. */
function escalationOf(rule: Rule, firedAt: number, now: number): MetricStatus['escalation'] | undefined {
  if (!rule.escalate || rule.escalate.length === 0) return undefined;
  let reached: { to: string; at: number; notify?: string } | undefined;
  for (const step of rule.escalate) {
    const at = firedAt + step.afterMs;
    if (now < at) return { ...(reached ? { reached } : {}), next: { to: step.to, at, remainingMs: at - now } };
    reached = { to: step.to, at, ...(step.notify !== undefined ? { notify: step.notify } : {}) };
  }
  return { reached: reached! };
}

function judgeTrack(rule: Rule, metric: Metric, track: Track, now: number, raw?: RawContext): Verdict {
  const latest = track.end - 1;
  const t = track.timeAt(latest);
  const short = shortOfSamples(rule, metric, track, raw);
  if (short && !short.anyway) {
    // Too few samples to call either way: wait, never roll back and never promote on them.
    const seen = short.n === undefined ? 'unknown' : formatCount(short.n);
    return {
      level: 1,
      state: 'insufficient',
      rank: 15,
      reason: `${label(metric, track)} not enough data yet: ${seen}/${formatCount(short.min)} ${metric.samples?.name ?? 'samples'}`,
      track,
    };
  }
  const firing: Run[] = [];
  const pending: Run[] = [];
  const tests = new Map<Condition, Significance>();
  // Few samples, but a breach significant anyway: judged as usual, its reason says how sure.
  if (short?.anyway && rule.rollback) tests.set(rule.rollback, short.anyway);
  let unsure: { condition: Condition; result: Significance | undefined } | undefined;
  let unjudged: Condition | undefined;
  for (const severity of SEVERITIES) {
    const condition = rule[severity];
    if (!condition) continue;
    const judged = track.judge(condition);
    const start = track.runStart(judged);
    if (start < 0) {
      if (severity !== 'info' && judged.truth[latest] === UNKNOWN) unjudged ??= condition;
      continue;
    }
    const confidence = confidenceFor(rule, condition);
    if (confidence !== undefined) {
      // Beyond the threshold is not enough: the difference must also be more than chance.
      const result = significance(track, metric, condition, confidence, raw);
      if (result) tests.set(condition, result);
      if (!result?.significant) {
        if (severity !== 'info') unsure ??= { condition, result };
        continue;
      }
    }
    const run = { condition, severity, start, heldMs: t - track.timeAt(start) };
    if (run.heldMs >= rule.forMs) firing.push(run);
    else if (severity !== 'info') pending.push(run);
  }

  const fired = firing[0];
  const waiting = pending[0];
  if (fired && fired.severity !== 'info') {
    const firedAt = track.timeAt(track.reachedAfter(fired.start, rule.forMs));
    const body = describe(track, metric, fired, rule, tests.get(fired.condition));
    const test = tests.get(fired.condition);
    const tested = test ? { test: { result: test, text: fired.condition.text.trim() } } : {};
    const isRollback = fired.severity === 'rollback';
    const escalation = isRollback ? undefined : escalationOf(rule, firedAt, now);
    const reached = escalation?.reached;
    if (reached?.to === 'rollback') {
      // Unresolved for too long: the warning now counts as a rollback condition firing. It asks
      // the operator (decision ROLLBACK) and never starts an automatic rollback: a person decided
      // this was only a warning.
      const text = `${body} (warn unresolved for ${spoken(reached.at - firedAt)}: escalated to rollback)`;
      return {
        level: 2,
        state: 'breach',
        rank: 30,
        reason: `${label(metric, track)} ${text}`,
        since: reached.at,
        track,
        firing: { severity: 'rollback', text: fired.condition.text.trim(), auto: false, graceMs: rule.graceMs },
        escalation,
        ...tested,
      };
    }
    // A rollback already pending is what the operator must hear first, even over a firing warning.
    const urgent = !isRollback && waiting?.severity === 'rollback' ? waiting : undefined;
    return {
      level: isRollback ? 2 : 1,
      state: isRollback ? 'breach' : 'warn',
      rank: isRollback ? 30 : urgent ? 60 : reached ? 55 : 50,
      reason: `${label(metric, track)} ${
        urgent
          ? describePending(track, metric, urgent, rule)
          : reached
            ? `${body} (warn unresolved for ${spoken(reached.at - firedAt)}: escalated to ${reached.to})`
            : `${body} (${fired.severity})`
      }`,
      since: firedAt,
      ...(escalation ? { escalation } : {}),
      track,
      firing: { severity: fired.severity, text: fired.condition.text.trim(), auto: rule.auto, graceMs: rule.graceMs },
      ...(urgent ? { pending: pendingOf(track, urgent, rule) } : {}),
      ...(isRollback && rule.auto ? { auto: { text: body, firedAt, graceMs: rule.graceMs } } : {}),
      ...tested,
    };
  }
  if (waiting) {
    return {
      level: 1,
      state: 'pending',
      rank: waiting.severity === 'rollback' ? 60 : 40,
      reason: `${label(metric, track)} ${describePending(track, metric, waiting, rule)}`,
      since: track.timeAt(waiting.start),
      track,
      firing: { severity: waiting.severity, text: waiting.condition.text.trim(), auto: rule.auto, graceMs: rule.graceMs },
      pending: pendingOf(track, waiting, rule),
    };
  }
  if (unsure) {
    // Beyond the threshold but not (yet) beyond chance: not enough data to tell. HOLD.
    const { condition, result } = unsure;
    const untested = metric.raw ? 'no rows from both groups in this phase' : 'no sample counts over a whole window';
    const why = result ? `not yet significant: ${describeTest(result, metric.unit)}` : `not testable yet: ${untested}`;
    return {
      level: 1,
      state: 'insufficient',
      rank: 15,
      reason: `${label(metric, track)} ${comparison(track, metric, condition)} ${why}`,
      track,
      ...(result ? { test: { result, text: condition.text.trim() } } : {}),
    };
  }
  if (unjudged) {
    // A comparison that cannot be made is a reason to wait, never to roll back.
    const missing = 'ref' in unjudged && unjudged.ref === 'start' ? 'no value at the phase start' : 'no baseline value';
    return {
      level: Math.min(NODATA_LEVEL[rule.nodata], 1) as Level,
      state: 'nodata',
      rank: 10,
      reason: `${label(metric, track)} ${missing} for "${unjudged.text.trim()}"`,
      track,
    };
  }
  const since = okSince(rule, track);
  if (fired) {
    return {
      level: 0,
      state: 'ok',
      rank: 1,
      reason: `${label(metric, track)} ${describe(track, metric, fired, rule)} (info)`,
      ...(since !== undefined ? { since } : {}),
      track,
    };
  }
  return { level: 0, state: 'ok', rank: 0, ...(since !== undefined ? { since } : {}), track };
}

/** The first sample of the latest stretch where neither warn nor rollback held. */
function okSince(rule: Rule, track: Track): number | undefined {
  const judged = [rule.rollback, rule.warn].filter((c): c is Condition => c !== undefined).map((c) => track.judge(c));
  const start = track.quietStart(judged);
  return start < 0 ? undefined : track.timeAt(start);
}

function pendingOf(track: Track, run: Run, rule: Rule): NonNullable<MetricStatus['pending']> {
  return { since: track.timeAt(run.start), forMs: rule.forMs, remainingMs: Math.max(0, rule.forMs - run.heldMs) };
}

/** `2.4% > 2%`, `450ms > 2x baseline (400ms)`, `7 > 5 in 1h`. */
function comparison(track: Track, metric: Metric, condition: Condition): string {
  const i = track.end - 1;
  const observed = formatValue(track.observed(condition, i), metric.unit);
  const text = condition.text.trim();
  if (condition.kind === 'literal' || condition.kind === 'count') return `${observed} ${text}`;
  return `${observed} ${text} (${formatValue(track.threshold(condition, i), metric.unit)})`;
}

function describe(track: Track, metric: Metric, run: Run, rule: Rule, test?: Significance): string {
  const held = rule.forMs > 0 ? ` for ${spoken(run.heldMs)}` : '';
  // A tested comparison leads with the rates and how sure: `3.1% vs 0.4% (p < 0.001, n = 1,240)`.
  if (test) return `${describeTest(test, metric.unit)}: ${run.condition.text.trim()}${held}`;
  return `${comparison(track, metric, run.condition)}${held}`;
}

function describePending(track: Track, metric: Metric, run: Run, rule: Rule): string {
  const held = run.heldMs >= 1_000 ? ` for ${spoken(run.heldMs)}` : '';
  return `${comparison(track, metric, run.condition)}${held} (${run.severity} in ${spoken(rule.forMs - run.heldMs)})`;
}
