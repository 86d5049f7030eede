// The compiled profile: what the engine, sources, actions and view consume. It is the zod output
// with every cross-reference resolved, every duration in milliseconds, every threshold literal
// converted into its metric's unit, and every phase's effective rule set computed.

import type { Condition, Reference } from './condition.js';
import type { Unit } from './units.js';
import type { TimeOfDay } from './time-of-day.js';
import type { NodataPolicy, NotifyTarget, ScrapeSelector, SourceConfig, StateConfig } from './schema.js';

export type { Condition, Reference, Unit, NodataPolicy, NotifyTarget, ScrapeSelector, SourceConfig, StateConfig, TimeOfDay };

export type Query = string | ScrapeSelector;

export type Baseline =
  /** `path`: an http baseline read from another path of its source. */
  | { kind: 'query'; query: Query; source: string; path?: string }
  | { kind: 'select'; labels: Record<string, string> }
  | { kind: 'start' }
  | { kind: 'value'; value: number };

export interface Metric {
  id: string;
  title: string;
  description?: string;
  source: string;
  query: Query;
  unit: Unit;
  intervalMs: number;
  timeoutMs: number;
  /** SQL window: $1 = now − windowMs, $2 = now. */
  windowMs: number;
  path?: string;
  args?: string[];
  baseline?: Baseline;
  select?: Record<string, string>;
  reduce?: 'sum' | 'avg' | 'min' | 'max';
  split?: string;
  chart: boolean;
  /** Where each value's sample count comes from (the denominator), when the metric names one. */
  samples?: Samples;
  /** The query returns raw rows (one observation each); the value is their statistic. */
  raw?: Raw;
  /** Ring-buffer capacity: enough samples to cover the longest window any rule or criterion needs. */
  capacity: number;
}

/** A metric read as raw rows: `quantile` 0.5 for the median, undefined for the mean. */
export interface Raw {
  /** As written: `p95`, `median`, `mean`. */
  statistic: string;
  quantile?: number;
  /** More rows than this in one window is an error. */
  maxRows: number;
}

/**
 * prometheus: a count query (and the control group's), asked at the same moment as the value;
 * postgres: the column of the same row. `name`: what is counted, for "38/200 requests".
 */
export interface Samples {
  query: string;
  baseline?: string;
  name: string;
}

export type Severity = 'info' | 'warn' | 'rollback';

export interface Rule {
  metric: string;
  title?: string;
  info?: Condition;
  warn?: Condition;
  rollback?: Condition;
  forMs: number;
  /** The conditions judge only once the phase has run this long (rule `after:`). */
  afterMs?: number;
  nodata: NodataPolicy;
  errorLimit: number;
  onError: 'hold' | 'rollback';
  auto: boolean;
  graceMs: number;
  /** Fewer samples than this behind the latest value: the metric is `insufficient` (HOLD). */
  minSamples?: number;
  /** Conditions fire only when significant at this level (0.95); set by `confidence:` or a `significant` condition. */
  confidence?: number;
  /** Steps a firing warning escalates through while unresolved, earliest first. */
  escalate?: Escalation[];
  /** Where the rule was written: `rules[2]` or `phases[1].rules[0]`. */
  origin: string;
}

/** `to`: `rollback` (the rule judges at rollback severity) or an action id (suggested, HOLD stays). */
export interface Escalation {
  afterMs: number;
  to: string;
  /** The id of the notify target that hears this step when it is reached. */
  notify?: string;
}

export interface Criterion {
  metric: string;
  condition: Condition;
  text: string;
  /** Not met on fewer samples than this behind the value. */
  minSamples?: number;
}

export interface Checkin {
  everyMs: number;
  forMs?: number;
}

export interface Phase {
  index: number;
  name: string;
  title: string;
  description?: string;
  traffic: number;
  durationMs?: number;
  holdMs: number;
  success: Criterion[];
  /** Phase items; phase 0 also carries the profile's go/no-go checklist first. */
  checklist: string[];
  /** Cadence check-ins (`every`), in order. */
  checkins: Checkin[];
  /** Daily check-ins at a time of day (`at`), each in its zone; they run beside the cadence. */
  checkinTimes?: TimeOfDay[];
  /** Effective rules: the profile's, with this phase's additions and per-metric overrides. */
  rules: Rule[];
}

/** `traffic`: the action sets the share on the new version without moving the phase (a partial rollback). */
export type ActionEffect = 'promote' | 'rollback' | 'none' | 'traffic';

export interface Action {
  id: string;
  title: string;
  description?: string;
  key?: string;
  run: string[];
  shell: boolean;
  confirm: 'yes' | 'typed' | 'none';
  timeoutMs: number;
  env: Record<string, string>;
  cwd?: string;
  then?: string;
  effect: ActionEffect;
  /** For effect `traffic`: the share it sets, or `prev` for the previous phase's. */
  traffic?: number | 'prev';
}

export interface RollbackItem {
  item: string;
  group?: string;
}

export interface Profile {
  name: string;
  title: string;
  description?: string;
  owner?: string;
  links: Record<string, string>;
  /** The file it was loaded from, when it was. */
  file?: string;
  defaults: {
    intervalMs: number;
    timeoutMs: number;
    holdMs: number;
    errorLimit: number;
    nodata: NodataPolicy;
    historyMs: number;
  };
  sources: Record<string, SourceConfig>;
  /** In the order the profile lists them. */
  metrics: Record<string, Metric>;
  metricIds: string[];
  phases: Phase[];
  /** Where a rollback leaves the rollout: a phase index, or null for `traffic` outside any phase. */
  rollbackTo: { phase: number | null; traffic: number };
  actions: Record<string, Action>;
  /** Items to tick once the rollout is rolled back, in order, each with its group heading if any. */
  rollbackChecklist?: RollbackItem[];
  notify: NotifyTarget[];
  /** Where the rollout state lives when not in the state file: a shared database. Absent: the file. */
  state?: Extract<StateConfig, { store: 'postgres' }>;
  /** Values interpolated from secret-looking variables and credentials: redacted wherever text leaves. */
  secrets: string[];
  /**
   * Loaded for check or report (envMode `sources`): variables of actions and notifiers that were
   * not set, by `actions.<id>` / `notify.<index>`. Such an action or target must never run or send.
   */
  unresolved?: Record<string, string[]>;
}
