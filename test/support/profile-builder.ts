// Builds a compiled Profile from the same input a YAML profile gives (run through the real zod
// schema), for tests that need one without going through a file. It applies the documented
// defaults and unit conversions and nothing else: no cross-reference checks, no environment.

import { profileSchema, type ProfileInput, type RuleParsed } from '../../src/profile/schema.js';
import { convert } from '../../src/profile/units.js';
import type { ParsedCondition } from '../../src/profile/condition.js';
import type { Baseline, Condition, Metric, Phase, Profile, Rule, Unit } from '../../src/profile/types.js';

const MINUTE = 60_000;

function condition(parsed: ParsedCondition, unit: Unit): Condition {
  switch (parsed.kind) {
    case 'literal':
      return { kind: 'literal', op: parsed.op, threshold: value(parsed.quantity, unit), text: parsed.text };
    case 'delta':
      return { kind: 'delta', op: parsed.op, delta: value(parsed.quantity, unit), ref: parsed.ref, text: parsed.text };
    default:
      return parsed;
  }
}

function value(quantity: Extract<ParsedCondition, { kind: 'literal' }>['quantity'], unit: Unit): number {
  const converted = convert(quantity, unit);
  if ('error' in converted) throw new Error(converted.error);
  return converted.value;
}

export function buildProfile(input: ProfileInput): Profile {
  const parsed = profileSchema.parse(input);
  const d = parsed.defaults ?? {};
  const defaults = {
    intervalMs: d.interval ?? 15_000,
    timeoutMs: d.timeout ?? 10_000,
    holdMs: d.hold ?? 30 * MINUTE,
    errorLimit: d.errorLimit ?? 3,
    nodata: d.nodata ?? 'warn',
    historyMs: d.history ?? 120 * MINUTE,
  } as const;

  const metrics: Record<string, Metric> = {};
  for (const [id, m] of Object.entries(parsed.metrics)) {
    const intervalMs = m.interval ?? defaults.intervalMs;
    let baseline: Baseline | undefined;
    if (typeof m.baseline === 'number') baseline = { kind: 'value', value: m.baseline };
    else if (m.baseline === 'start') baseline = { kind: 'start' };
    else if (m.baseline && 'query' in m.baseline) baseline = { kind: 'query', query: m.baseline.query ?? m.query, source: m.baseline.source ?? m.source, ...(m.baseline.path !== undefined ? { path: m.baseline.path } : {}) };
    else if (m.baseline && 'select' in m.baseline) baseline = { kind: 'select', labels: m.baseline.select };
    metrics[id] = {
      id,
      title: m.title ?? id,
      source: m.source,
      query: m.query,
      unit: m.unit ?? 'none',
      intervalMs,
      timeoutMs: m.timeout ?? defaults.timeoutMs,
      windowMs: m.window ?? 60 * MINUTE,
      ...(baseline ? { baseline } : {}),
      ...(m.select ? { select: m.select } : {}),
      ...(m.reduce ? { reduce: m.reduce } : {}),
      ...(m.split ? { split: m.split } : {}),
      chart: m.chart ?? false,
      capacity: Math.ceil(defaults.historyMs / intervalMs) + 1,
    };
  }

  const rule = (r: RuleParsed, origin: string): Rule => {
    const unit = metrics[r.metric]?.unit ?? 'none';
    return {
      metric: r.metric,
      ...(r.title ? { title: r.title } : {}),
      ...(r.info ? { info: condition(r.info, unit) } : {}),
      ...(r.warn ? { warn: condition(r.warn, unit) } : {}),
      ...(r.rollback ? { rollback: condition(r.rollback, unit) } : {}),
      forMs: r.for ?? 0,
      nodata: r.nodata ?? defaults.nodata,
      errorLimit: r.errorLimit ?? defaults.errorLimit,
      onError: r.onError ?? 'hold',
      auto: r.auto ?? false,
      graceMs: r.grace ?? 60_000,
      origin,
    };
  };
  const profileRules = (parsed.rules ?? []).map((r, i) => rule(r, `rules[${i}]`));

  const phases: Phase[] = parsed.phases.map((p, index) => {
    const own = (p.rules ?? []).map((r, i) => rule(r, `phases[${index}].rules[${i}]`));
    const replaced = new Set(own.map((r) => r.metric));
    return {
      index,
      name: p.name,
      title: p.title ?? p.name,
      ...(p.description ? { description: p.description } : {}),
      traffic: p.traffic,
      ...(p.duration !== undefined ? { durationMs: p.duration } : {}),
      holdMs: p.hold ?? defaults.holdMs,
      success: (p.success ?? []).map((c) => ({
        metric: c.metric,
        condition: condition(c.condition, metrics[c.metric]?.unit ?? 'none'),
        text: c.text,
      })),
      checklist: [...(index === 0 ? (parsed.checklist ?? []) : []), ...(p.checklist ?? [])],
      checkins: (p.checkins ?? []).flatMap((c) => (c.every === undefined ? [] : [{ everyMs: c.every, ...(c.for !== undefined ? { forMs: c.for } : {}) }])),
      rules: [...profileRules.filter((r) => !replaced.has(r.metric)), ...own],
    };
  });

  return {
    name: parsed.name,
    title: parsed.title ?? parsed.name,
    links: parsed.links ?? {},
    defaults,
    sources: parsed.sources,
    metrics,
    metricIds: Object.keys(metrics),
    phases,
    rollbackTo: { phase: null, traffic: typeof parsed.rollbackTo === 'number' ? parsed.rollbackTo : 0 },
    actions: {},
    rollbackChecklist: [],
    notify: [],
    secrets: [],
  };
}
