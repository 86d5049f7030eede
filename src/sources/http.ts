// HTTP endpoints: the keep-alive client every HTTP-speaking source shares (prometheus, scrape and
// the `http` kind), and the `http` source itself — a number picked from a JSON answer, or the
// answer's status code and response time for health checks.
//
// The client is Node's own (node:http, node:https with a keep-alive Agent), not undici: a source
// asks for one small answer at a time, which needs none of undici's pipelining, and undici's 700 kB
// of JavaScript and WebAssembly parser cost an agent some 20 MiB of memory for it.

import type { Agent, ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Metric } from '../profile/types.js';
import type { SeriesSet } from '../engine/types.js';
import { pickNumbers } from './jsonpath.js';
import { SourceError, type InstantRequest, type Source } from './source.js';
import * as z from 'zod';
import { nodeHttp, nodeHttps } from '../util/node-http.js';
import { auth, sourceCommon, stringMap } from '../profile/schema-parts.js';
import { checkJsonPath } from './jsonpath.js';
import { defineSourceKind } from './kind.js';

type HttpConfig = z.output<typeof httpConfig>;
export type HttpAuth = NonNullable<HttpConfig['auth']>;

export interface EndpointOptions {
  /** May carry `user:pass@`; it becomes basic auth and never appears in a message. */
  url: string;
  headers?: Record<string, string>;
  auth?: HttpAuth;
  /** Keep-alive connections to hold open. */
  connections?: number;
}

export interface HttpRequest {
  /** Path and query string on the endpoint's origin, from `joinPath`. */
  path: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  contentType: string;
  text: string;
  /** Request sent to last body byte, real time. */
  elapsedMs: number;
}

/** Larger answers are refused: a console polls numbers, and a runaway body must not eat memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Transport {
  request: (options: RequestOptions, callback: (res: IncomingMessage) => void) => ClientRequest;
  agent: Agent;
}

/** One origin, one keep-alive Agent, headers and auth applied to every request. */
export class HttpEndpoint {
  /** `host:port`, what every message about this endpoint names. */
  readonly where: string;
  /** The URL without credentials. */
  readonly base: URL;
  private readonly connections: number;
  /** Made at the first request: node:https (and its TLS) loads then, and only for an https endpoint. */
  private transport: Transport | undefined;
  private closed = false;
  private readonly headers: Record<string, string>;

  constructor(opts: EndpointOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${url.protocol}// is not http or https`);
    }
    const userinfo = url.username || url.password ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
    url.username = '';
    url.password = '';
    this.base = url;
    this.where = hostPort(url);
    this.headers = { ...opts.headers };
    const auth = opts.auth ?? (userinfo ? { basic: userinfo } : undefined);
    if (auth && !hasHeader(this.headers, 'authorization')) this.headers.authorization = authorization(auth);
    this.connections = opts.connections ?? 4;
  }

  private connection(): Transport {
    if (this.closed) throw new SourceError('aborted', `closed (${this.where})`);
    if (!this.transport) {
      const m = this.base.protocol === 'https:' ? nodeHttps() : nodeHttp();
      this.transport = { request: m.request, agent: new m.Agent({ keepAlive: true, maxSockets: this.connections }) };
    }
    return this.transport;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const { request, agent } = this.connection();
    req.signal.throwIfAborted();
    const started = performance.now();
    const headers: OutgoingHttpHeaders = { ...this.headers, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    return new Promise<HttpResponse>((resolve, reject) => {
      const fail = (error: unknown) => {
        outgoing.destroy();
        reject(error);
      };
      const outgoing = request(
        {
          protocol: this.base.protocol,
          // `[::1]` in a URL, `::1` to connect to.
          hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: this.base.port || undefined,
          path: req.path,
          method: req.method ?? 'GET',
          headers,
          agent,
          signal: req.signal,
        },
        (res) => {
          const declared = Number(res.headers['content-length']);
          if (declared > MAX_BODY_BYTES) {
            return fail(new SourceError('parse', `response of ${declared} bytes is larger than the ${MAX_BODY_BYTES / 1024 / 1024}MB limit (${this.where})`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) return fail(new SourceError('parse', `response is larger than the ${MAX_BODY_BYTES / 1024 / 1024}MB limit (${this.where})`));
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('close', () => {
            if (!res.complete) fail(new SourceError('unreachable', `connection closed before the response ended (${this.where})`));
          });
          res.on('end', () => {
            const contentType = res.headers['content-type'];
            resolve({
              status: res.statusCode ?? 0,
              ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300,
              contentType: contentType ?? '',
              text: Buffer.concat(chunks).toString('utf8'),
              elapsedMs: performance.now() - started,
            });
          });
        },
      );
      outgoing.on('error', fail);
      outgoing.end(req.body);
    });
  }

  /** `HTTP 503 Service Unavailable (host:port)` */
  statusError(status: number): SourceError {
    const text = nodeHttp().STATUS_CODES[status];
    return new SourceError('http', `HTTP ${status}${text ? ` ${text}` : ''} (${this.where})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.transport?.agent.destroy();
  }
}

/** `host:port` with the scheme's default port written out. */
function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
  return port ? `${url.hostname}:${port}` : url.hostname;
}

/**
 * The base URL's path with each part appended (`/api/datasources/proxy/uid/X` + `/prometheus` +
 * `/api/v1/query`); a part's own query string joins the base's.
 */
export function joinPath(base: URL, ...parts: Array<string | undefined>): string {
  let path = base.pathname.replace(/\/+$/, '');
  let search = base.search;
  for (const part of parts) {
    if (!part) continue;
    const q = part.indexOf('?');
    const bare = q === -1 ? part : part.slice(0, q);
    if (bare !== '' && bare !== '/') path += `/${bare.replace(/^\/+/, '')}`;
    if (q !== -1 && q < part.length - 1) search = `${search ? `${search}&` : '?'}${part.slice(q + 1)}`;
  }
  return `${path || '/'}${search}`;
}

function authorization(auth: HttpAuth): string {
  if ('bearer' in auth) return `Bearer ${auth.bearer}`;
  return `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

// ── the `http` source ─────────────────────────────────────────────────────────────────────────

/** Queries that read the response itself rather than its JSON body. */
const STATUS = '@status';
const DURATION = '@duration';

export function createHttpSource(id: string, config: HttpConfig): Source & { where: string } {
  const endpoint = new HttpEndpoint({ url: config.url, headers: config.headers, auth: config.auth, connections: config.concurrency });
  const { body, contentType } = requestBody(config.body);
  const headers: Record<string, string> = contentType && !hasHeader(config.headers ?? {}, 'content-type') ? { 'content-type': contentType } : {};
  const round = new SharedRound((path, signal) => endpoint.request({ path, method: config.method ?? 'GET', headers, body, signal }), endpoint.where);

  return {
    id,
    type: 'http',
    where: endpoint.where,
    async instant(req: InstantRequest): Promise<SeriesSet> {
      const query = typeof req.query === 'string' ? req.query.trim() : undefined;
      if (!query) {
        throw new SourceError('query', `metric ${req.metric.id} needs a JSONPath, ${STATUS} or ${DURATION} as its query (${endpoint.where})`);
      }
      const { at, res, json } = await round.answer(joinPath(endpoint.base, req.metric.path), req);
      if (query === STATUS) return single(at, res.status);
      if (query === DURATION) return single(at, inUnit(res.elapsedMs, req.metric));
      if (!res.ok) throw endpoint.statusError(res.status);
      return pickNumbers(json(), query, at, endpoint.where);
    },
    close: () => endpoint.close(),
  };
}

/**
 * The share of a metric's interval an answer serves the other metrics reading the same path: the
 * poller spreads one round of a source's metrics over the first tenth of their interval
 * (engine/poller.ts, `jitter`), so twenty fields of one JSON answer cost one request a round, not twenty.
 */
const SHARE_OF_INTERVAL = 0.1;

interface Answer {
  /** When it was asked: the time of every sample read from it. */
  at: number;
  res: HttpResponse;
  json: () => unknown;
}

/**
 * One request per path per poll round, its answer (and its parsed JSON) read by every metric on
 * that path. A metric asking again (its next round, the `r` key) never gets an answer it has read.
 */
class SharedRound {
  private readonly last = new Map<string, { at: number; answer: Promise<Answer>; readers: Set<string> }>();

  constructor(
    private readonly request: (path: string, signal: AbortSignal) => Promise<HttpResponse>,
    private readonly where: string,
  ) {}

  async answer(path: string, req: InstantRequest): Promise<Answer> {
    const reader = `${req.metric.id}\u0000${String(req.query)}`;
    const hit = this.last.get(path);
    if (hit && !hit.readers.has(reader) && req.time >= hit.at && req.time - hit.at <= req.metric.intervalMs * SHARE_OF_INTERVAL) {
      hit.readers.add(reader);
      try {
        return await hit.answer;
      } catch {
        // The first asker's failure (its own deadline, say) is not this one's: it asks itself.
      }
    }
    const entry = { at: req.time, answer: this.ask(path, req.time, req.signal), readers: new Set([reader]) };
    this.last.set(path, entry);
    entry.answer.catch(() => {
      if (this.last.get(path) === entry) this.last.delete(path);
    });
    return entry.answer;
  }

  private async ask(path: string, at: number, signal: AbortSignal): Promise<Answer> {
    const res = await this.request(path, signal);
    let parsed: { json: unknown } | undefined;
    const json = () => {
      if (!parsed) {
        try {
          parsed = { json: JSON.parse(res.text) };
        } catch {
          throw new SourceError('parse', `response is not JSON${res.contentType ? ` (${res.contentType.split(';')[0]})` : ''} (${this.where})`);
        }
      }
      return parsed.json;
    };
    return { at, res, json };
  }
}

function requestBody(body: HttpConfig['body']): { body?: string; contentType?: string } {
  if (body === undefined) return {};
  if (typeof body === 'string') return { body };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

/** Response time in the metric's unit: milliseconds when it says so, else seconds. */
function inUnit(ms: number, metric: Metric): number {
  return metric.unit === 'milliseconds' ? ms : ms / 1_000;
}

function single(t: number, v: number): SeriesSet {
  return { series: [{ labels: {}, points: [{ t, v }] }] };
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

/** A `http` source as a profile writes it. */
const httpConfig = z.strictObject({
  type: z.literal('http'),
  url: z.string(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).optional(),
  headers: stringMap.optional(),
  auth: auth.optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  ...sourceCommon,
});

export const http = defineSourceKind({
  kind: 'http',
  config: httpConfig,
  checkQuery(query, path, report) {
    const expected = `an http query is a JSONPath such as $.canary.errors, or ${STATUS} or ${DURATION}`;
    if (typeof query !== 'string') return report(path, expected);
    if (query.trim() === STATUS || query.trim() === DURATION) return;
    checkJsonPath(query, path, expected, report);
  },
  create: (id, config) => createHttpSource(id, config),
  ranged: false,
  urlSchemes: ['http:', 'https:'],
});
