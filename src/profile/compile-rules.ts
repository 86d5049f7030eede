// A rule as written (`metric`, `warn`, `rollback`, `for`, `after`, `escalate`) compiled into the
// Rule the engine judges: its metric known, its literals in the metric's unit, its escalation steps
// in order and pointing at real actions. Apart from compile.ts because profile rules, phase rules
// and success criteria all go through it, and it is the one place a condition meets its unit.

import type { ParsedCondition } from './condition.js';
import { DEFAULTS } from './defaults.js';
import { formatDuration } from './duration.js';
import { formatPath, type PathSegment } from './issues.js';
import { compileEvidence } from './samples.js';
import type { ActionParsed, RuleParsed } from './schema.js';
import { didYouMean } from './suggest.js';
import type { Condition, Escalation, Metric, Profile, Rule } from './types.js';
import { convert } from './units.js';
import { list, own, type Broken, type Report } from './compile-report.js';
import { effectOf } from './compile-actions.js';

export interface RuleContext {
  metrics: Record<string, Metric>;
  defaults: Profile['defaults'];
  actions: Record<string, ActionParsed>;
  broken: Broken;
  error: Report;
  warning: (path: readonly PathSegment[], message: string) => void;
  /** The phase a rule is written in (absent for the profile's own rules). */
  phase?: { name: string; duration?: number };
}

export function compileRule(r: RuleParsed, path: PathSegment[], ctx: RuleContext): Rule {
  const metric = knownMetric(r.metric, [...path, 'metric'], ctx);
  // A rule may say only what no data or source errors mean ("Redis unreachable: roll back").
  const hasCondition = r.info !== undefined || r.warn !== undefined || r.rollback !== undefined;
  if (!hasCondition && r.nodata === undefined && r.onError === undefined) {
    ctx.error(
      path,
      `the rule for ${r.metric} has no condition; add info:, warn: or rollback: (e.g. rollback: "> 2%"), or say what no data or source errors mean with nodata: or onError: (e.g. onError: rollback)`,
    );
  } else if (!hasCondition && r.for !== undefined) {
    ctx.warning([...path, 'for'], `for: has no condition to hold (the rule for ${r.metric} has none); errorLimit: counts the failed polls before onError: applies`);
  }
  const conditions: Partial<Record<'info' | 'warn' | 'rollback', Condition>> = {};
  for (const severity of ['info', 'warn', 'rollback'] as const) {
    const parsed = r[severity];
    if (!parsed) continue;
    const converted = metric ? compileCondition(parsed, metric, [...path, severity], ctx.error) : undefined;
    if (converted) conditions[severity] = converted;
  }
  if (r.auto) {
    if (!r.rollback && r.nodata !== 'breach' && r.onError !== 'rollback') {
      ctx.error([...path, 'auto'], 'auto: true needs something to act on: a rollback: condition, nodata: breach or onError: rollback');
    }
    const hasRollbackAction = Object.entries(ctx.actions).some(([id, a]) => effectOf(id, a) === 'rollback');
    if (!hasRollbackAction && ctx.broken.actions.size === 0) ctx.error([...path, 'auto'], 'auto: true needs a rollback action; add actions.rollback with the command to run');
  }
  if (r.after !== undefined) {
    if (r.after <= 0) ctx.error([...path, 'after'], 'after: must be longer than 0 (it is counted from the phase start)');
    else if (!hasCondition) ctx.error([...path, 'after'], `after: delays the rule's conditions, and the rule for ${r.metric} has none (no data and source errors count from the phase start)`);
    else if (ctx.phase?.duration !== undefined && r.after >= ctx.phase.duration) {
      ctx.warning([...path, 'after'], `after: ${formatDuration(r.after)} is not within phase ${ctx.phase.name}'s ${formatDuration(ctx.phase.duration)} minimum: the rule judges only if the phase runs longer`);
    }
  }
  const escalate = compileEscalation(r, path, ctx);
  const evidence = compileEvidence(r, [conditions.info, conditions.warn, conditions.rollback], metric, path, ctx.error);
  return {
    metric: r.metric,
    ...(r.title !== undefined ? { title: r.title } : {}),
    ...conditions,
    ...evidence,
    ...(escalate ? { escalate } : {}),
    forMs: r.for ?? 0,
    ...(r.after !== undefined ? { afterMs: r.after } : {}),
    nodata: r.nodata ?? ctx.defaults.nodata,
    errorLimit: r.errorLimit ?? ctx.defaults.errorLimit,
    onError: r.onError ?? 'hold',
    auto: r.auto ?? false,
    graceMs: r.grace ?? DEFAULTS.graceMs,
    origin: formatPath(path),
  };
}

/** Steps of a warning's escalation: later each time, each to rollback or to an action that is not promote. */
function compileEscalation(r: RuleParsed, path: PathSegment[], ctx: RuleContext): Escalation[] | undefined {
  if (r.escalate === undefined) return undefined;
  const steps = Array.isArray(r.escalate) ? r.escalate : [r.escalate];
  const at = (i: number): PathSegment[] => (Array.isArray(r.escalate) ? [...path, 'escalate', i] : [...path, 'escalate']);
  if (r.warn === undefined) {
    ctx.error([...path, 'escalate'], `escalate: needs a warn: condition on the rule for ${r.metric}; it escalates a warning that is not resolved in time`);
  }
  const targets = ['rollback', ...Object.keys(ctx.actions).filter((id) => id !== 'rollback')];
  steps.forEach((step, i) => {
    if (step.after <= 0) ctx.error([...at(i), 'after'], 'after must be longer than 0');
    const before = steps[i - 1];
    if (before && step.after <= before.after) {
      ctx.error([...at(i), 'after'], `each step must come later than the one before: ${formatDuration(step.after)} is not after ${formatDuration(before.after)} (both count from when the warning fired)`);
    }
    if (step.to === 'rollback') return;
    const action = own(ctx.actions, step.to);
    if (!action && !ctx.broken.actions.has(step.to)) {
      ctx.error([...at(i), 'to'], `unknown action "${step.to}"${didYouMean(step.to, targets)}; escalate to rollback or to one of the actions: ${list(targets)}`);
    } else if (action && effectOf(step.to, action) === 'promote') {
      ctx.error([...at(i), 'to'], `a warning cannot escalate to "${step.to}": it promotes; escalate to rollback or to an action such as a partial rollback`);
    }
  });
  return steps.map((s) => ({ afterMs: s.after, to: s.to, ...(s.notify !== undefined ? { notify: s.notify } : {}) }));
}

export function knownMetric(id: string, path: PathSegment[], ctx: RuleContext): Metric | undefined {
  const metric = own(ctx.metrics, id);
  if (!metric && !ctx.broken.metrics.has(id)) {
    const ids = Object.keys(ctx.metrics);
    ctx.error(path, `unknown metric "${id}"${didYouMean(id, ids)}; metrics: ${list(ids)}`);
  }
  return metric;
}

/** A condition with its literal converted into the metric's unit, or undefined after reporting why not. */
export function compileCondition(parsed: ParsedCondition, metric: Metric, path: PathSegment[], error: Report): Condition | undefined {
  if ('ref' in parsed && parsed.ref === 'baseline' && !metric.baseline) {
    error(path, `"${parsed.text}" compares with the baseline, but metric ${metric.id} has none: add baseline: to metric ${metric.id}`);
    return undefined;
  }
  if (parsed.kind === 'literal' || parsed.kind === 'delta') {
    const converted = convert(parsed.quantity, metric.unit);
    if ('error' in converted) {
      error(path, `${converted.error} (metric ${metric.id} is in ${metric.unit})`);
      return undefined;
    }
    const marked = parsed.significant ? { significant: true as const } : {};
    return parsed.kind === 'literal'
      ? { kind: 'literal', op: parsed.op, threshold: converted.value, text: parsed.text, ...marked }
      : { kind: 'delta', op: parsed.op, delta: converted.value, ref: parsed.ref, text: parsed.text, ...marked };
  }
  return parsed;
}
