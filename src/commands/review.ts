// The review model behind `rollcall report`: the history replayed into a Review, judged again at
// each step as a console would have seen it then. Its own file because it is pure — profile, state,
// series and audit entries in, a Review out — while report.ts reads stores, sources and logs, and
// report-format.ts only prints; the JSON format is this model as it stands.

import type { AuditEntry } from '../actions/audit.js';
import { unfinishedActions } from '../actions/unfinished.js';
import { evaluate } from '../engine/evaluate.js';
import { currentPhase, judgementWindowMs } from '../engine/phases.js';
import type { RolloutState } from '../engine/state.js';
import type { Decision, MetricSeries, MetricStatus, Samples, SeriesSnapshot, Snapshot } from '../engine/types.js';
import { redact } from '../profile/redact.js';
import type { Profile, Unit } from '../profile/types.js';
import { checklistEntry, iso, toCheckReport, type CheckReport } from './check-format.js';
import type { RawSampleStore } from '../engine/raw-samples.js';

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

const MAX_STEPS = 1_440;

/**
 * The review, from data alone (pure): each metric summarised over [from, to], and the history
 * judged again at each step with the samples up to that moment and the rollout state of then.
 */
export function review(
  profile: Profile,
  state: RolloutState,
  series: SeriesSnapshot,
  /**
   * `raw`: raw metrics' rows from the live poll, and `polledAt`, when it answered: "now" is judged
   * then, so the live poll counts (the past has no rows to replay).
   */
  opts: { from: number; to: number; audit: AuditEntry[]; notes?: string[]; raw?: RawSampleStore; polledAt?: number },
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

  const now = evaluate(profile, state, series, Math.max(to, opts.polledAt ?? to), opts.raw);
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

function between(samples: Samples, start: number, end: number): Samples {
  return samples.slice(samples.lowerBound(start), samples.upperBound(end));
}

/** min / median / p95 / max of the samples in [from, to], quantiles interpolated between ranks. */
function summarise(samples: Samples, from: number, to: number): Summary {
  const values = Array.from(between(samples, from, to).values())
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
