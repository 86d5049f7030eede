// Which rollout needs the on-call engineer first. The overview lists its rows in this order, so
// the one to look at is always on top, however many there are.
//
// The order follows the exit codes of `rollcall check` (commands/many.ts SEVERITY), with one step
// added in front: an automatic rollback counting down is the only thing with a deadline a human
// can still act on (cancel it). Then ROLLBACK (something is breaking now), rolled back (safe, but
// nothing moves until someone acts), a rollout whose sources are down or whose profile could not
// be opened (its verdict is unknown and may hide a ROLLBACK), HOLD, PROMOTE (ready: waiting for a
// human), SOAK (waiting for time). Ties keep the order the profiles were given in.

import type { ConsoleState } from '../console/console-state.js';
import type { MetricState, MetricStatus } from '../engine/types.js';

/** How bad a metric's state is for the overview: lower is worse. */
const STATE_RANK: Record<MetricState, number> = { breach: 0, error: 1, stale: 2, nodata: 3, warn: 4, insufficient: 5, pending: 6, ok: 7 };

export type Attention = 'countdown' | 'rollback' | 'rolledBack' | 'unknown' | 'hold' | 'promote' | 'soak';

const ORDER: readonly Attention[] = ['countdown', 'rollback', 'rolledBack', 'unknown', 'hold', 'promote', 'soak'];

/** Why a rollout sits where it does. `state` absent: its profile or state could not be opened. */
export function attention(state: ConsoleState | undefined): Attention {
  if (!state) return 'unknown';
  if (countdownOf(state)) return 'countdown';
  if (state.rollout.rolledBack) return 'rolledBack';
  const decision = state.snapshot.decision;
  if (decision === 'ROLLBACK') return 'rollback';
  // Every metric without a value because its source fails: nothing is known about this rollout.
  const metrics = state.snapshot.metrics;
  if (metrics.length > 0 && metrics.every((m) => m.state === 'error' || m.state === 'stale' || m.state === 'nodata')) return 'unknown';
  if (decision === 'HOLD') return 'hold';
  return decision === 'PROMOTE' ? 'promote' : 'soak';
}

/** Indices of `states` from the one that most needs a human; a stable sort, so ties keep their order. */
export function attentionOrder(states: readonly (ConsoleState | undefined)[]): number[] {
  const ranks = states.map((st) => ORDER.indexOf(attention(st)));
  return states.map((_, i) => i).sort((a, b) => ranks[a]! - ranks[b]! || a - b);
}

/** The metric that most explains the rollout's state: the worst state, the first of those in the profile. */
export function worstMetric(metrics: readonly MetricStatus[]): MetricStatus | undefined {
  let worst: MetricStatus | undefined;
  for (const m of metrics) if (!worst || STATE_RANK[m.state] < STATE_RANK[worst.state]) worst = m;
  return worst;
}

/**
 * An automatic rollback counting down: this console's own, or one the engine reports firing
 * (an agent holding the lease counts it down; the deadline is the same).
 */
export function countdownOf(state: ConsoleState): { metric: string; deadline: number } | undefined {
  if (state.countdown) return { metric: state.countdown.metric, deadline: state.countdown.deadline };
  const auto = state.snapshot.autoRollback;
  if (auto && !state.rollout.rolledBack) return { metric: auto.metric, deadline: auto.firedAt + auto.graceMs };
  return undefined;
}
