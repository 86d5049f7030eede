// One small interface for every kind of metric source (after grafterm): an instant query and a
// range query, both abortable, plus close(). Everything a source can go wrong with becomes a
// SourceError with a one-line reason; an answer with no value is an empty SeriesSet, not an error.

import type { Metric, Query, SourceConfig } from '../profile/types.js';
import type { SeriesSet } from '../engine/types.js';

export interface InstantRequest {
  metric: Metric;
  /** The canary query, or the baseline's. */
  query: Query;
  /** Evaluation time, epoch ms. */
  time: number;
  signal: AbortSignal;
  /** The track's count, read from the same answer as the value (exec: a JSONPath of the same stdout). */
  samples?: string | undefined;
}

export interface RangeRequest extends Omit<InstantRequest, 'time'> {
  start: number;
  end: number;
  stepMs: number;
}

export interface Source {
  readonly id: string;
  readonly type: SourceConfig['type'];
  instant(req: InstantRequest): Promise<SeriesSet>;
  /** History for backfill; absent where the source has none (scrape, exec, http). */
  range?(req: RangeRequest): Promise<SeriesSet>;
  close(): Promise<void>;
}

export type SourceErrorKind = 'unreachable' | 'timeout' | 'http' | 'query' | 'parse' | 'aborted' | 'exit';

export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly kind: SourceErrorKind,
    /** One line, no secrets: `connection refused (127.0.0.1:9090)`, `HTTP 500`, `syntax error at or near "FORM"`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export function isSourceError(error: unknown): error is SourceError {
  return error instanceof SourceError;
}
