// Builds one Source per profile source, each behind the timeout and error wrapper, and closes
// them all. A source that cannot even be built (a URL that is not one) still exists and answers
// every query with the reason, so the console shows it next to the metrics that need it.

import { basename } from 'node:path';
import type { Clock } from '../engine/clock.js';
import type { Profile, SourceConfig } from '../profile/types.js';
import { createExecSource } from './exec.js';
import { createHttpSource } from './http.js';
import { createPostgresSource } from './postgres.js';
import { createPrometheusSource } from './prometheus.js';
import { createReplaySource } from './replay.js';
import { createScrapeSource } from './scrape.js';
import { SourceError, type Source } from './source.js';
import { withTimeout } from './timeout.js';

export interface CreateSourcesOptions {
  clock: Clock;
  /** Replace every source by a replay of this recording. */
  replay?: string;
}

/** A scraped exposition is shared by the metrics polled within this long of each other. */
const MAX_SCRAPE_CACHE_MS = 5_000;

export function createSources(profile: Profile, opts: CreateSourcesOptions): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const [id, config] of Object.entries(profile.sources)) {
    const { source, where } = opts.replay
      ? { source: createReplaySource(id, opts.replay), where: basename(opts.replay) }
      : build(id, config, profile, opts.clock);
    sources.set(id, withTimeout(source, { where, secrets: profile.secrets }));
  }
  return sources;
}

export async function closeSources(sources: Map<string, Source>): Promise<void> {
  await Promise.allSettled([...sources.values()].map((source) => source.close()));
}

function build(id: string, config: SourceConfig, profile: Profile, clock: Clock): { source: Source; where: string } {
  try {
    switch (config.type) {
      case 'prometheus':
        return located(createPrometheusSource(id, config));
      case 'postgres':
        return located(createPostgresSource(id, config));
      case 'http':
        return located(createHttpSource(id, config));
      case 'exec':
        return located(createExecSource(id, config));
      case 'scrape':
        return located(createScrapeSource(id, config, { clock, ...scrapeTiming(id, config, profile) }));
      case 'replay':
        return { source: createReplaySource(id, config.file), where: basename(config.file) };
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { source: unusable(id, config.type, `sources.${id}: ${why}`), where: `sources.${id}` };
  }
}

function located(source: Source & { where: string }): { source: Source; where: string } {
  return { source, where: source.where };
}

/**
 * How long one scrape serves every metric on it: half the shortest interval (so the next tick
 * always fetches afresh), at most 5s; and the shared fetch's timeout: the longest metric's.
 */
function scrapeTiming(id: string, config: Extract<SourceConfig, { type: 'scrape' }>, profile: Profile): { cacheMs: number; fetchTimeoutMs: number } {
  const readers = Object.values(profile.metrics).filter(
    (m) => m.source === id || (m.baseline?.kind === 'query' && m.baseline.source === id),
  );
  const shortest = readers.length > 0 ? Math.min(...readers.map((m) => m.intervalMs)) : profile.defaults.intervalMs;
  const longest = Math.max(...readers.map((m) => m.timeoutMs), config.timeout ?? profile.defaults.timeoutMs);
  return { cacheMs: Math.min(MAX_SCRAPE_CACHE_MS, shortest / 2), fetchTimeoutMs: longest };
}

function unusable(id: string, type: SourceConfig['type'], reason: string): Source {
  return {
    id,
    type,
    instant: () => Promise.reject(new SourceError('query', reason)),
    close: () => Promise.resolve(),
  };
}

/**
 * How long a one-shot judgement must wait before scraping again when some metric is computed from
 * the difference between two scrapes (a counter rate or increase, a histogram quantile): past the
 * shared scrape's cache, so the second poll really fetches. 0 when no metric needs two scrapes.
 */
export function secondScrapeDelayMs(profile: Profile): number {
  let delay = 0;
  for (const [id, config] of Object.entries(profile.sources)) {
    if (config.type !== 'scrape') continue;
    const differential = Object.values(profile.metrics).some((m) => {
      const queries = [m.source === id ? m.query : undefined, m.baseline?.kind === 'query' && m.baseline.source === id ? m.baseline.query : undefined];
      return queries.some((q) => typeof q === 'object' && q !== null && ((q.mode !== undefined && q.mode !== 'value') || (q.divideBy?.mode !== undefined && q.divideBy.mode !== 'value')));
    });
    if (differential) delay = Math.max(delay, scrapeTiming(id, config, profile).cacheMs + 250);
  }
  return delay;
}
