// A service's own /metrics, read without a Prometheus in between: gauges as they are, counters as
// deltas between consecutive scrapes (rate, increase), histograms as a quantile of the bucket
// deltas, and ratios of two of those. The exposition is fetched once per tick however many
// metrics read it; what the deltas need from the previous scrape lives here, per metric and query.
// Counters and histogram buckets add up across the series a selector matches (as `sum(rate(…))`
// and `histogram_quantile(…, sum by (le) …)` do); gauges do not: each matching gauge is its own
// series, so several where one is expected is the metric's error naming select/reduce/split.

import type { Clock } from '../engine/clock.js';
import type { Labels, SeriesSet } from '../engine/types.js';
import { formatDuration } from '../profile/duration.js';
import type { ScrapeSelector } from '../profile/types.js';
import { parseExposition, parseSampleValue, type Exposition, type ExpositionSample } from './exposition.js';
import { HttpEndpoint, joinPath } from './http.js';
import { SourceError, type InstantRequest, type Source } from './source.js';
import * as z from 'zod';
import type { Profile } from '../profile/types.js';
import { auth, sourceCommon, stringMap } from '../profile/schema-parts.js';
import { defineSourceKind } from './kind.js';

type ScrapeConfig = z.output<typeof scrapeConfig>;
type Mode = NonNullable<ScrapeSelector['mode']>;

export interface ScrapeOptions {
  clock: Clock;
  /** How long one fetched exposition serves every metric that asks (default 1s). */
  cacheMs?: number;
  /** Timeout of the shared fetch (default 10s); each caller's own timeout still applies to it. */
  fetchTimeoutMs?: number;
}

interface Fetched {
  at: number;
  exposition: Exposition;
}

/** What one numerator or denominator remembers between scrapes. */
interface Memory {
  at: number;
  counters: Map<string, number>;
  result: number | undefined;
}

export function createScrapeSource(id: string, config: ScrapeConfig, opts: ScrapeOptions): Source & { where: string } {
  const endpoint = new HttpEndpoint({ url: config.url, headers: config.headers, auth: config.auth, connections: 1 });
  const cacheMs = opts.cacheMs ?? 1_000;
  const closing = new AbortController();
  const memory = new Map<string, Memory>();
  let latest: { at: number; answer: Promise<Fetched> } | undefined;

  const fetchTimeoutMs = opts.fetchTimeoutMs ?? 10_000;

  async function fetchExposition(at: number): Promise<Fetched> {
    // The fetch is shared, so no one caller's signal may cancel it; it has its own timeout.
    const timeout = AbortSignal.timeout(fetchTimeoutMs);
    let res;
    try {
      res = await endpoint.request({
        path: joinPath(endpoint.base),
        headers: { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1' },
        signal: AbortSignal.any([closing.signal, timeout]),
      });
    } catch (error) {
      if (timeout.aborted) throw new SourceError('timeout', `timed out after ${formatDuration(fetchTimeoutMs)} (${endpoint.where})`);
      throw error;
    }
    if (!res.ok) throw endpoint.statusError(res.status);
    // A login page or a dashboard at the URL would parse as nothing at all: say what it was.
    if (isHtml(res.contentType, res.text)) throw new SourceError('parse', `answered HTML, not the exposition format (${endpoint.where})`);
    return { at, exposition: parseExposition(res.text) };
  }

  /** One request per tick: callers within cacheMs of a fetch's start share it, failure included. */
  function scrape(): Promise<Fetched> {
    const now = opts.clock.now();
    if (!latest || now - latest.at >= cacheMs || now < latest.at) {
      const answer = fetchExposition(now);
      answer.catch(() => undefined);
      latest = { at: now, answer };
    }
    return latest.answer;
  }

  return {
    id,
    type: 'scrape',
    where: endpoint.where,
    async instant(req: InstantRequest): Promise<SeriesSet> {
      const selector = asSelector(req.query, endpoint.where);
      const { at, exposition } = await scrape();
      const key = `${req.metric.id}\u0000${JSON.stringify(selector)}`;
      const warnings = notes(exposition, selector, endpoint.where);
      const measure = (role: string, part: Part): number | undefined => {
        const k = `${key}\u0000${role}`;
        const previous = memory.get(k);
        // The same exposition read twice (two polls inside the cache window) has no new delta.
        if (previous && previous.at === at) return previous.result;
        const next = evaluate(part, exposition, at, previous, endpoint.where);
        memory.set(k, next);
        return next.result;
      };
      const mode = selector.mode ?? 'value';
      if (mode === 'value' && !selector.divideBy) {
        const samples = select(exposition, selector.series, selector.match, endpoint.where);
        const series = samples.map((s) => ({ labels: s.labels, points: [{ t: at, v: s.value }] }));
        return warnings.length > 0 ? { series, warnings } : { series };
      }
      if (mode !== 'value' && !memory.has(`${key}\u0000numerator`)) {
        warnings.push(`first scrape: ${mode} needs a second one to compare with`);
      }
      const numerator = measure('numerator', { series: selector.series, match: selector.match, mode, quantile: selector.quantile });
      let value = numerator;
      if (selector.divideBy) {
        const denominatorMode = selector.divideBy.mode ?? (mode === 'quantile' ? 'value' : mode);
        const denominator = measure('denominator', { ...selector.divideBy, mode: denominatorMode });
        value = ratio(numerator, denominator);
      }
      // The count behind the value: the counter's increase between the same two scrapes, matched
      // as the denominator is (a ratio's requests), else as the value is (a histogram's _count).
      const match = selector.divideBy ? selector.divideBy.match : selector.match;
      const n = req.samples === undefined ? undefined : measure('samples', { series: req.samples, match, mode: 'increase' });
      const point = n !== undefined && Number.isFinite(n) ? { t: at, v: value!, n: Math.round(n) } : { t: at, v: value! };
      const series = value === undefined ? [] : [{ labels: {}, points: [point] }];
      return warnings.length > 0 ? { series, warnings } : { series };
    },
    async close() {
      closing.abort();
      await endpoint.close();
    },
  };
}

interface Part {
  series: string;
  match?: Record<string, string>;
  mode: Mode;
  quantile?: number;
}

/** A bare string names a gauge series; anything else is the selector object. */
function asSelector(query: InstantRequest['query'], where: string): ScrapeSelector {
  if (typeof query === 'string') {
    if (query.trim() === '') throw new SourceError('query', `a scrape metric needs a series name (${where})`);
    return { series: query.trim() };
  }
  return query;
}

/** 0/0 is no data (nothing happened); x/0 is ±Inf, as in PromQL. */
function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined) return undefined;
  if (denominator === 0 && numerator === 0) return undefined;
  return numerator / denominator;
}

function evaluate(part: Part, exposition: Exposition, at: number, previous: Memory | undefined, where: string): Memory {
  const samples = select(exposition, exposedName(part.series, part.mode), part.match, where);
  if (part.mode === 'value') {
    if (samples.length > 1) {
      throw new SourceError('query', `${samples.length} series of gauge ${part.series} match; a ratio needs one on each side: narrow match: (${where})`);
    }
    return { at, counters: new Map(), result: samples[0]?.value };
  }
  if (samples.length === 0) return { at, counters: previous?.counters ?? new Map(), result: undefined };
  const counters = new Map(samples.map((s) => [labelKey(s.labels), s.value]));
  if (!previous) return { at, counters, result: undefined };
  const deltas = counterDeltas(previous.counters, samples);
  let result: number | undefined;
  if (part.mode === 'quantile') {
    if (part.quantile === undefined) throw new SourceError('query', `mode quantile needs a quantile, e.g. 0.95 (${where})`);
    result = bucketQuantile(part.quantile, deltas);
  } else {
    const increase = deltas.reduce((sum, d) => sum + d.delta, 0);
    result = part.mode === 'increase' ? increase : at > previous.at ? increase / ((at - previous.at) / 1_000) : undefined;
  }
  return { at, counters, result };
}

/**
 * Each series' increase since the previous scrape. A drop means the counter restarted from 0
 * (Prometheus' reset rule). A series that was not there last time started from 0 in between:
 * a service that already exported counters creates a new one (a first 500) on its first count.
 */
function counterDeltas(before: Map<string, number>, now: ExpositionSample[]): Array<{ labels: Labels; delta: number }> {
  return now.map((s) => {
    const prior = before.get(labelKey(s.labels)) ?? 0;
    return { labels: s.labels, delta: s.value >= prior ? s.value - prior : s.value };
  });
}

/** histogram_quantile over bucket increases summed by `le`, interpolated as Prometheus does. */
function bucketQuantile(q: number, buckets: Array<{ labels: Labels; delta: number }>): number | undefined {
  const byBound = new Map<number, number>();
  for (const b of buckets) {
    const bound = b.labels.le === undefined ? undefined : parseSampleValue(b.labels.le);
    if (bound === undefined || Number.isNaN(bound)) continue;
    byBound.set(bound, (byBound.get(bound) ?? 0) + b.delta);
  }
  const sorted = [...byBound].map(([upper, count]) => ({ upper, count })).sort((a, b) => a.upper - b.upper);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.upper !== Infinity) return undefined;
  // Cumulative counts must not fall; scrape jitter between buckets can make them, as in Prometheus.
  for (let i = 1; i < sorted.length; i++) sorted[i]!.count = Math.max(sorted[i]!.count, sorted[i - 1]!.count);
  const total = sorted[sorted.length - 1]!.count;
  if (total === 0) return undefined;
  let rank = q * total;
  const b = sorted.findIndex((bucket) => bucket.count >= rank);
  if (b === sorted.length - 1) return sorted[sorted.length - 2]!.upper;
  if (b === 0 && sorted[0]!.upper <= 0) return sorted[0]!.upper;
  let start = 0;
  let count = sorted[b]!.count;
  if (b > 0) {
    start = sorted[b - 1]!.upper;
    count -= sorted[b - 1]!.count;
    rank -= sorted[b - 1]!.count;
  }
  return start + (sorted[b]!.upper - start) * (rank / count);
}

function select(exposition: Exposition, name: string, match: Record<string, string> | undefined, where: string): ExpositionSample[] {
  const all = exposition.byName.get(name) ?? [];
  if (!match) return all;
  const tests = Object.entries(match).map(([label, value]) => {
    if (!value.startsWith('~')) return (labels: Labels) => (labels[label] ?? '') === value;
    const re = anchored(value.slice(1), label, where);
    return (labels: Labels) => re.test(labels[label] ?? '');
  });
  return all.filter((s) => tests.every((test) => test(s.labels)));
}

/** `~5..` matches the whole value, like PromQL's `=~`. */
function anchored(pattern: string, label: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new SourceError('query', `match.${label}: "${pattern}" is not a regular expression (${where})`);
  }
}

/** A histogram is read from its `_bucket` series, whichever of the two names the profile gives. */
function exposedName(series: string, mode: Mode | undefined): string {
  return mode === 'quantile' && !series.endsWith('_bucket') ? `${series}_bucket` : series;
}

function describe(match: Record<string, string>): string {
  return `{${Object.entries(match).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

function isHtml(contentType: string, text: string): boolean {
  if (/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) return true;
  return /^\s*<(!doctype\s+html|html[\s>])/i.test(text.slice(0, 512));
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function notes(exposition: Exposition, selector: ScrapeSelector, where: string): string[] {
  const out: string[] = [];
  const { count, firstLine } = exposition.malformed;
  if (count > 0) out.push(`${count} malformed line${count === 1 ? '' : 's'} skipped in the exposition (first: line ${firstLine})`);
  const wanted = exposedName(selector.series, selector.mode);
  const named = exposition.byName.get(wanted);
  if (!named) out.push(`no series named ${wanted} in the exposition`);
  else if (selector.match && select(exposition, wanted, selector.match, where).length === 0) {
    out.push(`none of the ${named.length} ${wanted} series matches ${describe(selector.match)}`);
  }
  if (selector.divideBy && !exposition.byName.has(selector.divideBy.series)) out.push(`no series named ${selector.divideBy.series} in the exposition`);
  return out;
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;

/** A `scrape` source as a profile writes it. */
const scrapeConfig = z.strictObject({
  type: z.literal('scrape'),
  url: z.string().meta({ description: 'A Prometheus text exposition, e.g. http://service:8080/metrics' }),
  headers: stringMap.optional(),
  auth: auth.optional(),
  ...sourceCommon,
});

export const scrape = defineSourceKind({
  kind: 'scrape',
  config: scrapeConfig,
  checkQuery(query, path, report) {
    if (typeof query === 'string') {
      if (!METRIC_NAME.test(query.trim())) {
        report(path, `"${query}" is not a series name; a scrape query is a selector { series, match?, mode? } or a bare series name such as http_requests_total`);
      }
      return;
    }
    if (query.mode === 'quantile' && query.quantile === undefined) report([...path, 'mode'], 'mode quantile needs a quantile, e.g. quantile: 0.95');
    if (query.mode !== 'quantile' && query.quantile !== undefined) report([...path, 'quantile'], `quantile only applies to mode quantile (this selector's mode is ${query.mode ?? 'value'})`);
  },
  create: (id, config, { clock, profile }) => createScrapeSource(id, config, { clock, ...scrapeTiming(id, config, profile) }),
  ranged: false,
  urlSchemes: ['http:', 'https:'],
});

/** A scraped exposition is shared by the metrics polled within this long of each other. */
const MAX_SCRAPE_CACHE_MS = 5_000;

/**
 * How long one scrape serves every metric on it: half the shortest interval (so the next tick
 * always fetches afresh), at most 5s; and the shared fetch's timeout: the longest metric's.
 */
export function scrapeTiming(id: string, config: ScrapeConfig, profile: Profile): { cacheMs: number; fetchTimeoutMs: number } {
  const readers = Object.values(profile.metrics).filter(
    (m) => m.source === id || (m.baseline?.kind === 'query' && m.baseline.source === id),
  );
  const shortest = readers.length > 0 ? Math.min(...readers.map((m) => m.intervalMs)) : profile.defaults.intervalMs;
  const longest = Math.max(...readers.map((m) => m.timeoutMs), config.timeout ?? profile.defaults.timeoutMs);
  return { cacheMs: Math.min(MAX_SCRAPE_CACHE_MS, shortest / 2), fetchTimeoutMs: longest };
}
