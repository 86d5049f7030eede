// When a judgement can next change with no new sample and no change to the rollout state: the
// moment a metric's freshest sample turns stale, a rule's `after:` starts to apply, a warning
// reaches its next escalation step, the phase's minimum duration is over, a check-in comes round.
// Everything else evaluate reads is sample-driven (`for` and hold windows walk back from the latest
// sample, counts are increases between samples), so it changes only when a poll lands — and a poll
// wakes the loop by itself.
// The headless loop (`wake: 'due'`) sleeps until the earliest of these instead of judging every
// second; MAX_IDLE_MS bounds the sleep, so anything this does not foresee is judged within it.

import type { Profile } from '../profile/types.js';
import { STALE_INTERVALS, viewMetric } from './judge.js';
import { currentPhase } from './phases.js';
import type { RolloutState } from './state.js';
import type { SeriesSnapshot, Snapshot } from './types.js';

/** The longest a headless loop goes without judging. */
export const MAX_IDLE_MS = 60_000;

/** The earliest moment after `now` at which evaluate could answer differently by time alone (at most now + MAX_IDLE_MS). */
export function nextDue(profile: Profile, rollout: RolloutState, snapshot: Snapshot, series: SeriesSnapshot, now: number): number {
  let due = now + MAX_IDLE_MS;
  const at = (t: number | undefined) => {
    if (t !== undefined && Number.isFinite(t) && t > now && t < due) due = t;
  };
  for (const id of profile.metricIds) {
    const metric = profile.metrics[id]!;
    const view = viewMetric(metric, series[id], rollout.phaseStartedAt, now);
    // Stale once the freshest sample is older than maxGapMs (judge.ts: ageMs > maxGapMs).
    if (view.ageMs !== undefined) at(now - view.ageMs + STALE_INTERVALS * metric.intervalMs + 1);
  }
  const phase = currentPhase(profile, rollout);
  for (const rule of phase.rules) if (rule.afterMs !== undefined) at(rollout.phaseStartedAt + rule.afterMs);
  const p = snapshot.phase;
  if (p.durationMs !== undefined) at(p.startedAt + p.durationMs);
  at(p.nextCheckinAt);
  at(p.dailyCheckin?.at);
  for (const m of snapshot.metrics) at(m.escalation?.next?.at);
  return due;
}
