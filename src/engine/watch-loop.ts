// The headless watch loop: the series store and the poller over a profile's sources, judged by
// evaluate whenever the series or the rollout change (settled over SETTLE_MS so one poll round is
// one judgement) and once a second (countdowns, time in phase, staleness) — or, headless
// (`wake: 'due'`), only when time alone could change the judgement (engine/next-due.ts). It says what changed as
// events — decision, metric state, escalation, source error, phase move — and hands each snapshot
// to its observers (notifier, auto-rollback, exporter). It knows nothing of consoles or actions:
// the console (src/console/session.ts) and the agent compose it with the parts that act.

import type { Profile } from '../profile/types.js';
import type { Source } from '../sources/source.js';
import type { Clock } from './clock.js';
import { evaluate } from './evaluate.js';
import { DEFAULT_JITTER, Poller } from './poller.js';
import type { SampleSink } from './sample-sink.js';
import { SeriesStore } from './series.js';
import type { PhaseMove, RolloutState, RolloutStore } from './state.js';
import type { Decision, MetricState, SeriesSnapshot, Snapshot } from './types.js';
import { LoopListeners } from './loop-listeners.js';
import { nextDue } from './next-due.js';

export type { SampleSink };

/** Series changes within this long (real time) are judged together: one poll round, one judgement. */
export const SETTLE_MS = 100;
/** Judged at least this often (real time), so countdowns and staleness move without new data. */
export const TICK_MS = 1_000;
/** The longest a headless loop waits for the rest of a poll round before judging it. */
export const MAX_ROUND_MS = 2_000;

export type EventLevel = 'info' | 'ok' | 'warn' | 'bad';

/**
 * One line of news from the judging, said once per change, during settle() (before the
 * observers and the view), so a listener can publish them with the view that follows.
 */
export interface EngineEvent {
  at: number;
  level: EventLevel;
  kind: 'warm' | 'decision' | 'metric' | 'escalation' | 'source' | 'move';
  text: string;
  /** The metric it is about (metric, escalation and source events). */
  metric?: string;
}

/** What the loop last judged. */
export interface LoopView {
  now: number;
  snapshot: Snapshot;
  series: SeriesSnapshot;
  /** Changes whenever `series` does. */
  seriesVersion: number;
  rollout: RolloutState;
  /** Milliseconds since each source last answered with data; undefined before it ever has. */
  sourceAges: Readonly<Record<string, number | undefined>>;
}

/** Told of every judgement: `prev` is undefined at start, when there is nothing to compare with. */
export type { SnapshotObserver } from './loop-listeners.js';

export interface WatchLoopOptions {
  profile: Profile;
  /** Opened by the owner, who also closes them: stop() leaves them open. */
  sources: ReadonlyMap<string, Source>;
  rollout: Pick<RolloutStore, 'read' | 'subscribe'>;
  clock: Clock;
  /** Hears every sample, no-data answer and error the poller sees (a recording, a history). */
  sink?: SampleSink;
  /** History fetched at start from the sources that keep it; none when 0 or unset. */
  backfillMs?: number;
  /** Clock milliseconds per real millisecond (a replay's speed): settling and ticking stay real time. */
  pace?: number;
  /** Phase moves from this moment on are news (`--phase` makes one at open); default: construction. */
  openedAt?: number;
  /** The poller's start-up spread, 0..1 (default 0.1). */
  jitter?: number;
  /**
   * `tick` (default; a screen shows time moving): judged at least every TICK_MS. `due` (headless):
   * judged besides only when time alone could change the judgement or an observer asks
   * (nextDueAt), and every TICK_MS while someone watches live (watchLive).
   */
  wake?: 'tick' | 'due';
}

const STATE_LEVEL: Record<MetricState, EventLevel> = {
  ok: 'ok',
  pending: 'warn',
  warn: 'warn',
  breach: 'bad',
  nodata: 'warn',
  error: 'bad',
  stale: 'warn',
  insufficient: 'warn',
};

const DECISION_LEVEL: Record<Decision, EventLevel> = { PROMOTE: 'ok', SOAK: 'ok', HOLD: 'warn', ROLLBACK: 'bad' };

export class WatchLoop extends LoopListeners<EngineEvent, LoopView> {
  /** Public so that a history can be loaded into it before start(). */
  readonly series: SeriesStore;
  private readonly profile: Profile;
  private readonly rollout: WatchLoopOptions['rollout'];
  private readonly clock: Clock;
  private readonly poller: Poller;
  private readonly backfillMs: number;
  private readonly pace: number;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly seenErrors = new Map<string, number>();
  private seenMoves: number;
  private current: LoopView;
  private cancelTick: (() => void) | undefined;
  private cancelSettle: (() => void) | undefined;
  private settleAt = 0;
  /**
   * How long answers are gathered before they are judged. Headless, a whole poll round — spread
   * over the jitter share of the shortest interval — is one judgement (not one per 100 ms slot of
   * it); a console judges each slot's answers as they come, for the screen.
   */
  private readonly roundMs: number;
  private started = false;
  private stopped = false;
  private warm = false;
  private readonly wake: 'tick' | 'due';
  /** Watchers (consoles attached to the agent) that want the 1 s judgement in `due` mode. */
  private live = 0;

  constructor(opts: WatchLoopOptions) {
    super();
    this.profile = opts.profile;
    this.rollout = opts.rollout;
    this.clock = opts.clock;
    this.backfillMs = opts.backfillMs ?? 0;
    this.pace = opts.pace ?? 1;
    this.wake = opts.wake ?? 'tick';
    const shortest = Math.min(...this.profile.metricIds.map((id) => this.profile.metrics[id]!.intervalMs));
    this.roundMs = this.wake === 'due' ? Math.min(MAX_ROUND_MS, Math.max(SETTLE_MS, shortest * (opts.jitter ?? DEFAULT_JITTER))) : SETTLE_MS;
    this.series = new SeriesStore(this.profile);
    this.poller = new Poller({
      profile: this.profile,
      sources: opts.sources,
      store: this.series,
      clock: this.clock,
      ...(opts.sink ? { recorder: opts.sink } : {}),
      ...(opts.jitter !== undefined ? { jitter: opts.jitter } : {}),
    });
    const now = this.clock.now();
    const openedAt = opts.openedAt ?? now;
    const rollout = this.rollout.read();
    // Moves from openedAt on are said at the first settle; older ones are history, not news.
    this.seenMoves = rollout.history.filter((move) => move.at < openedAt).length;
    const series = this.series.snapshot();
    this.current = {
      now,
      snapshot: evaluate(this.profile, rollout, series, now, this.poller.raw),
      series,
      seriesVersion: this.series.version,
      rollout,
      sourceAges: this.series.sourceAges(now),
    };
  }

  get view(): LoopView {
    return this.current;
  }

  /** Starts polling, the 1 s tick and the backfill; tells each observer the first snapshot. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.unsubscribers.push(
      this.series.subscribe(() => this.settleWithin(this.roundMs * this.pace)),
      this.rollout.subscribe(() => this.settleSoon()),
    );
    for (const o of this.observers) o.onSnapshot(undefined, this.current.snapshot);
    this.poller.start();
    this.scheduleTick();
    if (this.backfillMs > 0) {
      this.poller.backfill(this.backfillMs).catch((error: unknown) => {
        this.emit({ at: this.clock.now(), level: 'warn', kind: 'source', text: `history backfill failed: ${message(error)}` });
        // Events are published with a judgement: make one, as no series change may follow.
        this.settleSoon();
      });
    }
  }

  /** Stops the poller and the timers; resolves once nothing is in flight. Sources stay open. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelSettle?.();
    this.cancelTick = this.cancelSettle = undefined;
    for (const off of this.unsubscribers.splice(0)) off();
    await this.poller.stop();
  }

  /** Polls every metric now; the schedule carries on as it was. */
  pollNow(): void {
    this.poller.pollNow();
  }

  /** Settles within SETTLE_MS: what else changes meanwhile is judged together. */
  settleSoon(): void {
    this.settleWithin(SETTLE_MS * this.pace);
  }

  /** Settles within `ms` (clock time), or sooner if a settle is already set for sooner. */
  private settleWithin(ms: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + ms;
    if (this.cancelSettle && this.settleAt <= at) return;
    this.cancelSettle?.();
    this.settleAt = at;
    this.cancelSettle = this.clock.setTimeout(() => {
      this.cancelSettle = undefined;
      this.settle();
    }, ms);
  }

  /** Judges now: says what changed, tells the observers, publishes the view. */
  settle(): void {
    if (this.stopped) return;
    // A settle already set judges nothing this one does not: what changed until now is judged here.
    this.cancelSettle?.();
    this.cancelSettle = undefined;
    const now = this.clock.now();
    const rollout = this.rollout.read();
    const series = this.series.snapshot();
    const prev = this.current.snapshot;
    const snapshot = evaluate(this.profile, rollout, series, now, this.poller.raw);
    this.sayMoves(rollout);
    this.sayChanges(prev, snapshot, series, now);
    this.saySourceErrors(series);
    this.current = { now, snapshot, series, seriesVersion: this.series.version, rollout, sourceAges: this.series.sourceAges(now) };
    for (const o of this.observers) o.onSnapshot(prev, snapshot);
    for (const l of this.viewListeners) l(this.current);
    // The next judgement without news counts from this one: polls that settle at least every
    // TICK_MS leave the tick nothing to do, and judging twice a second cost a console as much as
    // its polling did.
    this.scheduleTick();
  }

  /**
   * Someone watches the judgement live (a console attached to the agent): judged every TICK_MS
   * until the returned function is called, so time in phase and ages move on their screen.
   */
  watchLive(): () => void {
    this.live++;
    if (this.live === 1 && this.wake === 'due') this.scheduleTick();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.live--;
    };
  }

  /**
   * The next judgement without news: TICK_MS from now (at least once a second, however the polls
   * fall), or in `due` mode when something falls due.
   */
  private scheduleTick(): void {
    if (!this.started || this.stopped) return;
    this.cancelTick?.();
    const now = this.clock.now();
    const delay = this.wake === 'tick' || this.live > 0 ? TICK_MS * this.pace : Math.max(1, this.dueAt(now) - now);
    this.cancelTick = this.clock.setTimeout(() => {
      this.cancelTick = undefined;
      this.settle();
    }, delay);
  }

  private dueAt(now: number): number {
    const { rollout, snapshot, series } = this.current;
    let due = nextDue(this.profile, rollout, snapshot, series, now);
    for (const o of this.observers) {
      const at = o.nextDueAt?.();
      if (at !== undefined && at > now && at < due) due = at;
    }
    return due;
  }

  private emit(e: EngineEvent): void {
    for (const l of this.eventListeners) l(e);
  }

  private sayChanges(prev: Snapshot, next: Snapshot, series: SeriesSnapshot, at: number): void {
    const reason = next.reasons[0] ? `: ${next.reasons[0]}` : '';
    // Until every metric has answered once, "nodata → ok" is the loop starting, not news.
    if (!this.warm) {
      this.warm = this.profile.metricIds.every((id) => series[id]?.lastPollAt !== undefined);
      if (this.warm) this.emit({ at, level: DECISION_LEVEL[next.decision], kind: 'warm', text: `every metric polled: ${next.decision}${reason}` });
      return;
    }
    if (prev.decision !== next.decision) {
      this.emit({ at, level: DECISION_LEVEL[next.decision], kind: 'decision', text: `decision ${prev.decision} → ${next.decision}${reason}` });
    }
    const before = new Map(prev.metrics.map((m) => [m.id, m.state]));
    const escalatedBefore = new Map(prev.metrics.map((m) => [m.id, m.escalation?.reached?.to]));
    for (const m of next.metrics) {
      // An escalation to an action keeps the metric at warn: say it, since no state change will.
      const reached = m.escalation?.reached;
      if (reached && reached.to !== 'rollback' && escalatedBefore.get(m.id) !== reached.to) {
        const key = reached.key !== undefined ? ` (key ${reached.key})` : '';
        this.emit({ at, level: 'bad', kind: 'escalation', metric: m.id, text: `${m.id} escalated to ${reached.to}${key}: ${m.reason ?? 'warning unresolved'}` });
      }
      const was = before.get(m.id);
      if (was === undefined || was === m.state) continue;
      const why = m.state === 'ok' ? '' : (m.reason ?? m.error ?? '');
      this.emit({ at, level: STATE_LEVEL[m.state], kind: 'metric', metric: m.id, text: `${m.id} ${was} → ${m.state}${why ? `: ${why}` : ''}` });
    }
  }

  private saySourceErrors(series: SeriesSnapshot): void {
    for (const id of this.profile.metricIds) {
      const error = series[id]?.lastError;
      if (!error || this.seenErrors.get(id) === error.at) continue;
      this.seenErrors.set(id, error.at);
      const source = this.profile.metrics[id]?.source ?? '?';
      this.emit({ at: error.at, level: 'bad', kind: 'source', metric: id, text: `source ${source}: ${error.reason}` });
    }
  }

  private sayMoves(rollout: RolloutState): void {
    const moves = rollout.history.slice(this.seenMoves);
    this.seenMoves = rollout.history.length;
    for (const move of moves) {
      this.emit({ at: move.at, level: move.reason === 'rollback' ? 'bad' : 'info', kind: 'move', text: describeMove(this.profile, move) });
    }
  }
}

/** `phase canary → ramp-50 (promote) by alice@bastion`. */
export function describeMove(profile: Profile, move: PhaseMove): string {
  const name = (i: number | null) => (i === null ? 'off' : (profile.phases[i]?.name ?? `#${i + 1}`));
  return `phase ${name(move.from)} → ${name(move.to)} (${move.reason}) by ${move.by}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
