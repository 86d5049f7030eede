// The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`) as spoken by Prometheus itself
// and by what sits in front of it: Grafana's datasource proxy, Thanos, Mimir (`/prometheus`) and
// VictoriaMetrics. Queries are POSTed as a form so long PromQL never meets a URL length limit.

import type { Labels, Point, SeriesSet } from '../engine/types.js';
import { parseSampleValue } from './exposition.js';
import { HttpEndpoint, joinPath, type HttpResponse } from './http.js';
import { SourceError, type InstantRequest, type RangeRequest, type Source } from './source.js';
import { oneLine } from './timeout.js';
import * as z from 'zod';
import { checkPromQL } from '../profile/promql.js';
import { auth, sourceCommon, stringMap } from '../profile/schema-parts.js';
import { defineSourceKind } from './kind.js';

type PrometheusConfig = z.output<typeof prometheusConfig>;

/** Prometheus refuses range queries with more points per series than this. */
const MAX_POINTS = 11_000;

export function createPrometheusSource(id: string, config: PrometheusConfig): Source & { where: string } {
  const endpoint = new HttpEndpoint({ url: config.url, headers: config.headers, auth: config.auth, connections: config.concurrency });
  const where = endpoint.where;

  async function call(api: 'query' | 'query_range', form: Record<string, string>, signal: AbortSignal): Promise<SeriesSet> {
    const res = await endpoint.request({
      path: joinPath(endpoint.base, config.pathPrefix, `/api/v1/${api}`),
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal,
    });
    return readAnswer(res, endpoint);
  }

  return {
    id,
    type: 'prometheus',
    where,
    instant(req: InstantRequest) {
      return call('query', { query: promql(req.query, where), time: seconds(req.time) }, req.signal);
    },
    range(req: RangeRequest) {
      const stepMs = Math.max(req.stepMs, Math.ceil((req.end - req.start) / (MAX_POINTS - 1)), 1);
      return call(
        'query_range',
        { query: promql(req.query, where), start: seconds(req.start), end: seconds(req.end), step: seconds(stepMs) },
        req.signal,
      );
    },
    close: () => endpoint.close(),
  };
}

function promql(query: InstantRequest['query'], where: string): string {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new SourceError('query', `a prometheus metric needs a PromQL query (${where})`);
  }
  return query;
}

function seconds(ms: number): string {
  return (ms / 1_000).toFixed(3);
}

interface ApiAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
  infos?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

const ERROR_KIND: Record<string, SourceError['kind']> = {
  timeout: 'timeout',
  canceled: 'aborted',
  unavailable: 'unreachable',
};

function readAnswer(res: HttpResponse, endpoint: HttpEndpoint): SeriesSet {
  const where = endpoint.where;
  let answer: ApiAnswer;
  try {
    answer = JSON.parse(res.text) as ApiAnswer;
  } catch {
    if (!res.ok) throw endpoint.statusError(res.status);
    throw new SourceError('parse', `not a Prometheus API answer: the response is not JSON (${where})`);
  }
  // Prometheus reports a bad query as 400/422 with a JSON body; its message beats the status line.
  if (answer?.status === 'error') {
    const type = typeof answer.errorType === 'string' ? answer.errorType : 'error';
    const message = typeof answer.error === 'string' ? joinLines(answer.error) : 'unknown error';
    throw new SourceError(ERROR_KIND[type] ?? 'query', `${type}: ${message} (${where})`);
  }
  if (!res.ok) throw endpoint.statusError(res.status);
  if (answer?.status !== 'success' || !answer.data) {
    throw new SourceError('parse', `not a Prometheus API answer: no "status": "success" with data (${where})`);
  }
  const series = readResult(answer.data.resultType, answer.data.result, where);
  const warnings = [...texts(answer.warnings), ...texts(answer.infos)];
  return warnings.length > 0 ? { series, warnings } : { series };
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((w): w is string => typeof w === 'string').map(joinLines) : [];
}

/** A multi-line message from the server as one line, every part kept. */
function joinLines(text: string): string {
  return oneLine(text.replace(/\s*\r?\n\s*/g, ' '));
}

type Sample = [number, string];

function readResult(type: unknown, result: unknown, where: string): SeriesSet['series'] {
  const bad = (what: string) => new SourceError('parse', `not a Prometheus API answer: ${what} (${where})`);
  switch (type) {
    case 'scalar':
      return [{ labels: {}, points: [point(result, where)] }];
    case 'vector':
      if (!Array.isArray(result)) throw bad('vector result is not a list');
      return result
        .filter((s: { value?: unknown }) => s?.value !== undefined)
        .map((s: { metric?: Labels; value?: unknown }) => ({ labels: labels(s.metric), points: [point(s.value, where)] }));
    case 'matrix':
      if (!Array.isArray(result)) throw bad('matrix result is not a list');
      return result
        .map((s: { metric?: Labels; values?: unknown }) => ({
          labels: labels(s.metric),
          points: Array.isArray(s.values) ? s.values.map((v) => point(v, where)) : [],
        }))
        .filter((s) => s.points.length > 0);
    case 'string':
      throw new SourceError('query', `the query answers a string, not a number (${where})`);
    default:
      throw bad(`unknown result type ${JSON.stringify(type)}`);
  }
}

function labels(metric: Labels | undefined): Labels {
  return metric && typeof metric === 'object' ? { ...metric } : {};
}

/** `[1700000000.123, "0.25"]`; values include "NaN", "+Inf" and "-Inf", which stay as numbers. */
function point(sample: unknown, where: string): Point {
  const [t, v] = Array.isArray(sample) ? (sample as Sample) : [];
  const value = typeof v === 'string' ? parseSampleValue(v) : undefined;
  if (typeof t !== 'number' || value === undefined) {
    throw new SourceError('parse', `not a Prometheus API answer: bad sample ${oneLine(JSON.stringify(sample) ?? '')} (${where})`);
  }
  return { t: Math.round(t * 1_000), v: value };
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

/** A `prometheus` source as a profile writes it. */
const prometheusConfig = z.strictObject({
  type: z.literal('prometheus'),
  url: z.string().meta({ description: 'Base URL, e.g. http://prometheus:9090' }),
  pathPrefix: z
    .string()
    .optional()
    .meta({ description: 'Inserted before /api/v1 (Grafana datasource proxy, Thanos, Mimir: /prometheus)' }),
  headers: stringMap.optional(),
  auth: auth.optional(),
  ...sourceCommon,
});

export const prometheus = defineSourceKind({
  kind: 'prometheus',
  config: prometheusConfig,
  checkQuery(query, path, report) {
    if (typeof query !== 'string') return report(path, 'a prometheus query is PromQL text, not a scrape selector');
    const problem = checkPromQL(query);
    if (problem) report(path, problem.message, { valueOffset: problem.offset });
  },
  create: (id, config) => createPrometheusSource(id, config),
  ranged: true,
  urlSchemes: ['http:', 'https:'],
});
