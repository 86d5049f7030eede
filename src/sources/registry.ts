// Builds one Source per profile source, each from its kind's descriptor (sources/kinds.ts) and
// behind the timeout and error wrapper, and closes them all. A source that cannot even be built (a
// URL that is not one) still exists and answers every query with the reason, so the console shows
// it next to the metrics that need it. Each source is built at its first request, and a kind's
// client library (node:https, pg) loads then: the console's first frame does not wait for drivers,
// and a profile without Postgres never loads pg.

import type { Clock } from '../engine/clock.js';
import type { Profile, SourceConfig } from '../profile/types.js';
import type { SourceContext } from './kind.js';
import { sourceKind, type AnySourceKind } from './kinds.js';
import { scrapeTiming } from './scrape.js';
import { SourceError, type Source } from './source.js';
import { withTimeout } from './timeout.js';

export interface CreateSourcesOptions {
  clock: Clock;
  /** Replace every source by a replay of this recording. */
  replay?: string;
}

export function createSources(profile: Profile, opts: CreateSourcesOptions): Map<string, Source> {
  const sources = new Map<string, Source>();
  const context: SourceContext = { clock: opts.clock, profile };
  for (const [id, config] of Object.entries(profile.sources)) {
    const { replay } = opts;
    const kind = sourceKind(replay ? 'replay' : config.type);
    const actual: SourceConfig = replay ? { type: 'replay', file: replay } : config;
    sources.set(id, deferred(id, kind, async () => {
      const { source, where } = await build(id, kind, actual, context);
      return withTimeout(source, { where, secrets: profile.secrets });
    }));
  }
  return sources;
}

/** A source whose real one is built at the first request, once; closing one never built is free. */
function deferred(id: string, kind: AnySourceKind, open: () => Promise<Source>): Source {
  let opening: Promise<Source> | undefined;
  const real = () => (opening ??= open());
  const source: Source = {
    id,
    type: kind.kind,
    instant: async (req) => (await real()).instant(req),
    close: async () => {
      if (opening) await (await opening).close();
    },
  };
  if (kind.ranged) {
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

async function build(id: string, kind: AnySourceKind, config: SourceConfig, context: SourceContext): Promise<{ source: Source; where: string }> {
  try {
    const source = await kind.create(id, config, context);
    return { source, where: source.where ?? source.id };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { source: unusable(id, kind.kind, `sources.${id}: ${why}`), where: `sources.${id}` };
  }
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
