// The history of every sample: what the poller saw, kept for longer than the series store's rings so
// that `check`, `report` and a reopened console can judge `for` and hold windows and chart a phase
// for every source kind (http, exec and scrape sources cannot be asked for their past). A history is
// the poller's sample sink; where it keeps the samples (an SQLite file, PostgreSQL) is its own
// business. Writing never throws into the poller: a store that fails says so through `problem` and
// judging goes on without it.

import type { Profile } from '../profile/types.js';
import type { SourceErrorKind } from '../sources/source.js';
import type { SampleSink } from './sample-sink.js';
import type { Track } from './shape.js';
import type { Point } from './types.js';

/** One stored sample of one series (a metric's track and split group). */
export interface StoredSeries {
  group: string;
  points: Point[];
}

/** A poll that answered without a value, or failed. */
export interface StoredEvent {
  at: number;
  kind: 'nodata' | 'error';
  reason?: string;
  errorKind?: SourceErrorKind;
}

export interface HistoryRange {
  /** Per split group ('' for an unsplit metric), points in time order, one per timestamp. */
  series: StoredSeries[];
  /** No-data answers and errors in the range, in time order. */
  events: StoredEvent[];
}

/**
 * The writer's side, what the agent needs: the poller's three calls (SampleSink) are buffered and
 * written in batches. A database across the network answers later: flush and prune may be async.
 */
export interface HistoryWriter extends SampleSink {
  /** Writes what is buffered now (one transaction). */
  flush(): void | Promise<void>;
  /** Drops what is older than the retention before `now`; returns how many rows went. */
  prune(now: number): number | Promise<number>;
  /** Where it is kept and how it is bounded, for the operator: `history: /x.sqlite, keeps 14d, at most 1 GiB`. */
  readonly description: string;
  /** Why samples are not being stored right now (a corrupt or full store), or undefined when they are. */
  readonly problem: string | undefined;
  /** Flushes and closes; safe to call twice. */
  close(): Promise<void>;
}

/** A history in this process (the SQLite file): written and read synchronously. */
export interface History extends HistoryWriter {
  /** Everything stored for a metric's track with from <= t <= to, buffered samples included. */
  read(metric: string, track: Track, from: number, to: number): HistoryRange;
  flush(): void;
  prune(now: number): number;
}

const DAY_MS = 86_400_000;
/** What a week's `report` needs beyond the longest phase. */
export const REPORT_MARGIN_MS = 7 * DAY_MS;

/**
 * The default retention: the longest phase plus a week, so a `for` or hold window anywhere in a
 * phase and a week's report after it can be judged from the history. A profile whose phases have
 * no duration keeps the report margin plus its chart history.
 */
export function defaultRetentionMs(profile: Profile): number {
  const longest = Math.max(0, ...profile.phases.map((p) => p.durationMs ?? 0));
  return Math.max(longest, profile.defaults.historyMs) + REPORT_MARGIN_MS;
}
