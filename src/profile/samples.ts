// The profile's words for how much data a judgement stands on: a metric's `samples:` (where the
// count behind each value comes from), a rule's `minSamples:` and `confidence:` (or a condition's
// `significant` suffix). Checked here so that a rule asking for a test the data cannot support is
// a profile error at its line, never a judgement that silently skips the test.

import { checkPromQL } from './promql.js';
import type { PathIssue, PathSegment } from './issues.js';
import type { MetricParsed, RuleParsed, SourceConfig } from './schema.js';
import type { Condition, Metric, Samples } from './types.js';

type Report = (path: readonly PathSegment[], message: string, at?: PathIssue['at']) => void;

/** The confidence a bare `significant` asks for. */
export const DEFAULT_CONFIDENCE = 0.95;

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERIES = /^[A-Za-z_:][A-Za-z0-9_:]*$/;

export function compileSamples(m: MetricParsed, source: SourceConfig | undefined, path: PathSegment[], error: Report): Samples | undefined {
  const baselineSamples = typeof m.baseline === 'object' && 'samples' in m.baseline ? m.baseline.samples : undefined;
  if (m.samples === undefined) {
    if (baselineSamples !== undefined) error([...path, 'baseline', 'samples'], 'baseline samples: needs the metric\'s own samples: (the canary\'s count) first');
    return undefined;
  }
  const at = typeof m.samples === 'string' ? [...path, 'samples'] : [...path, 'samples', 'query'];
  const query = (typeof m.samples === 'string' ? m.samples : m.samples.query).trim();
  const name = typeof m.samples === 'string' ? 'samples' : (m.samples.name ?? 'samples');
  if (!source) return { query, name };
  switch (source.type) {
    case 'prometheus': {
      const problem = checkPromQL(query);
      if (problem) error(at, problem.message, { valueOffset: problem.offset });
      if (baselineSamples !== undefined) {
        const bad = checkPromQL(baselineSamples);
        if (bad) error([...path, 'baseline', 'samples'], bad.message, { valueOffset: bad.offset });
      } else if (typeof m.baseline === 'object' && !('select' in m.baseline)) {
        error([...path, 'baseline'], 'a prometheus baseline query needs its own count too: add samples: to the baseline (the control group\'s requests in the same window)');
      }
      break;
    }
    case 'http':
    case 'exec':
      if (!query.startsWith('$')) error(at, `"${query}" is not a JSONPath; for an ${source.type} metric samples: is the JSONPath of the count in the same ${source.type === 'exec' ? 'output' : 'answer'}, e.g. $.requests`);
      if (typeof m.baseline === 'object' && !('select' in m.baseline) && baselineSamples === undefined) {
        error([...path, 'baseline'], `an ${source.type} baseline needs its own count too: add samples: to the baseline (the JSONPath of the control group's count)`);
      }
      break;
    case 'scrape': {
      if (!SERIES.test(query)) error(at, `"${query}" is not a series name; for a scrape metric samples: names the counter whose increase between two scrapes is the count, e.g. http_requests_total`);
      const between = typeof m.query === 'object' && (m.query.divideBy !== undefined || (m.query.mode ?? 'value') !== 'value');
      if (!between) {
        error(at, 'samples: on a scrape metric is a counter\'s increase between two scrapes, so the value must be measured between the same scrapes: a rate, an increase, a quantile or a ratio (divideBy:), not a gauge');
      }
      if (typeof m.baseline === 'object' && !('select' in m.baseline) && baselineSamples === undefined) {
        error([...path, 'baseline'], 'a scrape baseline needs its own count too: add samples: to the baseline (the control group\'s counter)');
      }
      break;
    }
    case 'postgres':
      if (!COLUMN.test(query)) {
        error(at, `"${query}" is not a column name; for a postgres metric samples: names the column of the same row holding the count, e.g. samples or n`);
      }
      if (baselineSamples !== undefined) error([...path, 'baseline', 'samples'], 'a postgres baseline reads its count from the same column as the metric; remove baseline samples:');
      break;
    default:
      error(at, `samples: is supported for prometheus metrics (a count query), http and exec metrics (a JSONPath), scrape metrics (a counter) and postgres metrics (a column of the same row); source ${m.source} is ${source.type}`);
  }
  return { query, name, ...(baselineSamples !== undefined ? { baseline: baselineSamples.trim() } : {}) };
}

/** A rule's `minSamples` and confidence, after checking the metric can support them. */
export function compileEvidence(
  r: RuleParsed,
  conditions: readonly (Condition | undefined)[],
  metric: Metric | undefined,
  path: PathSegment[],
  error: Report,
): { minSamples?: number; confidence?: number } {
  if (!metric) return {};
  if (r.minSamples !== undefined && !metric.samples) {
    error([...path, 'minSamples'], `minSamples needs to know how many samples each value stands on: add samples: to metric ${metric.id}`);
  }
  const marked = conditions.filter((c): c is Condition => c?.significant === true);
  const confidence = r.confidence === undefined ? (marked.length > 0 ? DEFAULT_CONFIDENCE : undefined) : confidenceOf(r.confidence);
  if (confidence !== undefined) {
    const where = r.confidence !== undefined ? [...path, 'confidence'] : path;
    if (metric.raw) {
      // Rows are compared with rows: a raw metric's test needs the control group's rows.
      const alone = conditions.find((c) => c !== undefined && c.kind !== 'count' && !('ref' in c && c.ref === 'baseline'));
      if (alone) error(where, `"${alone.text.trim()}": a raw metric tests its rows against the baseline's rows; compare with the baseline, e.g. "> 1.2x baseline significant"`);
      else if (metric.baseline?.kind !== 'query' && metric.baseline?.kind !== 'select') {
        error(where, `significance on raw metric ${metric.id} compares its rows with the control group's: give it a baseline query or select`);
      }
    } else if (metric.unit !== 'ratio' || !metric.samples) {
      error(
        where,
        `significance is tested on proportions: metric ${metric.id} needs unit: ratio and samples: (errors out of requests); it is ${metric.unit}${metric.samples ? '' : ' without samples:'}`,
      );
    }
    const counted = conditions.find((c) => c?.kind === 'count');
    if (counted) error(where, `"${counted.text.trim()}" counts increases; significance applies to rates compared with a threshold or a baseline`);
    if (confidence <= 0.5 || confidence >= 1) error(where, 'confidence must lie between 50% and 100%, e.g. "95%"');
  }
  return { ...(r.minSamples !== undefined ? { minSamples: r.minSamples } : {}), ...(confidence !== undefined ? { confidence } : {}) };
}

function confidenceOf(value: number | string): number {
  return typeof value === 'number' ? value : Number(value.trim().replace(/%$/, '').trim()) / 100;
}
