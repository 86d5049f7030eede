// Where the poller sends every answer besides the series store: a recording (engine/record.ts) or
// the agent's history. An interface so the engine does not care which, or whether there is one.

import type { SourceErrorKind } from '../sources/source.js';
import type { Track } from './shape.js';
import type { Point } from './types.js';

export interface SampleSink {
  /** One answer's points per split group (also the history a backfill fetched). */
  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void;
  noData(metric: string, track: Track, at: number): void;
  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void;
}
