// A console's connection to an agent: on this host its unix socket (`<state-dir>/<profile>.agent.sock`),
// elsewhere its HTTP attach stream (`--agent http://host:port`, agent/attach-http.ts). Both carry the
// same newline-delimited JSON (agent/socket.ts). The peer is hostile until checked — over HTTP it
// is a network peer: a message is used only once it has the shape the console reads, names this
// profile's rollout and metrics, and every string in it is printable and bounded.

import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import type { Profile } from '../profile/types.js';
import type { SeriesSnapshot } from '../engine/types.js';
import type { EngineEvent, EventLevel } from '../engine/watch-loop.js';
import { encode, LineReader, type Hello, type ViewMessage } from '../agent/socket.js';
import { nodeHttp, nodeHttps } from '../util/node-http.js';

/** How long a console waits for a local agent's hello and first view before it polls by itself. */
export const ATTACH_TIMEOUT_MS = 300;
/** The same for an agent named with --agent: a network away. */
export const REMOTE_ATTACH_TIMEOUT_MS = 3_000;

/** The stream the agent's messages come on. */
export type AgentStream = Pick<Readable, 'on' | 'once' | 'pause' | 'resume' | 'destroy' | 'removeAllListeners' | 'setEncoding'>;

/** An open connection to an agent that has said hello and sent its first view. */
export interface AgentLink {
  hello: Hello;
  first: ViewMessage & { series: SeriesSnapshot };
  stream: AgentStream;
  reader: LineReader;
  /** Messages that came with the first view. */
  backlog: unknown[];
  /** Set when the stream closed before the loop started reading it. */
  closed: boolean;
  /** Asks the agent to poll now. */
  poll(): void;
  /** Where it is: the socket's path or the URL. */
  where: string;
  /**
   * Writes a line to the agent: only on this host's socket, where an operator's change of the
   * rollout may be relayed (relayed-store.ts); an HTTP attach only watches. False once closed.
   */
  send?: (line: string) => boolean;
  /** Hears the agent's messages that are neither a view nor an event: its replies to `send`. */
  onReply?: (m: unknown) => void;
}

export type Attached = AgentLink | { error: string };

/** Connects to the agent's socket on this host; undefined when none answers in time (no socket, a dead agent, not ours). */
export async function attach(path: string, profile: Profile, timeoutMs = ATTACH_TIMEOUT_MS): Promise<AgentLink | undefined> {
  const socket = connect(path);
  const link = await handshake(socket, profile, timeoutMs, path, () => void socket.write(encode({ type: 'poll' })));
  if ('error' in link) return undefined;
  link.send = (line) => !socket.destroyed && (socket.write(line), true);
  return link;
}

/** Connects to an agent's HTTP attach stream (`http://host:port`); says why not when it cannot. */
export async function attachHttp(base: string, profile: Profile, timeoutMs = REMOTE_ATTACH_TIMEOUT_MS): Promise<Attached> {
  let url: URL;
  try {
    url = new URL(`attach/${encodeURIComponent(profile.name)}`, base.endsWith('/') ? base : `${base}/`);
  } catch {
    return { error: `${base} is not a URL (expected http://host:port)` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `${base} is not an http:// or https:// URL` };
  const where = `${url.protocol}//${url.host}`;
  const client = url.protocol === 'https:' ? nodeHttps() : nodeHttp();
  return new Promise<Attached>((resolve) => {
    const req = client.get(url, { timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.destroy();
        return resolve({ error: `the agent at ${where} answered HTTP ${res.statusCode ?? '?'}${res.statusCode === 404 ? ` (it does not watch ${profile.name})` : ''}` });
      }
      const poll = () => {
        const ask = client.request(new URL(`${url.pathname}/poll`, url), { method: 'POST', timeout: timeoutMs }, (answer) => answer.resume());
        ask.on('error', () => {});
        ask.end();
      };
      void handshake(res, profile, timeoutMs, where, poll).then((link) => {
        // Attached: the stream may go quiet between judgements; RemoteLoop watches for silence itself.
        req.setTimeout(0);
        resolve(link);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: `cannot reach the agent at ${where}: ${printable((error as NodeJS.ErrnoException).code ?? error.message)}` }));
  });
}

/** Reads the hello and the first view; the stream is then held (paused) for the loop to read on. */
function handshake(stream: AgentStream, profile: Profile, timeoutMs: number, where: string, poll: () => void): Promise<Attached> {
  return new Promise((resolve) => {
    const reader = new LineReader();
    const got: unknown[] = [];
    const done = (link: AgentLink | { error: string }) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.removeAllListeners('error');
      if ('error' in link) {
        stream.destroy();
        return resolve(link);
      }
      // Held until the loop starts (after the first frame): what comes meanwhile is buffered, not lost.
      stream.pause();
      stream.on('error', () => {});
      stream.once('close', () => (link.closed = true));
      resolve(link);
    };
    const timer = setTimeout(() => done({ error: `the agent at ${where} said nothing in ${timeoutMs} ms` }), timeoutMs);
    stream.setEncoding('utf8');
    stream.on('error', (error: Error) => done({ error: `cannot reach the agent at ${where}: ${printable((error as NodeJS.ErrnoException).code ?? error.message)}` }));
    stream.on('data', (chunk: string) => {
      const messages = reader.push(chunk);
      if (!messages) return done({ error: `the agent at ${where} does not speak rollcall's protocol` });
      got.push(...messages);
      if (got.length < 2) return;
      const hello = cleanHello(got[0]);
      const first = cleanView(got[1], profile);
      if (!hello || hello.profile !== profile.name) return done({ error: `the agent at ${where} does not serve ${profile.name}` });
      if (!first || first.series === undefined) return done({ error: `the agent at ${where} judges another version of ${profile.name} (its metrics differ): not attached` });
      done({ hello, first: first as AgentLink['first'], stream, reader, backlog: got.slice(2), closed: false, poll, where });
    });
  });
}

const LEVELS: readonly EventLevel[] = ['info', 'ok', 'warn', 'bad'];
const KINDS: readonly EngineEvent['kind'][] = ['warm', 'decision', 'metric', 'escalation', 'source', 'move'];
const DECISIONS = ['PROMOTE', 'SOAK', 'HOLD', 'ROLLBACK'];
const STATES = ['ok', 'pending', 'warn', 'breach', 'insufficient', 'nodata', 'error', 'stale'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What came from the agent reaches the screen without control characters, and bounded. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 500);
}

/** Every string made printable and bounded, at most 12 levels deep: what the console keeps of a message. */
function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return printable(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 12) return undefined;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (k !== '__proto__') out[printable(k)] = clean(v, depth + 1);
  return out;
}

export function cleanHello(m: unknown): Hello | undefined {
  if (!isObj(m) || m.type !== 'hello' || typeof m.host !== 'string' || typeof m.profile !== 'string' || !isNum(m.pid)) return undefined;
  return { type: 'hello', host: printable(m.host).slice(0, 100), pid: m.pid, profile: m.profile, startedAt: isNum(m.startedAt) ? m.startedAt : 0 };
}

/** A judgement the console may draw: the shape the view reads, this profile's metrics only. */
export function cleanView(m: unknown, profile: Profile): ViewMessage | undefined {
  if (!isObj(m) || m.type !== 'view' || !isNum(m.now) || !isObj(m.rollout) || !isObj(m.sourceAges)) return undefined;
  const s = m.snapshot;
  if (!isObj(s) || !DECISIONS.includes(s.decision as string) || !isNum(s.at) || !Array.isArray(s.reasons) || !s.reasons.every((r) => typeof r === 'string')) return undefined;
  const phase = s.phase;
  if (!isObj(phase) || !isNum(phase.index) || typeof phase.name !== 'string' || !isNum(phase.traffic) || !isNum(phase.startedAt) || !isNum(phase.elapsedMs)) return undefined;
  if (!Array.isArray(phase.criteria) || !Array.isArray(phase.checklist)) return undefined;
  if (!Array.isArray(s.metrics) || !s.metrics.every((x) => isObj(x) && typeof x.id === 'string' && Object.hasOwn(profile.metrics, x.id) && STATES.includes(x.state as string) && Array.isArray(x.thresholds) && (x.value === undefined || isNum(x.value)))) return undefined;
  const r = m.rollout;
  if (!isNum(r.phase) || !isNum(r.phaseStartedAt) || !Array.isArray(r.history) || !isObj(r.checklist)) return undefined;
  if (!Object.values(m.sourceAges).every((a) => a === undefined || a === null || isNum(a))) return undefined;
  if (m.series !== undefined && !validSeries(m.series, profile)) return undefined;
  const view = clean(m) as ViewMessage;
  return view;
}

function validSeries(series: unknown, profile: Profile): series is SeriesSnapshot {
  if (!isObj(series)) return false;
  for (const [id, s] of Object.entries(series)) {
    if (!Object.hasOwn(profile.metrics, id) || !isObj(s) || !Array.isArray(s.groups) || !isNum(s.consecutiveErrors) || !isNum(s.consecutiveNoData)) return false;
    for (const g of s.groups) {
      if (!isObj(g) || typeof g.key !== 'string' || !Array.isArray(g.canary) || !Array.isArray(g.baseline)) return false;
      // A value that was not a number (NaN) travels as null.
      for (const p of [...g.canary, ...g.baseline]) if (!isObj(p) || !isNum(p.t) || !(isNum(p.v) || p.v === null)) return false;
    }
  }
  return true;
}

export function cleanEvent(m: unknown): EngineEvent | undefined {
  if (!isObj(m) || m.type !== 'event' || !isObj(m.event)) return undefined;
  const e = m.event;
  if (typeof e.text !== 'string' || !isNum(e.at) || !LEVELS.includes(e.level as EventLevel) || !KINDS.includes(e.kind as EngineEvent['kind'])) return undefined;
  return { at: e.at, level: e.level as EventLevel, kind: e.kind as EngineEvent['kind'], text: printable(e.text), ...(typeof e.metric === 'string' ? { metric: printable(e.metric) } : {}) };
}
