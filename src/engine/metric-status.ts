// A metric's judgement (its Verdict) and the MetricStatus it is reported as: the value, the
// baseline and the delta at the deciding sample, each rule's thresholds, the error count, the
// sample sizes and the significance. Apart from evaluate.ts because evaluate decides and this only
// reports what was decided; nothing here changes a state or a level.

import type { Metric, Profile, Rule } from '../profile/types.js';
import type { MetricState, MetricStatus } from './types.js';
import type { MetricView, Track } from './judge.js';
import type { Level } from './phases.js';
import { waitingNote } from './rules-in-force.js';
import { samplesOf, significanceOf, type Significance } from './evidence.js';

export interface Verdict {
  level: Level;
  state: MetricState;
  /** Order within a level: the higher, the earlier its reason is read. */
  rank: number;
  reason?: string;
  since?: number;
  /** The series that decided it (for a split metric, the worst group). */
  track?: Track;
  firing?: MetricStatus['firing'];
  pending?: MetricStatus['pending'];
  /** A rule with `auto: true` judging at rollback severity. */
  auto?: { text: string; firedAt: number; graceMs: number };
  escalation?: MetricStatus['escalation'];
  /** The significance test of the condition that decided it, with that condition's text. */
  test?: { result: Significance; text: string };
}

export const SEVERITIES = ['rollback', 'warn', 'info'] as const;

export function status(view: MetricView, rules: Rule[], verdict: Verdict, profile: Profile, phaseElapsedMs: number): MetricStatus {
  const { metric, series } = view;
  const judged = verdict.state !== 'nodata' && verdict.state !== 'error';
  const track = verdict.track ?? (judged ? view.tracks[0] : undefined);
  const i = track ? track.end - 1 : -1;
  const value = track && judged ? track.value(i) : undefined;
  const baseline = track ? baselineOf(track, metric, rules, i) : undefined;
  const errors = view.consecutiveErrors;
  const limit = Math.min(...rules.map((r) => r.errorLimit));
  const error =
    errors > 0 && series?.lastError
      ? verdict.state === 'error'
        ? series.lastError.reason
        : `${series.lastError.reason} (${errors} of ${limit})`
      : undefined;
  return {
    id: metric.id,
    title: metric.title,
    unit: metric.unit,
    state: verdict.state,
    ...(verdict.since !== undefined ? { since: verdict.since } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
    ...(value !== undefined && baseline !== undefined
      ? { delta: { abs: value - baseline, ...(baseline !== 0 ? { rel: (value - baseline) / Math.abs(baseline) } : {}) } }
      : {}),
    ...(metric.split && track && track.key !== '' ? { group: `${metric.split}=${track.key}` } : {}),
    ...(verdict.firing ? { firing: verdict.firing } : {}),
    thresholds: thresholds(rules, track, i, phaseElapsedMs),
    ...(verdict.pending ? { pending: verdict.pending } : {}),
    ...(verdict.escalation ? { escalation: withKey(verdict.escalation, profile) } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(series?.note !== undefined ? { note: series.note } : {}),
    ...(metric.samples ? { samples: samplesOf(metric, rules, track, i) } : {}),
    ...(verdict.test ? { significance: significanceOf(verdict.test) } : {}),
    ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
  };
}

/** The key of the action a warning escalated to, so the console can say which key runs it. */
function withKey(escalation: NonNullable<MetricStatus['escalation']>, profile: Profile): NonNullable<MetricStatus['escalation']> {
  const reached = escalation.reached;
  const key = reached && reached.to !== 'rollback' ? profile.actions[reached.to]?.key : undefined;
  return key !== undefined && reached ? { ...escalation, reached: { ...reached, key } } : escalation;
}

function baselineOf(track: Track, metric: Metric, rules: Rule[], i: number): number | undefined {
  if (metric.baseline) return track.baselineAt(i);
  const usesStart = rules.some((r) => SEVERITIES.some((s) => {
    const c = r[s];
    return c !== undefined && 'ref' in c && c.ref === 'start';
  }));
  return usesStart ? track.startValue() : undefined;
}

function thresholds(rules: Rule[], track: Track | undefined, i: number, phaseElapsedMs: number): MetricStatus['thresholds'] {
  const out: MetricStatus['thresholds'] = [];
  for (const rule of rules) {
    // Mildest first, as a table reads: warn > 1%, rollback > 2%.
    for (const severity of [...SEVERITIES].reverse()) {
      const condition = rule[severity];
      if (!condition) continue;
      const threshold =
        condition.kind === 'literal' ? condition.threshold : track && i >= 0 ? track.threshold(condition, i) : undefined;
      const from = waitingNote(rule, phaseElapsedMs);
      out.push({ severity, text: `${condition.text.trim()}${from}`, ...(threshold !== undefined && !from ? { threshold } : {}) });
    }
  }
  return out;
}
