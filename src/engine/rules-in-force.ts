// Which rules judge a metric now: the phase's, or the defaults where it has none; and a rule's
// `after:`, whose conditions judge only once the phase has run that long (a cache's hit rate means
// something once it is warm). Before then the rule keeps what no data and source errors mean, and
// the metric's row lists the waiting conditions with when they start to apply.

import type { Profile, Rule } from '../profile/types.js';
import { spoken } from './phases.js';

/** Whether the rule's conditions are still waiting for its `after:`. */
export function waiting(rule: Rule, phaseElapsedMs: number): boolean {
  return rule.afterMs !== undefined && phaseElapsedMs < rule.afterMs;
}

/** The rule as it judges now: without its conditions while they wait. */
export function inForce(rule: Rule, phaseElapsedMs: number): Rule {
  if (!waiting(rule, phaseElapsedMs)) return rule;
  const { info: _i, warn: _w, rollback: _r, escalate: _e, ...rest } = rule;
  return rest;
}

/** Added to a waiting condition's text on the metric's row: ` (after 1d in phase)`. */
export function waitingNote(rule: Rule, phaseElapsedMs: number): string {
  return waiting(rule, phaseElapsedMs) ? ` (after ${spoken(rule.afterMs!)} in phase)` : '';
}

/** A metric without a rule in this phase is still watched: no data and errors, per the defaults. */
export function defaultRules(profile: Profile, metric: string): Rule[] {
  return [
    {
      metric,
      forMs: 0,
      nodata: profile.defaults.nodata,
      errorLimit: profile.defaults.errorLimit,
      onError: 'hold',
      auto: false,
      graceMs: 0,
      origin: 'defaults',
    },
  ];
}
