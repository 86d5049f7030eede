// A console attached to an agent: the agent's judgement, series and events from its socket or its
// HTTP stream (agent-link.ts) in place of a watch loop of the console's own, so ten consoles cost
// the sources what one agent costs. Same surface as the WatchLoop for the Session. If the agent
// goes away, the console says so and falls back to a loop of its own (made then, so its sources
// are opened only then), and tries every REATTACH_MS to attach again — to the standby that took
// the lease over, say — handing back to the agent when one answers.

import type { Clock } from '../engine/clock.js';
import type { Profile } from '../profile/types.js';
import { realClock } from '../engine/clock.js';
import { reviveSeries } from '../engine/sample-view.js';
import { LoopListeners } from '../engine/loop-listeners.js';
import { SETTLE_MS, type EngineEvent, type LoopView, type SnapshotObserver, type WatchLoop } from '../engine/watch-loop.js';
import { cleanEvent, cleanView, type AgentLink } from './agent-link.js';

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

/** How often a console that lost its agent tries to attach again (real time). */
export const REATTACH_MS = 5_000;
/** An agent judges every second while a console watches: this long without a word, it is gone (a host that vanished sends no FIN). */
export const SILENT_MS = 10_000;

export class RemoteLoop extends LoopListeners<EngineEvent, LoopView> implements ConsoleLoop {
  private current: LoopView;
  private local: WatchLoop | undefined;
  private readonly offLocal: (() => void)[] = [];
  /** Ours, not the agent's: the versions must not go back when the loop behind changes. */
  private seriesVersion = 1;
  private started = false;
  private stopped = false;
  private cancelSettle: (() => void) | undefined;
  private cancelRetry: (() => void) | undefined;
  private cancelWatchdog: (() => void) | undefined;

  constructor(
    private link: AgentLink,
    private readonly makeLocal: () => WatchLoop,
    private readonly clock: Clock,
    private readonly profile: Profile,
    /** Attaches again (the same socket or URL); none: the console stays standalone once the agent goes. */
    private readonly reattach?: () => Promise<AgentLink | undefined>,
  ) {
    super();
    this.current = this.fromFirst(link);
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
      sourceAges: (now) => Object.fromEntries(Object.entries(sourceAges).map(([id, age]) => [id, age === undefined || age === null ? undefined : age + Math.max(0, now - at)])),
    };
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.local) return this.local.start();
    for (const o of this.observers) o.onSnapshot(undefined, this.current.snapshot);
    this.listen(this.link);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelSettle?.();
    this.cancelRetry?.();
    this.cancelWatchdog?.();
    this.link.stream.destroy();
    for (const off of this.offLocal.splice(0)) off();
    await this.local?.stop();
  }

  pollNow(): void {
    if (this.local) return this.local.pollNow();
    this.link.poll();
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

  private fromFirst(link: AgentLink): LoopView {
    const f = link.first;
    this.seriesVersion++;
    return { now: f.now, snapshot: f.snapshot, rollout: f.rollout, sourceAges: f.sourceAges, series: reviveSeries(f.series), seriesVersion: this.seriesVersion };
  }

  private listen(link: AgentLink): void {
    const stream = link.stream;
    stream.on('data', (chunk: string) => {
      if (link !== this.link) return;
      this.watch(link);
      const messages = link.reader.push(chunk);
      if (!messages) return this.fallBack('the agent sent something that is not its protocol');
      for (const m of messages) this.receive(m);
    });
    stream.on('error', (error: Error) => link === this.link && this.fallBack(error.message));
    stream.on('close', () => link === this.link && this.fallBack('its connection closed'));
    for (const m of link.backlog.splice(0)) this.receive(m);
    if (link.closed) return this.fallBack('its connection closed');
    stream.resume();
    this.watch(link);
  }

  /** Real time, as the agent's ticks are. */
  private watch(link: AgentLink): void {
    this.cancelWatchdog?.();
    this.cancelWatchdog = realClock.setTimeout(() => link === this.link && this.fallBack(`nothing heard for ${SILENT_MS / 1000}s`), SILENT_MS);
  }

  private receive(m: unknown): void {
    if (this.local || this.stopped) return;
    const view = cleanView(m, this.profile);
    if (view) {
      const prev = this.current.snapshot;
      if (view.series !== undefined) this.seriesVersion++;
      this.current = { now: view.now, snapshot: view.snapshot, rollout: view.rollout, sourceAges: view.sourceAges, series: view.series !== undefined ? reviveSeries(view.series) : this.current.series, seriesVersion: this.seriesVersion };
      for (const o of this.observers) o.onSnapshot(prev, view.snapshot);
      for (const l of this.viewListeners) l(this.current);
      return;
    }
    const event = cleanEvent(m);
    if (event) for (const l of this.eventListeners) l(event);
    else this.link.onReply?.(m);
    // Anything else (a view of another shape, a message of a newer agent) is not drawn.
  }

  /** The agent is gone: said in the event log, then this console polls the sources itself. */
  private fallBack(why: string): void {
    if (this.local || this.stopped) return;
    this.cancelWatchdog?.();
    this.link.stream.destroy();
    const local = this.makeLocal();
    this.local = local;
    const offset = this.seriesVersion + 1;
    const shifted = (v: LoopView): LoopView => {
      this.seriesVersion = Math.max(this.seriesVersion, v.seriesVersion + offset);
      return { ...v, seriesVersion: v.seriesVersion + offset };
    };
    const again = this.reattach ? `; it looks for an agent again every ${REATTACH_MS / 1000}s` : '';
    this.say('warn', `agent on ${this.link.hello.host} went away (${why}): this console polls the sources itself${again}`);
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
    this.retrySoon();
  }

  /** Real time, not the console's clock: a replay never attaches, and a virtual clock does not run the network. */
  private retrySoon(): void {
    if (!this.reattach || this.stopped) return;
    this.cancelRetry = realClock.setTimeout(() => void this.retry(), REATTACH_MS);
  }

  private async retry(): Promise<void> {
    const link = await this.reattach!().catch(() => undefined);
    if (this.stopped || !this.local) return void link?.stream.destroy();
    if (!link) return this.retrySoon();
    const local = this.local;
    for (const off of this.offLocal.splice(0)) off();
    this.local = undefined;
    await local.stop();
    if (this.stopped) return void link.stream.destroy();
    this.link = link;
    const prev = local.view.snapshot;
    this.current = this.fromFirst(link);
    this.say('info', `attached again, to agent on ${link.hello.host} (pid ${link.hello.pid}): its judgement is shown, this console polls no source`);
    for (const o of this.observers) o.onSnapshot(prev, this.current.snapshot);
    for (const l of this.viewListeners) l(this.current);
    if (this.started) this.listen(link);
  }

  private say(level: EngineEvent['level'], text: string): void {
    for (const l of this.eventListeners) l({ at: this.clock.now(), level, kind: 'source', text });
  }
}
