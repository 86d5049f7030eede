// Metrics and requests for source tests, without a whole profile: the compiled Metric a source
// receives, with the defaults a profile would give it.

import type { InstantRequest } from '../../src/sources/source.js';
import type { Metric, Query } from '../../src/profile/types.js';

export function testMetric(fields: Partial<Metric> & { query: Query }): Metric {
  return {
    id: 'm',
    title: 'm',
    source: 's',
    unit: 'none',
    intervalMs: 15_000,
    timeoutMs: 5_000,
    windowMs: 3_600_000,
    chart: false,
    capacity: 100,
    ...fields,
  };
}

/** An instant request for the metric's own query, now, never aborted by the caller. */
export function instantFor(metric: Metric, fields: Partial<InstantRequest> = {}): InstantRequest {
  return { metric, query: metric.query, time: Date.now(), signal: new AbortController().signal, ...fields };
}
