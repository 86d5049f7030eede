// `rollcall report <profile> --since 24h`: the daily review (seed 001's 24-hour review, seed 003's
// daily standup). Per metric: min / median / p95 / max over the window, time spent in warn and in
// breach with each breach's start and end (found by judging the history again at each step, as a
// console would have seen it then), the phase moves, the actions from the audit log, and the
// decision now.

import { evidenceText } from '../engine/evidence.js';
import { auditPath, readAudit, type AuditEntry } from '../actions/audit.js';
import { readSharedAudit } from '../actions/shared-audit.js';
import { loadHistoryFile } from '../actions/history-load.js';
import { unfinishedActions } from '../actions/unfinished.js';
import { defaultStateDir, isStateStoreError, openStateStore } from '../actions/state-store.js';
import { realClock } from '../engine/clock.js';
import { evaluate } from '../engine/evaluate.js';
import { lowerBound, spacedLike, upperBound } from '../engine/judge.js';
import { currentPhase, judgementWindowMs, spoken } from '../engine/phases.js';
import { Poller } from '../engine/poller.js';
import { SeriesStore } from '../engine/series.js';
import type { RolloutState } from '../engine/state.js';
import type { Decision, MetricSeries, MetricStatus, Point, SeriesSnapshot, Snapshot } from '../engine/types.js';
import { DURATION_FORMS, parseDuration } from '../profile/duration.js';
import { loadProfileOrReport } from '../profile/load.js';
import { redact } from '../profile/redact.js';
import type { Metric, Profile, Unit } from '../profile/types.js';
import { formatValue } from '../profile/units.js';
import { closeSources, createSources } from '../sources/registry.js';
import { SourceWatch } from './check.js';
import { checklistEntry, iso, labelText, markdownSafe, rollbackChecklistLines, rolledBackLine, safeLines, toCheckReport, utc, type CheckReport } from './check-format.js';
import type { CommonOptions } from './common-options.js';
import { jsonSafe } from '../util/sanitize.js';
import { ExitCode } from './exit.js';
import { resolveRollouts } from './many.js';
import { reportMany, type Reviewed } from './report-many.js';

export interface ReportOptions extends CommonOptions {
  since: string;
  format: 'markdown' | 'json' | 'text';
}

/** The JSON printed by `rollcall report --format json`. Fields are only ever added. */
export interface Review {
  version: 1;
  profile: { name: string; title: string };
  from: string;
  to: string;
  windowMs: number;
  /** How finely the history was judged again: times in states are multiples of this. */
  stepMs: number;
  phase: { index: number; count: number; name: string; traffic: number };
  /** `status`: ROLLED BACK while rolled back (the decision is then not in force), else the decision. */
  now: { decision: Decision; reasons: string[]; status: Decision | 'ROLLED BACK' };
  /** Set while the rollout is rolled back: since when, by whom, where to, for how long so far. */
  rolledBack?: CheckReport['rolledBack'];
  /** Time the decision spent at each value over the window. */
  decisions: Record<Decision, number>;
  metrics: ReviewMetric[];
  phaseMoves: Array<{ at: string; from: string | null; to: string | null; by: string; reason: string }>;
  /** While rolled back, the profile's rollback checklist as it stands now. */
  rollbackChecklist?: CheckReport['checklist'];
  actions: Array<{
    at: string;
    event: AuditEntry['event'];
    user: string;
    host: string;
    action?: string;
    ok?: boolean;
    exitCode?: number | null;
    forced?: boolean;
    auto?: boolean;
    dryRun?: boolean;
    /** Nobody saw how it ended: rollcall stopped while it ran (an unmatched start, or its closing entry). */
    outcomeUnknown?: boolean;
    note?: string;
    /** Checklist ticks. */
    item?: string;
    checked?: boolean;
  }>;
  notes: string[];
}

export interface Summary {
  samples: number;
  min?: number;
  median?: number;
  p95?: number;
  max?: number;
}

export interface ReviewMetric {
  id: string;
  title: string;
  unit: Unit;
  /** One per split group ('' for an unsplit metric). */
  groups: Array<{ group: string; canary: Summary; baseline?: Summary }>;
  warnMs: number;
  breachMs: number;
  /** Time without a judgement: no data, stale or source errors. */
  noDataMs: number;
  /** Time held for too few samples, or a breach not yet significant. */
  insufficientMs: number;
  /** Now: the samples behind the value and the significance test of the comparison that decided it. */
  samples?: MetricStatus['samples'];
  significance?: MetricStatus['significance'];
  breaches: Array<{ start: string; end?: string; durationMs: number; peak?: number; reason?: string }>;
  /** Each step a warning escalated to (rule `escalate:`), when it got there. */
  escalations: Array<{ at: string; to: string; key?: string }>;
  /** Why the source answered what it did at the end of the window (why "no data", what was dropped). */
  note?: string;
}

/** One profile: its report as today; several or a directory: a summary table, then each report (report-many.ts). */
export async function report(targets: string | readonly string[], opts: ReportOptions): Promise<number> {
  const rollouts = await resolveRollouts(typeof targets === 'string' ? [targets] : targets);
  if ('files' in rollouts) return reportMany(rollouts.files, opts, reviewRollout);
  if ('error' in rollouts) {
    process.stderr.write(`rollcall report: ${rollouts.error}\n`);
    return ExitCode.usage;
  }
  const one = await reviewRollout(rollouts.single, opts);
  if (one.text !== undefined) process.stdout.write(one.text);
  return one.exitCode;
}

/** One rollout's review in `opts.format`, redacted; problems go to stderr. */
async function reviewRollout(file: string, opts: ReportOptions): Promise<Reviewed> {
  // Nothing runs and nothing is sent here: only the sources' (and state store's) variables are needed.
  const loaded = await loadProfileOrReport(file, { envMode: 'sources' });
  if ('exitCode' in loaded) return loaded;
  const { profile } = loaded;
  const fail = (message: string): Reviewed => {
    process.stderr.write(`rollcall report: ${redact(message, profile.secrets)}\n`);
    return { exitCode: ExitCode.usage, error: redact(message, profile.secrets) };
  };
  const windowMs = parseDuration(opts.since);
  if (windowMs === undefined) return fail(`--since: "${opts.since}" is not a duration; use ${DURATION_FORMS}`);
  if (windowMs <= 0) return fail(`--since: "${opts.since}" is an empty window; give how far back to review, e.g. 24h`);

  const clock = realClock;
  const to = clock.now();
  const from = to - windowMs;
  let state: RolloutState;
  const notes: string[] = [];
  try {
    const store = await openStateStore(profile, { ...(opts.stateDir ? { dir: opts.stateDir } : {}), clock, readOnly: true });
    try {
      state = store.read();
      if (store.notice) notes.push(store.notice);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (isStateStoreError(error)) return fail(error.message);
    throw error;
  }

  // Enough history for the window plus what judging its first moment needs.
  const lookbackMs = judgementWindowMs(profile, currentPhase(profile, state), state.phaseStartedAt, to);
  const wide = widened(profile, windowMs + lookbackMs);
  const health = new SourceWatch();
  const sources = createSources(wide, { clock });
  const watched = new Map([...sources].map(([id, source]) => [id, health.watch(source)]));
  const store = new SeriesStore(wide);
  const poller = new Poller({ profile: wide, sources: watched, store, clock });
  let series: SeriesSnapshot;
  try {
    // What an agent stored first: the only past an http, exec or scrape source has.
    const stored = loadHistoryFile(wide, opts.stateDir ?? defaultStateDir(), store, from - lookbackMs, to);
    if (stored?.problem) notes.push(stored.problem);
    await poller.backfill(windowMs + lookbackMs);
    await poller.pollOnce();
    series = store.snapshot();
  } finally {
    await poller.stop();
    await closeSources(sources);
  }

  let audit: { entries: AuditEntry[]; problems: string[] } = { entries: [], problems: [] };
  const auditFile = auditPath(profile, { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}), ...(opts.auditLog ? { auditLog: opts.auditLog } : {}) });
  let auditWhere = auditFile;
  let sharedRead = false;
  // A shared store keeps every console's entries: report those, or this console's file when it cannot.
  if (profile.state) {
    try {
      const shared = await readSharedAudit(profile, profile.state);
      audit = shared;
      auditWhere = shared.where;
      sharedRead = true;
    } catch (error) {
      notes.push(`${error instanceof Error ? error.message : String(error)}; actions from this console's audit log only (${auditFile})`);
    }
  }
  if (!sharedRead) {
    try {
      audit = await readAudit(auditFile);
    } catch (error) {
      notes.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (const problem of audit.problems.slice(0, 5)) notes.push(`audit log ${auditWhere}: ${problem}`);

  const asked = health.summary(profile).filter((h) => h.reachable !== null);
  const allUnreachable = asked.length > 0 && asked.every((h) => h.reachable === false);
  for (const h of asked) if (h.reachable === false) notes.push(`source ${h.id} unreachable: ${h.error ?? 'no answer'}`);

  const result = review(spacedLike(wide, series), state, series, { from, to, audit: audit.entries, notes });
  const text = opts.format === 'json' ? `${jsonSafe(JSON.stringify(result, null, 2))}\n` : opts.format === 'text' ? formatReviewText(result) : formatReviewMarkdown(result);
  const exitCode = result.rolledBack ? ExitCode.rolledBack : allUnreachable ? ExitCode.unreachable : ExitCode.green;
  return { exitCode, text: redact(text, profile.secrets), review: JSON.parse(redact(JSON.stringify(result), profile.secrets)) as Review };
}

/** Room in every ring for the whole window (the console keeps only `history`). */
function widened(profile: Profile, rangeMs: number): Profile {
  const metrics: Record<string, Metric> = {};
  for (const id of profile.metricIds) {
    const m = profile.metrics[id]!;
    metrics[id] = { ...m, capacity: Math.max(m.capacity, Math.ceil(rangeMs / m.intervalMs) + 16) };
  }
  return { ...profile, metrics };
}

const MAX_STEPS = 1_440;

/**
 * The review, from data alone (pure): each metric summarised over [from, to], and the history
 * judged again at each step with the samples up to that moment and the rollout state of then.
 */
function review(
  profile: Profile,
  state: RolloutState,
  series: SeriesSnapshot,
  opts: { from: number; to: number; audit: AuditEntry[]; notes?: string[] },
): Review {
  const { from, to } = opts;
  const windowMs = to - from;
  const finest = Math.min(...profile.metricIds.map((id) => profile.metrics[id]!.intervalMs));
  const stepMs = Math.max(finest, Math.ceil(windowMs / MAX_STEPS / 1_000) * 1_000);

  const decisions: Record<Decision, number> = { PROMOTE: 0, SOAK: 0, HOLD: 0, ROLLBACK: 0 };
  type Times = Pick<ReviewMetric, 'warnMs' | 'breachMs' | 'noDataMs' | 'insufficientMs' | 'breaches' | 'escalations'>;
  const times = new Map<string, Times>();
  for (const id of profile.metricIds) times.set(id, { warnMs: 0, breachMs: 0, noDataMs: 0, insufficientMs: 0, breaches: [], escalations: [] });
  const open = new Map<string, { start: number; peak?: number; reason?: string }>();
  const escalatedTo = new Map<string, string | undefined>();

  for (let t = from + stepMs; t <= to; t += stepMs) {
    const then = stateAt(state, t, from);
    const lookback = judgementWindowMs(profile, currentPhase(profile, then), then.phaseStartedAt, t);
    const snap = evaluate(profile, then, historyAt(series, t - lookback, t), t);
    decisions[snap.decision] += stepMs;
    for (const m of snap.metrics) {
      const acc = times.get(m.id)!;
      if (m.state === 'warn') acc.warnMs += stepMs;
      if (m.state === 'breach') acc.breachMs += stepMs;
      if (m.state === 'nodata' || m.state === 'stale' || m.state === 'error') acc.noDataMs += stepMs;
      if (m.state === 'insufficient') acc.insufficientMs += stepMs;
      trackBreach(m, t, open, acc.breaches, profile);
      // A step is listed when it is reached, not again at every step of the review it stays reached.
      const reached = m.escalation?.reached;
      if (reached && escalatedTo.get(m.id) !== reached.to) {
        acc.escalations.push({ at: iso(Math.min(reached.at, t)), to: reached.to, ...(reached.key !== undefined ? { key: reached.key } : {}) });
      }
      escalatedTo.set(m.id, reached?.to);
    }
  }
  for (const [id, b] of open) {
    times.get(id)!.breaches.push({ start: iso(b.start), durationMs: to - b.start, ...(b.peak !== undefined ? { peak: b.peak } : {}), ...(b.reason ? { reason: b.reason } : {}) });
  }

  const now = evaluate(profile, state, series, to);
  const phase = currentPhase(profile, state);
  const lost = new Set(unfinishedActions(opts.audit));
  const name = (i: number | null) => (i === null ? null : (profile.phases[i]?.name ?? `#${i + 1}`));
  return {
    version: 1,
    profile: { name: profile.name, title: profile.title },
    from: iso(from),
    to: iso(to),
    windowMs,
    stepMs,
    phase: { index: phase.index, count: profile.phases.length, name: phase.name, traffic: phase.traffic },
    now: { decision: now.decision, reasons: now.reasons, status: now.rolledBack ? 'ROLLED BACK' : now.decision },
    ...(now.rolledBack ? { rolledBack: toCheckReport(profile, now, { exitCode: 0, sources: [], notices: [] }).rolledBack } : {}),
    ...(now.rollbackChecklist ? { rollbackChecklist: now.rollbackChecklist.map(checklistEntry) } : {}),
    decisions,
    metrics: profile.metricIds.map((id): ReviewMetric => {
      const metric = profile.metrics[id]!;
      const acc = times.get(id)!;
      const status = now.metrics.find((m) => m.id === id);
      return {
        id,
        title: metric.title,
        unit: metric.unit,
        groups: (series[id]?.groups ?? []).map((g) => ({
          group: g.key,
          canary: summarise(g.canary, from, to),
          ...(g.baseline.length > 0 ? { baseline: summarise(g.baseline, from, to) } : {}),
        })),
        ...acc,
        ...(series[id]?.note !== undefined ? { note: series[id]!.note } : {}),
        ...(status?.samples ? { samples: status.samples } : {}),
        ...(status?.significance ? { significance: status.significance } : {}),
      };
    }),
    phaseMoves: state.history
      .filter((m) => m.at >= from && m.at <= to)
      .map((m) => ({ at: iso(m.at), from: name(m.from), to: name(m.to), by: m.by, reason: m.reason })),
    actions: opts.audit
      .filter((e) => {
        const at = Date.parse(e.time);
        // A start is listed only when no end followed it: the end says the rest.
        return at >= from && at <= to && (e.event !== 'action-start' || lost.has(e));
      })
      .map((e) => ({
        at: e.time,
        event: e.event,
        user: e.user,
        host: e.host,
        ...(e.action !== undefined ? { action: e.action } : {}),
        ...(e.ok !== undefined ? { ok: e.ok } : {}),
        ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
        ...(e.forced ? { forced: true } : {}),
        ...(e.auto ? { auto: true } : {}),
        ...(e.dryRun ? { dryRun: true } : {}),
        ...(e.outcomeUnknown || e.event === 'action-start' ? { outcomeUnknown: true } : {}),
        ...(e.note !== undefined ? { note: e.note } : {}),
        ...(e.item !== undefined ? { item: e.item } : {}),
        ...(e.checked !== undefined ? { checked: e.checked } : {}),
      })),
    notes: opts.notes ?? [],
  };
}

function trackBreach(
  m: Snapshot['metrics'][number],
  t: number,
  open: Map<string, { start: number; peak?: number; reason?: string }>,
  closed: ReviewMetric['breaches'],
  profile: Profile,
): void {
  const current = open.get(m.id);
  if (m.state === 'breach') {
    if (!current) {
      open.set(m.id, { start: m.since !== undefined && m.since <= t ? m.since : t, ...(m.value !== undefined ? { peak: m.value } : {}), ...(m.reason ? { reason: m.reason } : {}) });
    } else if (m.value !== undefined) {
      const worseIsLower = m.thresholds.some((x) => x.severity === 'rollback' && x.text.trimStart().startsWith('<'));
      if (current.peak === undefined || (worseIsLower ? m.value < current.peak : m.value > current.peak)) current.peak = m.value;
    }
    return;
  }
  if (current) {
    open.delete(m.id);
    closed.push({
      start: iso(current.start),
      end: iso(t),
      durationMs: t - current.start,
      ...(current.peak !== undefined ? { peak: current.peak } : {}),
      ...(current.reason ? { reason: redact(current.reason, profile.secrets) } : {}),
    });
  }
}

/**
 * The rollout state as it was at time t, from the history of moves. Checklist ticks count from
 * when they were made. A phase whose start predates what the history shows is taken to have
 * started at the beginning of the review. Pauses keep no history, so the past is judged unpaused.
 */
function stateAt(state: RolloutState, t: number, reviewStart: number): RolloutState {
  const moves = state.history.filter((m) => m.at <= t);
  const last = moves.at(-1);
  let phase: number;
  let phaseStartedAt: number;
  if (last) {
    phase = last.to ?? last.from ?? state.phase;
    // A rollback enters no phase (state.ts rolledBack): the phase began at the move before it.
    const entered = last.reason === 'rollback' ? moves.slice(0, -1).findLast((m) => m.reason !== 'rollback') : last;
    phaseStartedAt = entered?.at ?? Math.min(reviewStart, last.at);
  } else if (state.history.length > 0) {
    phase = state.history[0]!.from ?? state.phase;
    phaseStartedAt = Math.min(reviewStart, state.history[0]!.at);
  } else {
    phase = state.phase;
    phaseStartedAt = state.phaseStartedAt;
  }
  const checklist: RolloutState['checklist'] = {};
  for (const [name, ticks] of Object.entries(state.checklist)) {
    checklist[name] = Object.fromEntries(Object.entries(ticks).filter(([, tick]) => tick.at <= t));
  }
  return {
    ...state,
    phase,
    phaseStartedAt,
    checklist,
    rolledBack: state.rolledBack && state.rolledBack.at <= t ? state.rolledBack : null,
    paused: false,
    history: moves,
  };
}

/** The samples in [start, end] only, and health as if every poll then had answered. */
function historyAt(series: SeriesSnapshot, start: number, end: number): SeriesSnapshot {
  const out: Record<string, MetricSeries> = {};
  for (const [id, s] of Object.entries(series)) {
    out[id] = {
      groups: s.groups.map((g) => ({ key: g.key, canary: between(g.canary, start, end), baseline: between(g.baseline, start, end) })),
      consecutiveErrors: 0,
      consecutiveNoData: 0,
    };
  }
  return out;
}

function between(points: readonly Point[], start: number, end: number): readonly Point[] {
  return points.slice(lowerBound(points, start), upperBound(points, end));
}

/** min / median / p95 / max of the samples in [from, to], quantiles interpolated between ranks. */
function summarise(points: readonly Point[], from: number, to: number): Summary {
  const values = between(points, from, to)
    .map((p) => p.v)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  if (values.length === 0) return { samples: 0 };
  const quantile = (q: number) => {
    const pos = (values.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return values[lo]! + (values[hi]! - values[lo]!) * (pos - lo);
  };
  return { samples: values.length, min: values[0]!, median: quantile(0.5), p95: quantile(0.95), max: values.at(-1)! };
}

function stats(s: Summary, unit: Unit): string {
  if (s.samples === 0) return 'no samples';
  return [s.min, s.median, s.p95, s.max].map((v) => formatValue(v, unit)).join(' / ');
}

function decisionTimes(r: Review): string {
  return (['ROLLBACK', 'HOLD', 'SOAK', 'PROMOTE'] as const)
    .filter((d) => r.decisions[d] > 0)
    .map((d) => `${d} ${spoken(r.decisions[d])}`)
    .join(', ');
}

function actionLine(a: Review['actions'][number]): string {
  const what =
    a.event === 'action' || a.event === 'action-start'
      ? (a.action ?? 'action')
      : a.event === 'checklist'
        ? `checklist "${a.item ?? ''}" ${a.checked === false ? 'unticked' : 'ticked'}`
        : `${a.event}${a.action ? ` ${a.action}` : ''}`;
  const flags = [a.forced ? 'forced' : '', a.auto ? 'automatic' : '', a.dryRun ? 'dry run' : ''].filter(Boolean).join(', ');
  const outcome = a.outcomeUnknown ? ': OUTCOME UNKNOWN' : a.ok === undefined ? '' : a.ok ? ': ok' : `: failed${a.exitCode !== undefined && a.exitCode !== null ? ` (exit ${a.exitCode})` : ''}`;
  return `${utc(a.at)} ${what} by ${a.user}@${a.host}${flags ? ` (${flags})` : ''}${outcome}${a.note ? ` — ${a.note}` : ''}`;
}

function lines(r: Review, format: 'text' | 'markdown', emphasis: (s: string) => string, code: (s: string) => string, escape: (s: string) => string): string[] {
  const out: string[] = [];
  const span = spoken(r.windowMs);
  out.push(`${emphasis(`${span} review`)} — ${escape(r.profile.title)} (${escape(r.profile.name)})`);
  out.push(`${utc(r.from)} → ${utc(r.to)} · phase ${r.phase.index + 1}/${r.phase.count} ${escape(r.phase.name)} (${r.phase.traffic}%)`);
  if (r.rolledBack) {
    out.push(`Now: ${emphasis('ROLLED BACK')}${escape(rolledBackLine(r.rolledBack).slice('ROLLED BACK'.length))}`);
    out.push(`  - the phase would decide ${r.now.decision} (not in force while rolled back)${r.now.reasons[0] ? `: ${escape(r.now.reasons[0])}` : ''}`);
  } else {
    out.push(`Now: ${emphasis(r.now.decision)}${r.now.reasons[0] ? ` — ${escape(r.now.reasons[0])}` : ''}`);
    for (const reason of r.now.reasons.slice(1)) out.push(`  - ${escape(reason)}`);
  }
  out.push(`Decision over the window: ${decisionTimes(r) || '—'} (judged every ${spoken(r.stepMs)})`);

  out.push('', emphasis('Metrics (min / median / p95 / max; time in warn, breach, no data)'));
  for (const m of r.metrics) {
    const few = m.insufficientMs > 0 ? `, too few samples ${spoken(m.insufficientMs)}` : '';
    const times = `warn ${spoken(m.warnMs)}, breach ${spoken(m.breachMs)}${m.noDataMs > 0 ? `, no data ${spoken(m.noDataMs)}` : ''}${few}`;
    if (m.groups.length === 0) out.push(`- ${code(m.id)} no samples — ${times}`);
    for (const g of m.groups) {
      const label = g.group ? `${code(m.id)} [${escape(labelText(g.group))}]` : code(m.id);
      const base = g.baseline && g.baseline.samples > 0 ? `; baseline median ${formatValue(g.baseline.median, m.unit)}` : '';
      out.push(`- ${label} ${escape(stats(g.canary, m.unit))}${escape(base)} — ${times}`);
    }
    if (m.note !== undefined) out.push(`  - ${escape(m.note)}`);
    const evidence = evidenceText(m);
    if (evidence) out.push(`  - now: ${escape(evidence)}`);
    for (const e of m.escalations) out.push(`  - escalated to ${escape(e.to)}${e.key !== undefined ? ` (key ${escape(e.key)})` : ''} at ${utc(e.at)}`);
    for (const b of m.breaches) {
      const end = b.end ? utc(b.end).slice(11) : 'ongoing';
      const peak = b.peak !== undefined ? `, peak ${formatValue(b.peak, m.unit)}` : '';
      out.push(`  - breach ${utc(b.start)} → ${end} (${spoken(b.durationMs)}${escape(peak)})${b.reason ? `: ${escape(b.reason)}` : ''}`);
    }
  }

  out.push('', emphasis('Phase moves'));
  if (r.phaseMoves.length === 0) out.push('- none');
  for (const m of r.phaseMoves) out.push(`- ${utc(m.at)} ${escape(m.from ?? '—')} → ${escape(m.to ?? 'off')} by ${escape(m.by)} (${m.reason})`);

  if (r.rollbackChecklist) out.push('', ...rollbackChecklistLines(r.rollbackChecklist, format));

  out.push('', emphasis('Actions'));
  if (r.actions.length === 0) out.push('- none');
  for (const a of r.actions) out.push(`- ${escape(actionLine(a))}`);

  if (r.notes.length > 0) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${escape(n)}`);
  }
  return out;
}

function formatReviewText(r: Review): string {
  return safeLines(lines(r, 'text', (s) => s, (s) => s, (s) => s));
}

/** Bullets and `**bold**`: CommonMark bold (a single `*` is italics there, not emphasis that stands out). */
function formatReviewMarkdown(r: Review): string {
  return safeLines(lines(r, 'markdown', (s) => `**${s}**`, (s) => `\`${s}\``, markdownSafe));
}
