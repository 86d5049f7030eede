// From the schema's output to the Profile everyone consumes: defaults filled in, durations in
// milliseconds, literals in their metric's unit, phases carrying their effective rules, and every
// cross-reference zod cannot see checked. All problems are collected, each with its path; the
// loader places them in the YAML source.
// Rules are compiled in compile-rules.ts and actions in compile-actions.ts; the defaults are in
// defaults.ts.

import { PLACEHOLDERS, unknownPlaceholders } from './template.js';
import { formatPath, type PathIssue, type PathSegment } from './issues.js';
import { compileSamples } from './samples.js';
import { compileRaw } from './raw.js';
import type { MetricParsed, PhaseParsed, ProfileParsed } from './schema.js';
import { didYouMean } from './suggest.js';
import { sourceKind } from '../sources/kinds.js';
import type { Baseline, Condition, Criterion, Metric, Phase, Profile, RollbackItem, Rule } from './types.js';
import { dayNumbers, isTimeZone, knownTimeZones, parseTimeOfDay, type TimeOfDay } from './time-of-day.js';
import { DEFAULT_NOTIFY_ON, DEFAULTS } from './defaults.js';
import { checkNotifyReferences, DEFAULT_PAGE_ON } from './notify-references.js';
import { PAGERDUTY_EVENTS_URL } from './schema.js';
import { list, own, type Broken, type Report } from './compile-report.js';
import { compileCondition, compileRule, knownMetric, type RuleContext } from './compile-rules.js';
import { compileActions } from './compile-actions.js';

/** Ring buffers never grow past this many samples, whatever the windows ask for. */
export const MAX_CAPACITY = 20_000;

export interface CompileOptions {
  file?: string;
  secrets: string[];
  /** Parts the schema already rejected (and reported): references to them are not errors again. */
  invalid?: InvalidParts;
}

export interface InvalidParts {
  sources: string[];
  metrics: string[];
  actions: string[];
  /** The phase list itself did not pass, so phase names cannot be checked. */
  phases: boolean;
  /** When some rules or phases did not pass: where each one kept stood in the file. */
  ruleIndex?: number[];
  phaseIndex?: number[];
}

export interface Compiled {
  /** Present when no issue is an error. */
  profile?: Profile;
  issues: PathIssue[];
}

export function compileProfile(parsed: ProfileParsed, opts: CompileOptions): Compiled {
  const issues: PathIssue[] = [];
  const error = (path: readonly PathSegment[], message: string, at?: PathIssue['at']): void => {
    issues.push({ path, message, severity: 'error', ...(at ? { at } : {}) });
  };
  const warning = (path: readonly PathSegment[], message: string): void => {
    issues.push({ path, message, severity: 'warning' });
  };

  const d = parsed.defaults ?? {};
  const defaults: Profile['defaults'] = {
    intervalMs: d.interval ?? DEFAULTS.intervalMs,
    timeoutMs: d.timeout ?? DEFAULTS.timeoutMs,
    holdMs: d.hold ?? DEFAULTS.holdMs,
    errorLimit: d.errorLimit ?? DEFAULTS.errorLimit,
    nodata: d.nodata ?? DEFAULTS.nodata,
    historyMs: d.history ?? DEFAULTS.historyMs,
  };
  for (const key of ['interval', 'timeout'] as const) {
    if (d[key] === 0) error(['defaults', key], `${key} must be longer than 0`);
  }

  const broken: Broken = {
    sources: new Set(opts.invalid?.sources),
    metrics: new Set(opts.invalid?.metrics),
    actions: new Set(opts.invalid?.actions),
    phases: opts.invalid?.phases ?? false,
  };
  checkSourceUrls(parsed, error);
  const metricIds = Object.keys(parsed.metrics);
  const metrics: Record<string, Metric> = {};
  for (const id of metricIds) {
    metrics[id] = compileMetric(id, parsed.metrics[id]!, parsed, defaults, broken, error);
  }

  const context: RuleContext = { metrics, defaults, error, warning, actions: parsed.actions ?? {}, broken };
  const ruleAt = (i: number) => opts.invalid?.ruleIndex?.[i] ?? i;
  const phaseAt = (i: number) => opts.invalid?.phaseIndex?.[i] ?? i;
  const profileRules = (parsed.rules ?? []).map((r, i) => compileRule(r, ['rules', ruleAt(i)], context));

  const phases: Phase[] = [];
  const phaseNames = new Map<string, number>();
  parsed.phases.forEach((p, index) => {
    const path = ['phases', phaseAt(index)];
    const earlier = phaseNames.get(p.name);
    if (earlier !== undefined) error([...path, 'name'], `"${p.name}" is already the name of phases[${earlier}]; phase names must be unique`);
    else phaseNames.set(p.name, phaseAt(index));
    const previous = parsed.phases[index - 1];
    if (previous && p.traffic < previous.traffic) {
      warning([...path, 'traffic'], `traffic goes down from ${previous.traffic}% in "${previous.name}" to ${p.traffic}% in "${p.name}"`);
    }
    phases.push(compilePhase(p, index, phaseAt(index), parsed, profileRules, context));
  });

  const rollbackTo = compileRollbackTo(parsed, phases, broken, error);
  const actions = compileActions(parsed.actions ?? {}, broken, error);
  const rollbackChecklist = compileRollbackChecklist(parsed, error);
  const notify = (parsed.notify ?? []).map((n, i) => {
    if (n.type === 'command') {
      n.run.forEach((arg, j) => {
        for (const name of unknownPlaceholders(arg)) {
          error(['notify', i, 'run', j], `unknown placeholder {{${name}}}${didYouMean(name, PLACEHOLDERS)}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}`);
        }
      });
    } else {
      checkUrl(n.url ?? PAGERDUTY_EVENTS_URL, ['http:', 'https:'], ['notify', i, 'url'], error);
    }
    if (n.every !== undefined && n.every <= 0) error(['notify', i, 'every'], 'every must be longer than 0');
    return { ...n, on: n.on ?? [...(n.type === 'pagerduty' ? DEFAULT_PAGE_ON : DEFAULT_NOTIFY_ON)] };
  });
  checkNotifyReferences(parsed, metricIds, broken.phases ? undefined : [...phaseNames.keys()], error, ruleAt, phaseAt);

  const state = parsed.state?.store === 'postgres' ? parsed.state : undefined;
  if (state) {
    checkUrl(state.url, ['postgres:', 'postgresql:'], ['state', 'url'], error);
    if (state.timeout === 0) error(['state', 'timeout'], 'timeout must be longer than 0');
  }

  for (const id of metricIds) metrics[id]!.capacity = capacity(metrics[id]!, profileRules, phases, defaults.historyMs);

  if (issues.some((i) => i.severity === 'error')) return { issues };
  const profile: Profile = {
    name: parsed.name,
    title: parsed.title ?? parsed.name,
    ...(parsed.description !== undefined ? { description: parsed.description } : {}),
    ...(parsed.owner !== undefined ? { owner: parsed.owner } : {}),
    links: parsed.links ?? {},
    ...(opts.file !== undefined ? { file: opts.file } : {}),
    defaults,
    sources: parsed.sources,
    metrics,
    metricIds,
    phases,
    rollbackTo,
    actions,
    rollbackChecklist,
    notify,
    ...(state ? { state } : {}),
    secrets: [...new Set(opts.secrets)].filter((s) => s !== ''),
  };
  return { profile, issues };
}

// ── sources and metrics ────────────────────────────────────────────────────────────────────

function checkSourceUrls(parsed: ProfileParsed, error: Report): void {
  for (const [id, source] of Object.entries(parsed.sources)) {
    const schemes = sourceKind(source.type).urlSchemes;
    if (schemes.length > 0 && 'url' in source) checkUrl(source.url, [...schemes], ['sources', id, 'url'], error);
  }
}

/** A URL the source can use; values still holding an unresolved `${VAR}` (lenient mode) are left alone. */
function checkUrl(text: string, schemes: string[], path: PathSegment[], error: Report): void {
  if (text.includes('${')) return;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !schemes.includes(url.protocol)) {
    const example = schemes[0] === 'postgres:' ? 'postgres://user@host:5432/db' : 'http://host:9090';
    error(path, `"${text}" is not a ${schemes.map((s) => s.slice(0, -1)).join(' or ')} URL; expected something like ${example}`);
  }
}

function compileMetric(
  id: string,
  m: MetricParsed,
  parsed: ProfileParsed,
  defaults: Profile['defaults'],
  broken: Broken,
  error: Report,
): Metric {
  const path = ['metrics', id];
  const source = own(parsed.sources, m.source);
  if (!source && !broken.sources.has(m.source)) {
    error([...path, 'source'], `unknown source "${m.source}"${didYouMean(m.source, Object.keys(parsed.sources))}; sources: ${list(Object.keys(parsed.sources))}`);
  } else if (source) {
    sourceKind(source.type).checkQuery(m.query, [...path, 'query'], error);
  }
  if (m.interval === 0) error([...path, 'interval'], 'interval must be longer than 0');

  let baseline: Baseline | undefined;
  if (typeof m.baseline === 'number') baseline = { kind: 'value', value: m.baseline };
  else if (m.baseline === 'start') baseline = { kind: 'start' };
  else if (m.baseline && 'select' in m.baseline) baseline = { kind: 'select', labels: m.baseline.select };
  else if (m.baseline) {
    const sourceId = m.baseline.source ?? m.source;
    const baselineSource = own(parsed.sources, sourceId);
    // Without a query of its own, the baseline asks the same question of another path.
    const query = m.baseline.query ?? m.query;
    if (m.baseline.query === undefined && m.baseline.path === undefined) {
      error([...path, 'baseline'], 'a baseline map needs query: (the control group\'s query) or, for an http source, path: (where the control group is read); or use select:');
    }
    if (!baselineSource && !broken.sources.has(sourceId)) {
      error([...path, 'baseline', 'source'], `unknown source "${sourceId}"${didYouMean(sourceId, Object.keys(parsed.sources))}; sources: ${list(Object.keys(parsed.sources))}`);
    } else if (baselineSource) {
      if (m.baseline.path !== undefined && baselineSource.type !== 'http') {
        error([...path, 'baseline', 'path'], `path: applies to http sources; source ${sourceId} is ${baselineSource.type}`);
      }
      sourceKind(baselineSource.type).checkQuery(query, [...path, 'baseline', m.baseline.query !== undefined ? 'query' : 'path'], error);
    }
    baseline = { kind: 'query', query, source: sourceId, ...(m.baseline.path !== undefined ? { path: m.baseline.path } : {}) };
  }

  const sourceTimeout = source && 'timeout' in source ? source.timeout : undefined;
  const intervalMs = m.interval || defaults.intervalMs;
  const raw = compileRaw(m, source, path, error);
  const samples = raw ? raw.samples : compileSamples(m, source, path, error);
  return {
    id,
    title: m.title ?? id,
    ...(m.description !== undefined ? { description: m.description } : {}),
    source: m.source,
    query: m.query,
    unit: m.unit ?? 'none',
    intervalMs,
    timeoutMs: m.timeout ?? sourceTimeout ?? defaults.timeoutMs,
    // A scrape value is measured between two scrapes, one interval apart: that is its window.
    windowMs: m.window ?? (source?.type === 'scrape' ? intervalMs : DEFAULTS.windowMs),
    ...(m.path !== undefined ? { path: m.path } : {}),
    ...(m.args !== undefined ? { args: m.args } : {}),
    ...(baseline ? { baseline } : {}),
    ...(m.select ? { select: m.select } : {}),
    ...(m.reduce ? { reduce: m.reduce } : {}),
    ...(m.split !== undefined ? { split: m.split } : {}),
    chart: m.chart ?? false,
    ...(samples ? { samples } : {}),
    ...(raw ? { raw: raw.raw } : {}),
    capacity: 0,
  };
}

function capacity(metric: Metric, profileRules: Rule[], phases: Phase[], historyMs: number): number {
  let longest = historyMs;
  const consider = (condition: Condition | undefined): void => {
    if (condition?.kind === 'count') longest = Math.max(longest, condition.windowMs);
  };
  const rules = [...profileRules, ...phases.flatMap((p) => p.rules)].filter((r) => r.metric === metric.id);
  for (const rule of rules) {
    // An escalation is timed from when the warning fired: the run must still be in the buffer.
    longest = Math.max(longest, rule.forMs + Math.max(0, ...(rule.escalate ?? []).map((e) => e.afterMs)));
    consider(rule.info);
    consider(rule.warn);
    consider(rule.rollback);
  }
  for (const phase of phases) {
    const criteria = phase.success.filter((c) => c.metric === metric.id);
    if (criteria.length > 0) longest = Math.max(longest, phase.holdMs);
    for (const c of criteria) consider(c.condition);
  }
  return Math.min(MAX_CAPACITY, Math.ceil(longest / metric.intervalMs) + 2);
}

// ── phases ─────────────────────────────────────────────────────────────────────────────────

function compilePhase(p: PhaseParsed, index: number, at: number, parsed: ProfileParsed, profileRules: Rule[], ctx: RuleContext): Phase {
  const path = ['phases', at];
  const success: Criterion[] = [];
  (p.success ?? []).forEach((c, i) => {
    const at = [...path, 'success', i];
    const metric = knownMetric(c.metric, at, ctx);
    const condition = metric ? compileCondition(c.condition, metric, at, ctx.error) : undefined;
    if (condition?.significant) ctx.error(at, `"${c.text}": significance is for rules (a breach must be beyond chance); a success criterion waits for enough samples with minSamples: on the phase or its metric's rules`);
    if (condition) success.push({ metric: c.metric, condition, text: c.text });
  });
  const all = p.checkins ?? [];
  const checkins: { every: number; for?: number }[] = [];
  const checkinTimes: TimeOfDay[] = [];
  const lastCadence = all.reduce((last, c, i) => (c.every !== undefined ? i : last), -1);
  all.forEach((c, i) => {
    const at = [...path, 'checkins', i];
    if (c.every !== undefined && c.at !== undefined) {
      ctx.error([...at, 'at'], 'a check-in is either a cadence (every:) or times of day (at:), not both; write them as two entries');
      return;
    }
    if (c.at !== undefined) {
      if (c.for !== undefined) ctx.error([...at, 'for'], 'for: is how long a cadence (every:) lasts; a check-in at a time of day happens every day of the phase');
      if (c.zone !== undefined && !isTimeZone(c.zone)) {
        ctx.error([...at, 'zone'], `unknown time zone "${c.zone}"${didYouMean(c.zone, knownTimeZones())}; use an IANA zone such as Europe/Berlin or UTC`);
      }
      for (const text of Array.isArray(c.at) ? c.at : [c.at]) {
        const time = parseTimeOfDay(text);
        if (time) checkinTimes.push({ ...time, ...(c.zone !== undefined ? { zone: c.zone } : {}), ...(c.on !== undefined ? { days: dayNumbers(c.on) } : {}) });
      }
      return;
    }
    if (c.every === undefined) {
      ctx.error(at, 'a check-in needs every: (a cadence, e.g. every: 15m) or at: (a time of day, e.g. at: "09:00")');
      return;
    }
    if (c.zone !== undefined) ctx.error([...at, 'zone'], 'zone: belongs to check-ins at a time of day (at:)');
    if (c.on !== undefined) ctx.error([...at, 'on'], 'on: (days of the week) belongs to check-ins at a time of day (at:)');
    if (c.every <= 0) ctx.error([...at, 'every'], 'every must be longer than 0');
    if (c.for === undefined && i < lastCadence) {
      ctx.error(at, 'only the last check-in cadence may leave out for: (how long it lasts)');
    }
    checkins.push({ every: c.every, ...(c.for !== undefined ? { for: c.for } : {}) });
  });
  const inPhase = { ...ctx, phase: { name: p.name, ...(p.duration !== undefined ? { duration: p.duration } : {}) } };
  const own = (p.rules ?? []).map((r, i) => compileRule(r, [...path, 'rules', i], inPhase));
  const replaced = new Set(own.map((r) => r.metric));
  const rules = [...profileRules.filter((r) => !replaced.has(r.metric)), ...own];
  withMinSamples(success, p.minSamples, rules, ctx.metrics, [...path, 'minSamples'], ctx.error);
  return {
    index,
    name: p.name,
    title: p.title ?? p.name,
    ...(p.description !== undefined ? { description: p.description } : {}),
    traffic: p.traffic,
    ...(p.duration !== undefined ? { durationMs: p.duration } : {}),
    holdMs: p.hold ?? ctx.defaults.holdMs,
    success,
    checklist: [...(index === 0 ? (parsed.checklist ?? []) : []), ...(p.checklist ?? [])],
    checkins: checkins.map((c) => ({ everyMs: c.every, ...(c.for !== undefined ? { forMs: c.for } : {}) })),
    ...(checkinTimes.length > 0 ? { checkinTimes } : {}),
    rules,
  };
}

/** A criterion waits for the phase's minSamples, or else the largest its metric's rules ask for. */
function withMinSamples(success: Criterion[], phaseMin: number | undefined, rules: Rule[], metrics: Record<string, Metric>, path: PathSegment[], error: Report): void {
  for (const c of success) {
    const counted = metrics[c.metric]?.samples !== undefined;
    const fromRules = Math.max(0, ...rules.filter((r) => r.metric === c.metric).map((r) => r.minSamples ?? 0));
    const min = phaseMin !== undefined && counted ? phaseMin : fromRules;
    if (min > 0) c.minSamples = min;
  }
  if (phaseMin !== undefined && !success.some((c) => metrics[c.metric]?.samples !== undefined)) {
    error(path, 'minSamples: applies to success criteria on metrics with samples:, and this phase has none');
  }
}

function compileRollbackTo(parsed: ProfileParsed, phases: Phase[], broken: Broken, error: Report): Profile['rollbackTo'] {
  const target = parsed.rollbackTo;
  if (target === undefined) return { phase: null, traffic: 0 };
  if (typeof target === 'number') return { phase: null, traffic: target };
  const phase = phases.find((p) => p.name === target);
  if (!phase) {
    if (broken.phases) return { phase: null, traffic: 0 };
    const names = phases.map((p) => p.name);
    error(['rollbackTo'], `unknown phase "${target}"${didYouMean(target, names)}; phases: ${list(names)}, or a traffic share such as 0`);
    return { phase: null, traffic: 0 };
  }
  return { phase: phase.index, traffic: phase.traffic };
}

/** Ticks are kept by item text, so an item may appear once in the whole list. */
function compileRollbackChecklist(parsed: ProfileParsed, error: Report): RollbackItem[] {
  const items: RollbackItem[] = [];
  const seen = new Map<string, string>();
  (parsed.rollbackChecklist ?? []).forEach((entry, i) => {
    const group = typeof entry === 'string' ? undefined : entry.group;
    const texts = typeof entry === 'string' ? [entry] : entry.items;
    texts.forEach((item, j) => {
      const path: PathSegment[] = typeof entry === 'string' ? ['rollbackChecklist', i] : ['rollbackChecklist', i, 'items', j];
      const earlier = seen.get(item);
      if (earlier !== undefined) {
        error(path, `"${item}" is already on the rollback checklist (${earlier}); each item may appear once`);
        return;
      }
      seen.set(item, formatPath(path));
      items.push({ item, ...(group !== undefined ? { group } : {}) });
    });
  });
  return items;
}
