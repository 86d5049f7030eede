// The phase gate and the decision. A phase promotes only when nothing holds it: no rule firing or
// pending, every metric answering, every success criterion met for its hold window, every
// checklist item ticked, and the minimum duration served.

import { formatDuration } from '../profile/duration.js';
import { formatValue } from '../profile/units.js';
import { formatTimeOfDay, nextTimeOfDay } from '../profile/time-of-day.js';
import type { Condition, Phase, Profile } from '../profile/types.js';
import type { RolloutState } from './state.js';
import type { ChecklistStatus, CriterionStatus, Decision, PhaseStatus } from './types.js';
import { formatCount } from './evidence.js';
import { STALE_INTERVALS, type MetricView } from './judge.js';
import { FAILS, UNKNOWN } from './truth.js';

/** A duration as a person says it: whole seconds at least (`0s`, `4m30s`, `2d`), never `635ms`. */
export function spoken(ms: number): string {
  return ms < 1_000 ? '0s' : formatDuration(ms);
}

/** 0 green, 1 hold, 2 rollback. */
export type Level = 0 | 1 | 2;

/** One sentence towards the decision; `soak` ones only delay a promote. */
export interface Reason {
  level: Level | 'soak';
  /** Order within a level: the higher, the earlier it is read. */
  rank: number;
  text: string;
}

/** The phase the state points at (the first, should the state point past the end). */
export function currentPhase(profile: Profile, state: RolloutState): Phase {
  return profile.phases[state.phase] ?? profile.phases[0]!;
}

/** How long success criteria must hold: the phase's hold window, or the whole phase if shorter. */
function requiredHoldMs(phase: Phase): number {
  return phase.durationMs !== undefined ? Math.min(phase.holdMs, phase.durationMs) : phase.holdMs;
}

export function phaseGate(
  profile: Profile,
  phase: Phase,
  state: RolloutState,
  views: ReadonlyMap<string, MetricView>,
  now: number,
): { status: PhaseStatus; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const startedAt = state.phaseStartedAt;
  const elapsedMs = Math.max(0, now - startedAt);
  const holdMs = requiredHoldMs(phase);

  const criteria = phase.success.map((c): CriterionStatus => {
    const short = c.minSamples !== undefined ? fewestSamples(views.get(c.metric), c.minSamples) : undefined;
    // Too few samples to count as met (a 0% error rate over 40 requests is no evidence for promotion).
    const judged = short ? { met: null, heldMs: 0 } : criterion(views.get(c.metric), c.condition, errorLimit(profile, phase, c.metric));
    const status: CriterionStatus = {
      text: c.text,
      metric: c.metric,
      met: judged.met,
      heldMs: judged.heldMs,
      holdMs,
      ...(judged.value !== undefined ? { value: judged.value } : {}),
    };
    const unit = views.get(c.metric)?.metric.unit ?? 'none';
    if (judged.met === false) {
      reasons.push({ level: 1, rank: 8, text: `success: ${c.text} not met (${formatValue(judged.value, unit)})` });
    } else if (judged.met === null) {
      const why = short ? `${short} of ${formatCount(c.minSamples!)} ${views.get(c.metric)?.metric.samples?.name ?? 'samples'}` : 'no data';
      reasons.push({ level: 1, rank: 7, text: `success: ${c.text} not judged: ${why}` });
    } else if (judged.heldMs < holdMs) {
      reasons.push({
        level: 'soak',
        rank: 1,
        text: `success: ${c.text} held ${spoken(judged.heldMs)} of ${spoken(holdMs)}`,
      });
    }
    return status;
  });

  const ticks = state.checklist[phase.name] ?? {};
  const checklist = phase.checklist.map((item): ChecklistStatus => {
    const tick = ticks[item];
    return tick ? { item, checked: true, by: tick.by, at: tick.at } : { item, checked: false };
  });
  const unchecked = checklist.filter((c) => !c.checked).length;
  if (unchecked > 0) {
    reasons.push({ level: 1, rank: 5, text: `checklist: ${unchecked} ${unchecked === 1 ? 'item' : 'items'} unchecked` });
  }
  if (state.paused) reasons.push({ level: 1, rank: 1, text: 'rollout paused' });

  let remainingMs: number | undefined;
  if (phase.durationMs !== undefined) {
    remainingMs = Math.max(0, phase.durationMs - elapsedMs);
    if (remainingMs > 0) {
      reasons.push({
        level: 'soak',
        rank: 2,
        text: `soaking: ${spoken(elapsedMs)} of ${spoken(phase.durationMs)}`,
      });
    }
  }

  const checkin = nextCheckin(phase, startedAt, now);
  const daily = nextDailyCheckin(phase, now);
  return {
    status: {
      index: phase.index,
      name: phase.name,
      title: phase.title,
      traffic: phase.traffic,
      startedAt,
      elapsedMs,
      ...(phase.durationMs !== undefined ? { durationMs: phase.durationMs, remainingMs } : {}),
      criteria,
      checklist,
      ...(checkin ? { nextCheckinAt: checkin.at } : {}),
      ...(checkin?.everyMs !== undefined ? { checkinEveryMs: checkin.everyMs } : {}),
      ...(checkin?.daily !== undefined ? { checkinDaily: checkin.daily } : {}),
      ...(daily ? { dailyCheckin: daily } : {}),
    },
    reasons,
  };
}

/**
 * How much history judging this phase needs, so that a one-shot check sees what a console open
 * that long would: the longest `for`, count window and hold window, back to the phase start when a
 * rule compares with `start` (within the history kept), plus a few intervals of margin.
 */
export function judgementWindowMs(profile: Profile, phase: Phase, phaseStartedAt: number, now: number): number {
  const conditions: Condition[] = [
    ...phase.rules.flatMap((r) => [r.info, r.warn, r.rollback].filter((c): c is Condition => c !== undefined)),
    ...phase.success.map((c) => c.condition),
  ];
  // An escalation counts from when the warning fired: `for` plus the last step's `after`.
  const escalationMs = (r: Phase['rules'][number]) => Math.max(0, ...(r.escalate ?? []).map((e) => e.afterMs));
  let windowMs = Math.max(0, ...phase.rules.map((r) => r.forMs + escalationMs(r)), ...conditions.map((c) => (c.kind === 'count' ? c.windowMs : 0)));
  if (phase.success.length > 0) windowMs = Math.max(windowMs, requiredHoldMs(phase));
  // A significance test adds up the phase's windows from its start.
  const usesStart =
    conditions.some((c) => ('ref' in c && c.ref === 'start') || c.significant === true) ||
    phase.rules.some((r) => r.confidence !== undefined || r.minSamples !== undefined) ||
    Object.values(profile.metrics).some((m) => m.baseline?.kind === 'start');
  if (usesStart) windowMs = Math.max(windowMs, Math.min(now - phaseStartedAt, profile.defaults.historyMs));
  const longestInterval = Math.max(profile.defaults.intervalMs, ...Object.values(profile.metrics).map((m) => m.intervalMs));
  return windowMs + STALE_INTERVALS * longestInterval;
}

/**
 * A criterion over every series of its metric: met when all hold, failing when any fails, null when
 * it cannot be judged (no data, stale, or the source failing). It has held since the start of the
 * run of samples, within this phase, on which it held without a break.
 */
function criterion(
  view: MetricView | undefined,
  condition: Condition,
  limit: number,
): { met: boolean | null; heldMs: number; value?: number } {
  if (!view || view.tracks.length === 0 || view.answeredEmpty || view.stale) return { met: null, heldMs: 0 };
  if (view.consecutiveErrors >= limit) return { met: null, heldMs: 0 };

  let met: boolean | null = true;
  let heldMs = Infinity;
  let value: number | undefined;
  for (const track of view.tracks) {
    const judged = track.judge(condition);
    const latest = track.end - 1;
    const now = judged.truth[latest];
    const observed = track.observed(condition, latest);
    if (now === FAILS) {
      if (met !== false) value = observed;
      met = false;
    } else if (now === UNKNOWN && met === true) {
      met = null;
    } else if (met === true && value === undefined) {
      value = observed;
    }
    const start = track.runStart(judged, track.phaseStart);
    heldMs = Math.min(heldMs, start < 0 ? 0 : track.timeAt(latest) - track.timeAt(start));
  }
  return { met, heldMs: met === true ? heldMs : 0, ...(value !== undefined ? { value } : {}) };
}

/** The smallest count behind a series' latest value, when it is below `min` (`?` when unknown). */
function fewestSamples(view: MetricView | undefined, min: number): string | undefined {
  let fewest: number | undefined = Infinity;
  for (const track of view?.tracks ?? []) {
    const n = track.end > 0 ? track.countAt(track.end - 1) : undefined;
    fewest = n === undefined || fewest === undefined ? undefined : Math.min(fewest, n);
  }
  if (fewest === Infinity) return undefined;
  return fewest === undefined ? '?' : fewest < min ? formatCount(fewest) : undefined;
}

/** Consecutive errors after which a metric counts as failing: its strictest rule's, else the default. */
function errorLimit(profile: Profile, phase: Phase, metric: string): number {
  const limits = phase.rules.filter((r) => r.metric === metric).map((r) => r.errorLimit);
  return limits.length > 0 ? Math.min(...limits) : profile.defaults.errorLimit;
}

/**
 * The next check-in: the earlier of the cadence's and the next time of day. A time-of-day check-in
 * says which (`daily`: `09:00 Europe/Berlin`); a cadence one says its step.
 */
export function nextCheckin(phase: Phase, startedAt: number, now: number): { at: number; everyMs?: number; daily?: string } | undefined {
  const cadence = nextCadenceCheckin(phase, startedAt, now);
  const daily = nextDailyCheckin(phase, now);
  if (daily && (!cadence || daily.at < cadence.at)) return { at: daily.at, daily: daily.time };
  return cadence;
}

/** The next of the phase's daily check-ins (`at:`), with its time of day as written. */
export function nextDailyCheckin(phase: Phase, now: number): { at: number; time: string } | undefined {
  let next: { at: number; time: string } | undefined;
  for (const time of phase.checkinTimes ?? []) {
    const at = nextTimeOfDay(time, now);
    if (!next || at < next.at) next = { at, time: formatTimeOfDay(time) };
  }
  return next;
}

/**
 * The next check-in from the cadence: `every` for `for`, then the next entry, the last entry
 * lasting for good. Check-ins fall on the phase start plus whole steps of the cadence in force.
 */
function nextCadenceCheckin(phase: Phase, startedAt: number, now: number): { at: number; everyMs: number } | undefined {
  if (phase.checkins.length === 0) return undefined;
  let segmentStart = startedAt;
  for (let k = 0; k < phase.checkins.length; k++) {
    const { everyMs, forMs } = phase.checkins[k]!;
    const last = k === phase.checkins.length - 1;
    const segmentEnd = last || forMs === undefined ? Infinity : segmentStart + forMs;
    if (now < segmentEnd || last) {
      if (everyMs <= 0) return undefined;
      const steps = Math.max(0, Math.ceil((now - segmentStart) / everyMs));
      const at = segmentStart + steps * everyMs;
      return at < segmentEnd ? { at, everyMs } : { at: segmentEnd, everyMs };
    }
    segmentStart = segmentEnd;
  }
  return undefined;
}

/**
 * ROLLBACK > HOLD > SOAK > PROMOTE, with every reason, most severe first. The last phase promoted
 * means the rollout is complete.
 */
export function decide(profile: Profile, phase: Phase, reasons: Reason[]): { decision: Decision; reasons: string[] } {
  const weight = (r: Reason) => (r.level === 'soak' ? 0.5 : r.level);
  const ordered = reasons
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.level !== 0)
    .sort((a, b) => weight(b.r) - weight(a.r) || b.r.rank - a.r.rank || a.i - b.i)
    .map(({ r }) => r);
  const top = ordered[0];
  if (top) {
    const decision: Decision = top.level === 2 ? 'ROLLBACK' : top.level === 1 ? 'HOLD' : 'SOAK';
    return { decision, reasons: ordered.map((r) => r.text) };
  }
  const next = profile.phases[phase.index + 1];
  const text = next
    ? `ready to promote to ${next.name} (${next.traffic}%): all gates green`
    : `rollout complete: all gates green at ${phase.name} (${phase.traffic}%)`;
  return { decision: 'PROMOTE', reasons: [text] };
}
