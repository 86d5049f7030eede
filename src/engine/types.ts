// The data that flows through the loop: points in, snapshots out. No screen, no I/O.

import type { Severity, Unit } from '../profile/types.js';

/** One sample: time in epoch milliseconds, value in the metric's unit. */
export interface Point {
  t: number;
  v: number;
  /** How many observations the value stands on (requests in the window), where the metric names its `samples:`. */
  n?: number;
}

export type Labels = Record<string, string>;

/** What a source answers: zero or more labelled series, each with its points in time order. */
export interface SeriesSet {
  /** `rows`: a raw metric's observations in the window (one per row of its SQL), before they are summarised into a point. */
  series: Array<{ labels: Labels; points: Point[]; rows?: Float64Array }>;
  warnings?: string[];
}

/**
 * A series' samples in time order, read by index: kept in typed arrays (engine/sample-view.ts), not
 * one object per sample. Never changes once handed out.
 */
export interface Samples {
  readonly length: number;
  timeAt(i: number): number;
  valueAt(i: number): number;
  /** Undefined when sample i has no count. */
  countAt(i: number): number | undefined;
  /** The times and values without a copy: read them, never write them. */
  times(): Float64Array;
  values(): Float64Array;
  /** Index of the first sample with a time ≥ t, or > t (length when none). */
  lowerBound(t: number): number;
  upperBound(t: number): number;
  /** Samples [from, to), without a copy. */
  slice(from: number, to: number): Samples;
  pointAt(i: number): Point;
  toPoints(): Point[];
}

/** One series of a metric: the only one, or one per value of the metric's `split` label. */
export interface SeriesGroup {
  /** '' for an unsplit metric, else the split label's value. */
  key: string;
  canary: Samples;
  baseline: Samples;
}

/** Everything the store knows about one metric, as evaluate reads it (points in time order). */
export interface MetricSeries {
  groups: readonly SeriesGroup[];
  /** When the last poll (good or not) finished, and the last one that returned a value. */
  lastPollAt?: number;
  lastGoodAt?: number;
  consecutiveErrors: number;
  consecutiveNoData: number;
  lastError?: { at: number; reason: string };
  /** A one-line note from the last answer (Prometheus warnings, "3 series; reduced by sum"). */
  note?: string;
}

export type SeriesSnapshot = Readonly<Record<string, MetricSeries>>;

/** `insufficient`: fewer samples than the rule's minSamples, or a breach not yet significant: HOLD. */
export type MetricState = 'ok' | 'pending' | 'warn' | 'breach' | 'insufficient' | 'nodata' | 'error' | 'stale';
export type Decision = 'PROMOTE' | 'SOAK' | 'HOLD' | 'ROLLBACK';

export interface MetricStatus {
  id: string;
  title: string;
  unit: Unit;
  state: MetricState;
  /** When the current state began, as far as the kept history shows. */
  since?: number;
  value?: number;
  baseline?: number;
  delta?: { abs: number; rel?: number };
  /** The split group that decided the state, e.g. `endpoint=/api/farms`. */
  group?: string;
  /** The rule condition that is breaching or pending, e.g. `> 2%` with its severity. */
  firing?: { severity: Severity; text: string; auto: boolean; graceMs: number };
  /** The thresholds that apply, for the table: `warn > 1%`, `rollback > 2%`. */
  thresholds: { severity: Severity; text: string; threshold?: number }[];
  pending?: { since: number; forMs: number; remainingMs: number };
  /** A firing warning's escalation (rule `escalate:`): the step reached, and the next one with its countdown. */
  escalation?: {
    reached?: { to: string; at: number; key?: string; notify?: string };
    next?: { to: string; at: number; remainingMs: number };
  };
  error?: string;
  /**
   * Why the answer is what it is, from the source's last answer: "no series named … in the
   * exposition", "1 non-finite value dropped", a Prometheus warning. What makes "no data" say why.
   */
  note?: string;
  /** The samples behind the value shown (`n`, unknown when the source gave no count) and the minimum asked for. */
  samples?: { n?: number; min?: number; name: string };
  /** The significance test of the comparison that decided the state (rules with `significant`/`confidence:`). */
  significance?: {
    p: number;
    effect: number;
    confidence: number;
    significant: boolean;
    n: number;
    baselineN?: number;
    /** The baseline's rate over the same windows, or the fixed rate tested against. */
    vs: number;
    /** The canary's rate over the windows tested. */
    rate: number;
    method: string;
    condition: string;
    /** A raw metric's test (Mann–Whitney on rows): its statistic, the ratio of medians and the looks so far. */
    rows?: { statistic: string; medianRatio: number; looks: number };
  };
  /** The sentence a person reads aloud: `error_rate 2.4% > 2% for 5m (rollback)`. */
  reason?: string;
}

export interface CriterionStatus {
  text: string;
  metric: string;
  /** true holding now, false failing now, null no data. */
  met: boolean | null;
  /** How long it has held without interruption, and how long it must. */
  heldMs: number;
  holdMs: number;
  value?: number;
}

export interface ChecklistStatus {
  item: string;
  /** The heading it is listed under (rollbackChecklist groups). */
  group?: string;
  checked: boolean;
  by?: string;
  at?: number;
}

export interface PhaseStatus {
  index: number;
  name: string;
  title: string;
  traffic: number;
  startedAt: number;
  elapsedMs: number;
  durationMs?: number;
  remainingMs?: number;
  criteria: CriterionStatus[];
  checklist: ChecklistStatus[];
  nextCheckinAt?: number;
  checkinEveryMs?: number;
  /** When the next check-in is a daily one: its time of day, `09:00 Europe/Berlin`. */
  checkinDaily?: string;
  /** The next daily check-in (`at:`), shown beside a cadence that comes sooner. */
  dailyCheckin?: { at: number; time: string };
}

export interface Snapshot {
  at: number;
  profile: string;
  decision: Decision;
  /** Most important first; the first is the headline. */
  reasons: string[];
  metrics: MetricStatus[];
  phase: PhaseStatus;
  /** `by`: who rolled it back (`alice@bastion (auto-rollback)`). */
  rolledBack?: { at: number; traffic: number; phase: number | null; by?: string };
  /** A traffic action set the share within the phase (a partial rollback): now `share`, before `from`. */
  traffic?: { share: number; from: number; at: number; by: string; action: string };
  /** While rolled back: the profile's rollbackChecklist with its ticks (absent when it has none). */
  rollbackChecklist?: ChecklistStatus[];
  /** A rollback rule with `auto: true` is firing: the countdown belongs to whoever holds the lock. */
  autoRollback?: { metric: string; text: string; firedAt: number; graceMs: number };
}
