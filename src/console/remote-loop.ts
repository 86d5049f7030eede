// A console attached to the agent that leads its rollout: the agent's judgement, series and events
// from its socket (src/agent/socket.ts) in place of a watch loop of the console's own, so ten
// consoles cost the sources what one agent costs. Same surface as the WatchLoop for the Session.
// If the agent goes away, the console says so and falls back to a loop of its own (made then, so
// its sources are opened only then); it does not attach again until reopened.

import { connect, type Socket } from 'node:net';
import type { Clock } from '../engine/clock.js';
import type { SeriesSnapshot } from '../engine/types.js';
import { reviveSeries } from '../engine/sample-view.js';
import { LoopListeners } from '../engine/loop-listeners.js';
import { SETTLE_MS, type EngineEvent, type EventLevel, type LoopView, type SnapshotObserver, type WatchLoop } from '../engine/watch-loop.js';
import { encode, LineReader, type Hello, type ViewMessage } from '../agent/socket.js';

/** What the Session composes: a WatchLoop, or a RemoteLoop standing in for one. */
export interface ConsoleLoop {
  readonly view: LoopView;
  readonly series: { sourceAges(now: number): Record<string, number | undefined> };
  /** The agent's host while attached. */
  readonly attachedHost?: string | undefined;
  start(): void;
  stop(): Promise<void>;
  pollNow(): void;
  settle(): void;
  settleSoon(): void;
  observe(o: SnapshotObserver): () => void;
  onEvent(listener: (e: EngineEvent) => void): () => void;
  onView(listener: (v: LoopView) => void): () => void;
}

/** How long a console waits for an agent's hello and first view before it polls by itself. */
export const ATTACH_TIMEOUT_MS = 300;

/** An open connection to an agent that has said hello and sent its first view. */
export interface AgentLink {
  hello: Hello;
  first: ViewMessage & { series: SeriesSnapshot };
  socket: Socket;
  reader: LineReader;
  /** Messages that came with the first view. */
  backlog: unknown[];
  /** Set when the socket closed before the loop started reading it. */
  closed: boolean;
}

/** Connects to the agent's socket; undefined when none answers in time (no socket, a dead agent, not ours). */
export function attach(path: string, profile: string, timeoutMs = ATTACH_TIMEOUT_MS): Promise<AgentLink | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const reader = new LineReader();
    const got: unknown[] = [];
    const done = (link: AgentLink | undefined) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('error');
      if (!link) {
        socket.destroy();
        return resolve(undefined);
      }
      // Held until the loop starts (after the first paint): what comes meanwhile is buffered, not lost.
      socket.pause();
      socket.on('error', () => {});
      socket.once('close', () => (link.closed = true));
      resolve(link);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', () => done(undefined));
    socket.on('data', (chunk: string) => {
      const messages = reader.push(chunk);
      if (!messages) return done(undefined);
      got.push(...messages);
      const hello = got[0];
      const first = got[1];
      if (got.length < 2) return;
      if (!isHello(hello) || hello.profile !== profile || !isView(first) || first.series === undefined) return done(undefined);
      done({ hello: { ...hello, host: printable(hello.host) }, first: first as AgentLink['first'], socket, reader, backlog: got.slice(2), closed: false });
    });
  });
}

export class RemoteLoop extends LoopListeners<EngineEvent, LoopView> implements ConsoleLoop {
  private current: LoopView;
  private local: WatchLoop | undefined;
  private readonly offLocal: (() => void)[] = [];
  /** Ours, not the agent's: a fallback loop's versions must not collide with the remote ones. */
  private seriesVersion = 1;
  private started = false;
  private stopped = false;
  private cancelSettle: (() => void) | undefined;

  constructor(
    private readonly link: AgentLink,
    private readonly makeLocal: () => WatchLoop,
    private readonly clock: Clock,
  ) {
    super();
    const f = link.first;
    this.current = { now: f.now, snapshot: f.snapshot, rollout: f.rollout, sourceAges: f.sourceAges, series: reviveSeries(f.series), seriesVersion: this.seriesVersion };
  }

  get view(): LoopView {
    return this.local?.view ?? this.current;
  }

  get attachedHost(): string | undefined {
    return this.local ? undefined : this.link.hello.host;
  }

  get series(): ConsoleLoop['series'] {
    if (this.local) return this.local.series;
    const { now: at, sourceAges } = this.current;
    return {
      sourceAges: (now) => Object.fromEntries(Object.entries(sourceAges).map(([id, age]) => [id, age === undefined ? undefined : age + Math.max(0, now - at)])),
    };
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.local) return this.local.start();
    for (const o of this.observers) o.onSnapshot(undefined, this.current.snapshot);
    const socket = this.link.socket;
    socket.on('data', (chunk: string) => {
      const messages = this.link.reader.push(chunk);
      if (!messages) return this.fallBack('the agent sent something that is not its protocol');
      for (const m of messages) this.receive(m);
    });
    socket.on('error', (error) => this.fallBack(error.message));
    socket.on('close', () => this.fallBack('its socket closed'));
    for (const m of this.link.backlog.splice(0)) this.receive(m);
    if (this.link.closed) this.fallBack('its socket closed');
    else socket.resume();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelSettle?.();
    this.link.socket.destroy();
    for (const off of this.offLocal.splice(0)) off();
    await this.local?.stop();
  }

  pollNow(): void {
    if (this.local) return this.local.pollNow();
    this.link.socket.write(encode({ type: 'poll' }));
  }

  /** The agent judges; this publishes what it last said (a checklist tick is judged there when its state file changes). */
  settle(): void {
    if (this.local) return this.local.settle();
    for (const l of this.viewListeners) l(this.current);
  }

  /** Batched like the WatchLoop's: a chatty action's output lines reach the screen together. */
  settleSoon(): void {
    if (this.local) return this.local.settleSoon();
    if (this.cancelSettle || this.stopped) return;
    this.cancelSettle = this.clock.setTimeout(() => {
      this.cancelSettle = undefined;
      this.settle();
    }, SETTLE_MS);
  }

  private receive(m: unknown): void {
    if (this.local || this.stopped) return;
    if (isView(m)) {
      const prev = this.current.snapshot;
      if (m.series !== undefined) this.seriesVersion++;
      this.current = { now: m.now, snapshot: m.snapshot, rollout: m.rollout, sourceAges: m.sourceAges, series: m.series !== undefined ? reviveSeries(m.series) : this.current.series, seriesVersion: this.seriesVersion };
      for (const o of this.observers) o.onSnapshot(prev, m.snapshot);
      for (const l of this.viewListeners) l(this.current);
    } else if (isEvent(m)) {
      for (const l of this.eventListeners) l({ ...m.event, text: printable(m.event.text) });
    }
  }

  /** The agent is gone: said in the event log, then this console polls the sources itself. */
  private fallBack(why: string): void {
    if (this.local || this.stopped) return;
    this.link.socket.destroy();
    const local = this.makeLocal();
    this.local = local;
    const offset = this.seriesVersion + 1;
    const shifted = (v: LoopView): LoopView => ({ ...v, seriesVersion: v.seriesVersion + offset });
    for (const l of this.eventListeners) {
      l({ at: this.clock.now(), level: 'warn', kind: 'source', text: `agent on ${this.link.hello.host} went away (${why}): this console polls the sources itself` });
    }
    this.offLocal.push(
      local.onEvent((e) => {
        for (const l of this.eventListeners) l(e);
      }),
      local.onView((v) => {
        for (const l of this.viewListeners) l(shifted(v));
      }),
      local.observe({
        onSnapshot: (prev, next) => {
          for (const o of this.observers) o.onSnapshot(prev, next);
        },
      }),
    );
    local.settle();
    if (this.started) local.start();
  }
}

const LEVELS: readonly EventLevel[] = ['info', 'ok', 'warn', 'bad'];
const KINDS: readonly EngineEvent['kind'][] = ['warm', 'decision', 'metric', 'escalation', 'source', 'move'];

function isHello(m: unknown): m is Hello {
  const h = m as Partial<Hello> | null;
  return typeof h === 'object' && h !== null && h.type === 'hello' && typeof h.host === 'string' && typeof h.profile === 'string' && typeof h.pid === 'number';
}

function isView(m: unknown): m is ViewMessage {
  const v = m as Partial<ViewMessage> | null;
  return (
    typeof v === 'object' && v !== null && v.type === 'view' && typeof v.now === 'number' && typeof v.snapshot?.decision === 'string' &&
    typeof v.rollout === 'object' && v.rollout !== null && typeof v.sourceAges === 'object' && v.sourceAges !== null &&
    (v.series === undefined || (typeof v.series === 'object' && v.series !== null))
  );
}

function isEvent(m: unknown): m is { type: 'event'; event: EngineEvent } {
  const e = (m as { type?: unknown; event?: Partial<EngineEvent> } | null);
  return typeof e === 'object' && e !== null && e.type === 'event' && typeof e.event?.text === 'string' && typeof e.event.at === 'number' && LEVELS.includes(e.event.level as EventLevel) && KINDS.includes(e.event.kind as EngineEvent['kind']);
}

/** What came over the socket reaches the screen without control characters. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 500);
}
