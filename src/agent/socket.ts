// The agent's judgement served to consoles on this host: a unix socket per rollout it leads,
// `<state-dir>/<profile>.agent.sock` (mode 0600), newline-delimited JSON. On connect: a hello and
// the current view with its series; then every judgement's view and every engine event. The
// series travel only when they changed (a poll round, not the 1 s tick), whole: the store keeps
// only the profile's history window, so a message is bounded, and a console never has to merge.
// A console may ask for `{"type":"poll"}` (the `r` key), and send its operator's change of the
// rollout state (`{"type":"update",…}`, actions/state-relay.ts), answered on the same connection,
// and its actions' outcomes (`{"type":"action",…}`) for the leader to notify — only here, never
// over HTTP. The encoder and the reader are pure; the console's side is
// src/console/remote-loop.ts and relayed-store.ts.

import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RolloutState } from '../engine/state.js';
import type { SeriesSnapshot, Snapshot } from '../engine/types.js';
import type { EngineEvent, LoopView } from '../engine/watch-loop.js';
import type { ActionNews, UpdateReply, UpdateRequest } from '../actions/state-relay.js';

export interface Hello {
  type: 'hello';
  host: string;
  pid: number;
  profile: string;
  startedAt: number;
}

/** A judgement; `series` only when it changed since the last one sent (always in the first). */
export interface ViewMessage {
  type: 'view';
  now: number;
  snapshot: Snapshot;
  rollout: RolloutState;
  sourceAges: Readonly<Record<string, number | undefined>>;
  series?: SeriesSnapshot;
}

export interface EventMessage {
  type: 'event';
  event: EngineEvent;
}

export type AgentMessage = Hello | ViewMessage | EventMessage;
export type ConsoleMessage = { type: 'poll' } | UpdateRequest | ActionNews;

/** A line longer than this is not a message of ours: the reader gives up on the connection. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

export function agentSocketPath(stateDir: string, profile: string): string {
  return join(stateDir, `${profile}.agent.sock`);
}

/** One message, one line. */
export function encode(message: AgentMessage | ConsoleMessage | UpdateReply): string {
  return `${JSON.stringify(message)}\n`;
}

export function viewMessage(view: LoopView, withSeries: boolean): ViewMessage {
  return {
    type: 'view',
    now: view.now,
    snapshot: view.snapshot,
    rollout: view.rollout,
    sourceAges: view.sourceAges,
    ...(withSeries ? { series: view.series } : {}),
  };
}

/** Splits a stream into parsed JSON lines; `undefined` from push means the peer is not speaking our protocol. */
export class LineReader {
  private pending = '';

  push(chunk: string): unknown[] | undefined {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop()!;
    if (this.pending.length > MAX_LINE_BYTES) return undefined;
    const out: unknown[] = [];
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        out.push(JSON.parse(part));
      } catch {
        return undefined;
      }
    }
    return out;
  }
}

/** What the server serves: one rollout's loop, as the agent runs it. */
export interface Served {
  profile: string;
  view(): LoopView;
  onView(listener: (v: LoopView) => void): () => void;
  onEvent(listener: (e: EngineEvent) => void): () => void;
  pollNow(): void;
  /** A console is attached: judge every second until the returned function is called. */
  watchLive(): () => void;
}

/** This process's hello for one rollout. */
export function helloFor(profile: string, startedAt: number): Hello {
  return { type: 'hello', host: hostname(), pid: process.pid, profile, startedAt };
}

/**
 * One console's feed: the hello and the current view with its series, then each judgement (series
 * only when they changed since the last sent) and each event, until the returned function is
 * called. `write` answers false when the console does not keep up: the feed then ends (`drop`).
 * The same for the unix socket and the HTTP stream (attach-http.ts).
 */
export function feed(served: Served, hello: Hello, write: (line: string) => boolean, drop: () => void): () => void {
  let seriesVersion = served.view().seriesVersion;
  let ended = false;
  const offs: (() => void)[] = [];
  const end = () => {
    if (ended) return;
    ended = true;
    for (const off of offs.splice(0)) off();
  };
  const send = (line: string) => {
    if (ended || write(line)) return;
    end();
    drop();
  };
  offs.push(
    served.watchLive(),
    served.onEvent((event) => send(encode({ type: 'event', event }))),
    served.onView((view) => {
      const changed = view.seriesVersion !== seriesVersion;
      seriesVersion = view.seriesVersion;
      send(encode(viewMessage(view, changed)));
    }),
  );
  send(encode(hello) + encode(viewMessage(served.view(), true)));
  return end;
}

/** What the leader does with a console's messages beyond `poll` (agent/relay.ts). */
export interface ConsoleRelay {
  update(m: unknown): Promise<UpdateReply>;
  action(m: unknown): void;
}

export class RolloutSocket {
  private readonly clients = new Set<Socket>();
  private readonly hello: Hello;

  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly served: Served,
    private readonly relay: ConsoleRelay | undefined,
  ) {
    this.hello = helloFor(served.profile, Date.now());
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens at `path`; a file left there (a killed agent's socket) is replaced: only the lease holder serves. */
  static async listen(path: string, served: Served, relay?: ConsoleRelay): Promise<RolloutSocket> {
    try {
      unlinkSync(path);
    } catch {
      // Nothing there.
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // At once (the state directory is the user's own, so the window is no wider than the files'):
    // the judgement and the rollout are for this user only.
    chmodSync(path, 0o600);
    return new RolloutSocket(server, path, served, relay);
  }

  /** Stops serving; the socket file is removed (by the close). */
  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A relayed change, answered on the connection it came on (refused when this socket takes none). */
  private async answer(socket: Socket, m: unknown): Promise<void> {
    const id = typeof (m as { id?: unknown }).id === 'string' ? (m as { id: string }).id.slice(0, 64) : '';
    const reply = this.relay ? await this.relay.update(m) : { type: 'refused' as const, id, reason: 'this agent takes no changes on its socket' };
    if (!socket.destroyed) socket.write(encode(reply));
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.setEncoding('utf8');
    const reader = new LineReader();
    socket.on('data', (chunk: string) => {
      const messages = reader.push(chunk);
      if (!messages) return void socket.destroy();
      for (const m of messages) {
        if (isType(m, 'poll')) this.served.pollNow();
        else if (isType(m, 'update')) void this.answer(socket, m);
        else if (isType(m, 'action')) this.relay?.action(m);
      }
    });
    socket.on('error', () => socket.destroy());
    // A console that does not read is dropped rather than let the agent's memory grow.
    const end = feed(this.served, this.hello, (line) => socket.writableLength <= MAX_LINE_BYTES && (socket.write(line), true), () => socket.destroy());
    socket.on('close', () => {
      this.clients.delete(socket);
      end();
    });
  }
}

function isType(m: unknown, type: string): boolean {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}
