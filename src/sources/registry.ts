// Builds one Source per profile source, each behind the timeout and error wrapper, and closes
// them all. A source that cannot even be built (a URL that is not one) still exists and answers
// every query with the reason, so the console shows it next to the metrics that need it. Each
// type's module, with its client library (undici, pg), loads at the source's first request: the
// console's first frame does not wait for drivers, and a profile without Postgres never loads pg.

import { basename } from 'node:path';
import type { Clock } from '../engine/clock.js';
import type { Profile, SourceConfig } from '../profile/types.js';
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
    const { replay } = opts;
    const open = replay
      ? async () => located((await import('./replay.js')).createReplaySource(id, replay), basename(replay))
      : () => build(id, config, profile, opts.clock);
    sources.set(id, deferred(id, replay ? 'replay' : config.type, async () => {
      const { source, where } = await open();
      return withTimeout(source, { where, secrets: profile.secrets });
    }));
  }
  return sources;
}

/** Source types that keep history, so a console can backfill its charts from them. */
const RANGED: ReadonlySet<SourceConfig['type']> = new Set(['prometheus', 'postgres', 'replay']);

/** A source whose real one is built at the first request, once; closing one never built is free. */
function deferred(id: string, type: SourceConfig['type'], open: () => Promise<Source>): Source {
  let opening: Promise<Source> | undefined;
  const real = () => (opening ??= open());
  const source: Source = {
    id,
    type,
    instant: async (req) => (await real()).instant(req),
    close: async () => {
      if (opening) await (await opening).close();
    },
  };
  if (RANGED.has(type)) {
    source.range = async (req) => {
      const built = await real();
      if (!built.range) throw new SourceError('query', `sources.${id}: keeps no history`);
      return built.range(req);
    };
  }
  return source;
}

export async function closeSources(sources: Map<string, Source>): Promise<void> {
  await Promise.allSettled([...sources.values()].map((source) => source.close()));
}

async function build(id: string, config: SourceConfig, profile: Profile, clock: Clock): Promise<{ source: Source; where: string }> {
  try {
    switch (config.type) {
      case 'prometheus':
        return located((await import('./prometheus.js')).createPrometheusSource(id, config));
      case 'postgres':
        return located((await import('./postgres.js')).createPostgresSource(id, config));
      case 'http':
        return located((await import('./http.js')).createHttpSource(id, config));
      case 'exec':
        return located((await import('./exec.js')).createExecSource(id, config));
      case 'scrape':
        return located((await import('./scrape.js')).createScrapeSource(id, config, { clock, ...scrapeTiming(id, config, profile) }));
      case 'replay':
        return located((await import('./replay.js')).createReplaySource(id, config.file), basename(config.file));
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { source: unusable(id, config.type, `sources.${id}: ${why}`), where: `sources.${id}` };
  }
}

function located(source: Source & { where?: string }, where = source.where ?? source.id): { source: Source; where: string } {
  return { source, where };
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
