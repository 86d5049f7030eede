// A metric's sample counts where they come from a query of their own (prometheus: the count
// series of a ratio or histogram; http: a JSON path, asked of the same URL). The count is asked at the same moment as the value, in the
// same request slot, and joined to it by labels and time: a value whose count did not answer has
// none (the judge then says how many samples it stands on is unknown), never a guessed one.

import type { Metric, SourceConfig } from '../profile/types.js';
import type { Track } from './shape.js';
import type { Labels, SeriesSet } from './types.js';

/**
 * The count query to ask beside a track's query, when the source that answers (not the one the
 * profile names: a replay answers for every source, counts included) reads counts that way.
 */
export function samplesQuery(metric: Metric, track: Track, type: SourceConfig['type'] | undefined): string | undefined {
  if (!metric.samples || (type !== 'prometheus' && type !== 'http')) return undefined;
  return track === 'canary' ? metric.samples.query : metric.samples.baseline;
}

/**
 * The count a source reads from the value's own answer (exec: a JSONPath of the same stdout, so
 * value and count come from one run of the command, never two runs that may disagree; scrape: a
 * counter's increase between the same two scrapes as the value).
 */
export function sameAnswerSamples(metric: Metric, track: Track, type: SourceConfig['type'] | undefined): string | undefined {
  if (!metric.samples || (type !== 'exec' && type !== 'scrape')) return undefined;
  return track === 'canary' ? metric.samples.query : metric.samples.baseline;
}

/** Asks the value and, when there is one, its count query at once; the count rides on each point as `n`. */
export async function withSamples(ask: (query: string | undefined) => Promise<SeriesSet>, countQuery: string | undefined): Promise<SeriesSet> {
  if (countQuery === undefined) return ask(undefined);
  const [values, counts] = await Promise.all([ask(undefined), ask(countQuery)]);
  return joinSamples(values, counts);
}

/**
 * Each value gets the count with the same labels at the same time. A single series on each side
 * is joined whatever their labels (`sum(...)` over different metrics keeps different ones).
 */
export function joinSamples(values: SeriesSet, counts: SeriesSet): SeriesSet {
  const single = values.series.length === 1 && counts.series.length === 1;
  const byLabels = new Map<string, Map<number, number>>();
  for (const s of counts.series) byLabels.set(key(s.labels), new Map(s.points.map((p) => [p.t, p.v])));
  const series = values.series.map((s) => {
    const found = single ? byLabels.values().next().value : byLabels.get(key(s.labels));
    return {
      labels: s.labels,
      points: s.points.map((p) => {
        const n = found?.get(p.t);
        return n !== undefined && Number.isFinite(n) && n >= 0 ? { ...p, n } : { t: p.t, v: p.v };
      }),
    };
  });
  const warnings = [...(values.warnings ?? []), ...(counts.warnings ?? []).map((w) => `samples: ${w}`)];
  return warnings.length > 0 ? { series, warnings } : { series };
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
