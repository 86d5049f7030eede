// A metric's `raw:`: its SQL returns one row per observation (a request's latency) instead of one
// number, so that canary and baseline can be compared as distributions (Mann–Whitney, in the
// engine) rather than as two point estimates. Checked here so that a raw metric the engine could
// not judge is a profile error at its line: only SQL returns rows, the rows must be bounded by the
// window, and the count behind the value is the number of rows, never a samples: of its own.

import type { PathIssue, PathSegment } from './issues.js';
import type { MetricParsed, SourceConfig } from './schema.js';
import type { Raw, Samples } from './types.js';

type Report = (path: readonly PathSegment[], message: string, at?: PathIssue['at']) => void;

/** Rows one window may hold unless the metric says otherwise. */
export const DEFAULT_MAX_ROWS = 10_000;

/** `raw:` compiled, with the samples it implies (the rows, named); undefined for an ordinary metric. */
export function compileRaw(m: MetricParsed, source: SourceConfig | undefined, path: PathSegment[], error: Report): { raw: Raw; samples: Samples } | undefined {
  if (m.raw === undefined) return undefined;
  const at = [...path, 'raw'];
  const written = typeof m.raw === 'string' ? m.raw : (m.raw.value ?? 'median');
  const statistic = written.trim();
  let quantile: number | undefined;
  if (statistic === 'median') quantile = 0.5;
  else if (statistic !== 'mean') {
    quantile = Number(statistic.slice(1)) / 100;
    if (!(quantile > 0 && quantile < 1)) error(typeof m.raw === 'string' ? at : [...at, 'value'], `${statistic}: a percentile lies between p0 and p100, e.g. p95`);
  }
  if (source && source.type !== 'postgres') {
    error(at, `raw: reads one row per observation from SQL; source ${m.source} is ${source.type} (for prometheus use a histogram quantile, without raw:)`);
  }
  if (m.split !== undefined) error([...path, 'split'], 'a raw metric is judged as one distribution for the canary and one for the baseline; split: is not supported with raw:');
  if (m.reduce !== undefined) error([...path, 'reduce'], 'a raw metric\'s rows are observations, not series to combine; remove reduce:');
  if (m.samples !== undefined) error([...path, 'samples'], 'a raw metric counts its rows: the samples behind its value are the rows of the window; remove samples: (raw: { name: … } names them)');
  if (typeof m.baseline === 'object' && 'samples' in m.baseline && m.baseline.samples !== undefined) {
    error([...path, 'baseline', 'samples'], 'a raw metric\'s baseline counts its rows; remove baseline samples:');
  }
  // Without the window's bounds every poll would read the whole table: the same rows over and
  // over (counted again at every look), until maxRows stops it.
  const queries = [m.query, typeof m.baseline === 'object' && 'query' in m.baseline ? m.baseline.query : undefined];
  queries.forEach((q, i) => {
    if (typeof q === 'string' && !/\$1(?!\d)/.test(q)) {
      error(i === 0 ? [...path, 'query'] : [...path, 'baseline', 'query'], 'a raw query must keep to the window: bound its rows with $1 (window start) and $2 (now), e.g. WHERE created_at >= $1 AND created_at < $2');
    }
  });
  const maxRows = typeof m.raw === 'object' && m.raw.maxRows !== undefined ? m.raw.maxRows : DEFAULT_MAX_ROWS;
  const name = typeof m.raw === 'object' && m.raw.name !== undefined ? m.raw.name : 'rows';
  return { raw: { statistic, ...(quantile !== undefined ? { quantile } : {}), maxRows }, samples: { query: '', name } };
}
