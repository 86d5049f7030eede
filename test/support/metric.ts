// Metrics, requests and bare profiles for source and engine tests, without a profile file: the
// compiled Metric a source receives, with the defaults a profile would give it, and a Profile that
// holds nothing but metrics and sources.

import type { InstantRequest } from '../../src/sources/source.js';
import type { Metric, Profile, Query } from '../../src/profile/types.js';

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

/** A compiled profile of these metrics (in this order) with no rules, phases, actions or notifications. */
export function testProfile(
  metrics: Metric[],
  fields: Partial<Omit<Profile, 'defaults'>> & { defaults?: Partial<Profile['defaults']> } = {},
): Profile {
  const { defaults, ...rest } = fields;
  return {
    name: 'test',
    title: 'test',
    links: {},
    defaults: { intervalMs: 15_000, timeoutMs: 5_000, holdMs: 1_800_000, errorLimit: 3, nodata: 'warn', historyMs: 7_200_000, ...defaults },
    sources: {},
    metrics: Object.fromEntries(metrics.map((m) => [m.id, m])),
    metricIds: metrics.map((m) => m.id),
    phases: [],
    rollbackTo: { phase: null, traffic: 0 },
    actions: {},
    notify: [],
    secrets: [],
    ...rest,
  };
}
