// The demo's simulated service on 127.0.0.1 and a free port: /metrics (Prometheus exposition),
// /stats (a JSON summary of the last seconds) and a small control API that moves the canary share.
// It has no timers: every request first brings the traffic model up to the current simulated time,
// which is the clock's elapsed time times the speed — so a virtual clock drives it in tests and the
// real one, sped up, in the demo.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realClock, type Clock } from '../engine/clock.js';
import { nodeHttp } from '../util/node-http.js';
import { TrafficModel } from './model.js';
import { defectAt, statsBehaviourAt, type Scenario } from './scenario.js';

/** Above this the model would spend more time catching up than a demo is worth watching. */
export const MAX_SPEED = 100;
/** The first phase of the demo profile. */
const DEFAULT_SHARE = 10;
const MAX_CONTROL_BODY = 1_024;

export interface SimulatorOptions {
  scenario: Scenario;
  /** Simulated seconds per clock second (default 1, at most MAX_SPEED). */
  speed?: number;
  /** What drives simulated time (default the real clock); tests pass a VirtualClock. */
  clock?: Clock;
  /** Canary share at start, 0..100 (default 10). */
  share?: number;
}

export interface SimulatorState {
  scenario: Scenario;
  speed: number;
  share: number;
  simulatedS: number;
  /** How broken the canary is right now, 0..1. */
  canaryDefect: number;
  /** Requests served so far per track. */
  served: { canary: number; stable: number };
}

export interface Simulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  state(): SimulatorState;
  /** Moves the canary share, as POST /control/canary does. */
  setShare(share: number): void;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const speed = opts.speed ?? 1;
  if (!(speed > 0) || speed > MAX_SPEED) throw new RangeError(`speed must be more than 0 and at most ${MAX_SPEED}, got ${speed}`);
  const clock = opts.clock ?? realClock;
  const model = new TrafficModel({ scenario: opts.scenario, share: opts.share ?? DEFAULT_SHARE });
  const startedAt = clock.now();

  const simulatedMs = () => Math.max(0, clock.now() - startedAt) * speed;
  const catchUp = () => model.advanceTo(simulatedMs());
  const state = (): SimulatorState => {
    catchUp();
    const simulatedS = model.simulatedMs / 1_000;
    return {
      scenario: model.scenario,
      speed,
      share: model.share,
      simulatedS,
      canaryDefect: defectAt(model.scenario, 'canary', simulatedS),
      served: model.served(),
    };
  };

  // node:http through require(): an ES import of it loads Node's own undici (util/node-http.ts),
  // about 40 ms before the demo's first frame.
  const server = nodeHttp().createServer((req, res) => {
    catchUp();
    route(req, res, { model, state }).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    setShare(share) {
      catchUp();
      model.setShare(share);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hung /stats requests and keep-alive pollers would otherwise hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Context {
  model: TrafficModel;
  state: () => SimulatorState;
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  const method = req.method ?? 'GET';
  const readOnly = method === 'GET' || method === 'HEAD';

  if (path === '/metrics') {
    if (!readOnly) return sendJson(res, 405, { error: 'GET /metrics' });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(method === 'HEAD' ? undefined : ctx.model.exposition());
    return;
  }
  if (path === '/stats') {
    if (!readOnly) return sendJson(res, 405, { error: 'GET /stats' });
    const behaviour = statsBehaviourAt(ctx.model.scenario, ctx.model.simulatedMs / 1_000);
    // A hung request is left open on purpose; close() ends it with the connection.
    if (behaviour === 'hang') return;
    if (behaviour === 'fail') return sendJson(res, 503, { error: 'stats backend unavailable (flaky-source scenario)' });
    return sendJson(res, 200, ctx.model.stats());
  }
  if (path === '/control') {
    if (!readOnly) return sendJson(res, 405, { error: 'GET /control; change the share with POST /control/canary' });
    return sendJson(res, 200, ctx.state());
  }
  if (path === '/control/canary') {
    if (method !== 'POST') return sendJson(res, 405, { error: 'POST /control/canary with {"share": 0..100}' });
    const body = await readBody(req);
    const share = parseShareBody(body);
    if (typeof share === 'string') return sendJson(res, 400, { error: share });
    const previous = ctx.model.share;
    ctx.model.setShare(share);
    return sendJson(res, 200, { previous, ...ctx.state() });
  }
  sendJson(res, 404, { error: `no ${path} here; try /metrics, /stats, /control` });
}

/** The share from a control request body, or why it is not one. */
function parseShareBody(body: string | undefined): number | string {
  const usage = 'send {"share": N} with N from 0 to 100';
  if (body === undefined) return `body larger than ${MAX_CONTROL_BODY} bytes; ${usage}`;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return `body is not JSON; ${usage}`;
  }
  const share = typeof json === 'object' && json !== null ? (json as { share?: unknown }).share : undefined;
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 100) {
    return `share must be a number from 0 to 100, got ${JSON.stringify(share) ?? 'nothing'}; ${usage}`;
  }
  return share;
}

/** The body as text, or undefined when it is larger than a control request ever is. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let body = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (tooLarge) return;
      body += chunk;
      if (body.length > MAX_CONTROL_BODY) tooLarge = true;
    });
    req.on('end', () => resolve(tooLarge ? undefined : body));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
