// One rollout watched by the agent: the headless watch loop over the profile's sources, every
// sample into the history, and — only while this process holds the rollout's lease — the parts
// that act: the rollout state taken for writing, the audit log, the action runner, the notifier and
// the auto-rollback countdown. A standby follows the state read-only, judges and stores history
// like the leader, and acts on nothing. Taking the lease also takes the state file's lock; a
// console holding that lock keeps acting itself, so the agent gives the lease back and waits.

import type { Profile } from '../profile/types.js';
import { realClock, type Clock } from '../engine/clock.js';
import { defaultRetentionMs, type HistoryWriter } from '../engine/history.js';
import type { RolloutStore } from '../engine/state.js';
import type { Snapshot } from '../engine/types.js';
import { WatchLoop, type EngineEvent, type LoopView } from '../engine/watch-loop.js';
import { closeSources, createSources } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import { AuditLog, auditPath } from '../actions/audit.js';
import { AutoRollback, type Countdown } from '../actions/auto-rollback.js';
import { loadStoredHistory, readStoredHistory } from '../actions/history-load.js';
import { openHistoryWriter } from '../actions/history-open.js';
import { whoAmI, operatorName, type Identity } from '../actions/identity.js';
import type { LeaseEvent } from '../actions/lease.js';
import type { LeaseLookout, RolloutLease } from '../actions/lease-kind.js';
import { openLease, type OpenedLease } from '../actions/lease-open.js';
import { Notifier } from '../actions/notify.js';
import { digestPlace, type DigestHub } from '../actions/digest-hub.js';
import { ActionRunner } from '../actions/runner.js';
import { openStateStore } from '../actions/state-store.js';
import { closeLostRuns } from './lost-runs.js';
import { lastStoredIn, StandbySink } from './recent-samples.js';
import { StoreFollower } from './store-follower.js';
import type { AgentLog, LogLevel } from './log.js';
import { relayAction, relayUpdate, type RelayTarget } from './relay.js';
import { agentSocketPath, RolloutSocket, type Served } from './socket.js';

export interface AgentRolloutOptions {
  profile: Profile;
  stateDir: string;
  log: AgentLog;
  clock?: Clock;
  identity?: Identity;
  lease?: { heartbeatMs?: number; staleMs?: number };
  /** The agent's digest hub (one digest for every rollout at one place). */
  digests?: DigestHub;
  history?: { retentionMs?: number; maxBytes?: number };
  /** History asked of the sources that keep it at start, beyond what the history file holds. */
  backfillMs?: number;
}

/** How long a standby keeps what it saw: more than a takeover takes (stale time + a heartbeat). */
const RECENT_MS = 60_000;
/** How often old samples are pruned. */
const PRUNE_EVERY_MS = 3_600_000;
const NOTIFY_FLUSH_MS = 2_000;

/** The parts that act, alive only while the lease is held. */
interface Actor {
  store: RolloutStore;
  audit: AuditLog;
  notifier: Notifier;
  autoRollback: AutoRollback;
  unsubscribe: (() => void)[];
  /** Consoles on this host attach here instead of polling the sources themselves. */
  socket: RolloutSocket | undefined;
}

export class AgentRollout {
  readonly profile: Profile;
  readonly history: HistoryWriter;
  private readonly loop: WatchLoop;
  private readonly lease: RolloutLease;
  private readonly otherAgent: LeaseLookout;
  private readonly follower: StoreFollower;
  private readonly sources: Map<string, Source>;
  private readonly clock: Clock;
  private readonly identity: Identity;
  private actor: Actor | undefined;
  /** Becoming leader and stepping down run one after another, never interleaved. */
  private turn: Promise<void> = Promise.resolve();
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** A led-with store still followed after stepping down (a shared database away then), closed at stop. */
  private kept: RolloutStore | undefined;
  /** Why the lease was given back to a console holding the state, said once per reason. */
  private blocked: string | undefined;

  private constructor(
    private readonly opts: AgentRolloutOptions,
    store: RolloutStore,
    history: HistoryWriter,
    lease: OpenedLease,
  ) {
    this.profile = opts.profile;
    this.clock = opts.clock ?? realClock;
    this.identity = opts.identity ?? whoAmI();
    this.follower = new StoreFollower(store);
    this.sources = createSources(this.profile, { clock: this.clock });
    this.history = history;
    this.loop = new WatchLoop({
      profile: this.profile,
      sources: this.sources,
      rollout: this.follower,
      clock: this.clock,
      // Two agents on one rollout would store every sample twice: a standby stores only while no
      // other agent leads (a console holding the state keeps no history of its own).
      // What a standby sees is kept a while (recent-samples.ts), so a failover leaves no hole.
      sink: new StandbySink({
        storing: () => this.storing(),
        history,
        windowMs: RECENT_MS,
        now: () => this.clock.now(),
        lastStored: async () => {
          const now = this.clock.now();
          return lastStoredIn(await readStoredHistory(this.profile, opts.stateDir, now - 2 * RECENT_MS, now), now);
        },
        wrote: (points) => this.say('info', 'history', `${points} samples seen while another agent stored are stored too: the failover leaves no gap`),
      }),
      backfillMs: opts.backfillMs ?? 0,
      // Nobody looks at the time in phase here: judged when a poll lands or something falls due.
      wake: 'due',
    });
    this.lease = lease.lease;
    this.otherAgent = lease.others;
  }

  /**
   * Opens the profile's state (read-only until the lease is held) and everything it watches with;
   * the history and the lease are in the shared database when the state is (history-open.ts, lease-open.ts).
   */
  static async open(opts: AgentRolloutOptions): Promise<AgentRollout> {
    const store = await openStateStore(opts.profile, { dir: opts.stateDir, ...(opts.clock ? { clock: opts.clock } : {}), readOnly: true });
    const told = { problem: (_problem: string | undefined) => {} };
    const history = await openHistoryWriter(opts.profile, opts.stateDir, {
      retentionMs: opts.history?.retentionMs ?? defaultRetentionMs(opts.profile),
      ...(opts.history?.maxBytes !== undefined ? { maxBytes: opts.history.maxBytes } : {}),
      onProblem: (problem) => told.problem(problem),
    });
    const lease = await openLease(opts.profile, opts.stateDir, { user: (opts.identity ?? whoAmI()).user, role: 'agent', ...opts.lease });
    const rollout = new AgentRollout(opts, store, history, lease);
    told.problem = (problem) => rollout.say(problem ? 'error' : 'info', 'history', problem ?? 'history stored again');
    return rollout;
  }

  get view(): LoopView {
    return this.loop.view;
  }

  /** True while this agent carries out the rollout's automatic actions and notifications. */
  get leader(): boolean {
    return this.actor !== undefined && this.lease.held;
  }

  get countdown(): Countdown | undefined {
    return this.actor?.autoRollback.countdown;
  }

  onView(listener: (v: LoopView) => void): () => void {
    return this.loop.onView(listener);
  }

  /** What consoles attach to, on the socket (while leading) or over HTTP (always: a standby judges too). */
  get served(): Served {
    return {
      profile: this.profile.name,
      view: () => this.loop.view,
      onView: (l) => this.loop.onView(l),
      onEvent: (l) => this.loop.onEvent(l),
      pollNow: () => this.loop.pollNow(),
      watchLive: () => this.loop.watchLive(),
    };
  }

  async start(): Promise<void> {
    this.say('info', 'start', `watching ${this.profile.metricIds.length} metrics; ${this.history.description}`);
    if (this.history.problem) this.say('error', 'history', this.history.problem);
    await this.loadHistory();
    this.loop.onEvent((e) => this.onEngine(e));
    this.loop.observe({ onSnapshot: (prev, next) => this.act(prev, next), nextDueAt: () => this.actor?.notifier.nextDueAt() });
    this.lease.on((e) => this.onLease(e));
    this.loop.start();
    this.lease.start();
    // Only the agent that stores prunes: a standby's prune would be the same work twice, and on a
    // shared database a failure it could only report about rows it does not write.
    const prune = () => void (this.storing() && this.history.prune(this.clock.now()));
    prune();
    this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref();
  }

  /** Stops judging, steps down (releasing the lease and the state lock), flushes and closes the history. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.loop.stop();
    await this.enqueue(() => this.stepDown(undefined));
    await this.lease.stop();
    await this.follower.close();
    await this.kept?.close();
    await closeSources(this.sources);
    await this.history.close();
    this.say('info', 'stop', 'stopped');
  }

  /** The series store starts with what the history kept, so `for` and hold windows survive a restart. */
  private async loadHistory(): Promise<void> {
    const now = this.clock.now();
    const stored = await loadStoredHistory(this.profile, this.opts.stateDir, this.loop.series, now - this.profile.defaults.historyMs, now);
    if (stored?.problem) this.say('warn', 'history', stored.problem);
    if (stored && stored.points > 0) this.say('info', 'history', `${stored.points} samples loaded from the history`);
  }

  private storing(): boolean {
    return this.lease.held || this.otherAgent.holder() === undefined;
  }

  private act(prev: Snapshot | undefined, next: Snapshot): void {
    const actor = this.actor;
    // Fenced: a leader whose heartbeat went stale may no longer be the only one; it does nothing.
    if (!actor || !this.lease.held) return;
    actor.notifier.onSnapshot(prev, next);
    if (prev) actor.autoRollback.update(next);
  }

  private onLease(e: LeaseEvent): void {
    switch (e.type) {
      case 'acquired':
        // While a console holds the state the lease is taken and given back each heartbeat: said once.
        if (this.blocked === undefined) this.say('info', 'lease', e.took ? `lease taken over from ${e.took.role} ${e.took.user}@${e.took.host} (pid ${e.took.pid})` : 'lease acquired');
        void this.enqueue(async () => {
          try {
            await this.becomeLeader();
          } catch (error) {
            // A lease held by an agent that cannot act would silence the consoles too: give it back.
            this.lease.release();
            this.say('error', 'lease', `cannot act for the rollout, lease given back: ${message(error)}`);
          }
        });
        break;
      case 'lost':
        this.say('warn', 'lease', `lease lost: ${e.reason}`);
        void this.enqueue(() => this.stepDown(e.reason));
        break;
      case 'standby':
        this.say('info', 'lease', `standby: the lease is held by ${e.holder}`);
        break;
      case 'problem':
        this.say('error', 'lease', e.text);
        break;
    }
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.turn = this.turn.then(fn).catch((error: unknown) => this.say('error', 'lease', message(error)));
    return this.turn;
  }

  private async becomeLeader(): Promise<void> {
    if (this.actor || this.stopping) return;
    const store = await openStateStore(this.profile, { dir: this.opts.stateDir, clock: this.clock, user: operatorName(this.identity) });
    if (store.readOnly) {
      // A console holds the state: it acts, as it did before the agent came. Try again later.
      await store.close();
      this.lease.release();
      const why = `the rollout state is ${store.notice ?? 'locked'}: that console acts; standing by`;
      if (why !== this.blocked) this.say('warn', 'lease', why);
      this.blocked = why;
      return;
    }
    this.blocked = undefined;
    if (store.notice) this.say('warn', 'state', store.notice);
    const audit = await AuditLog.open(auditPath(this.profile, { stateDir: this.opts.stateDir }), {
      secrets: this.profile.secrets,
      onProblem: (problem) => this.say(problem ? 'error' : 'info', 'audit', problem ?? 'the audit lines kept in memory are written'),
    });
    const interrupted = await closeLostRuns(audit, { host: this.identity.host, by: `agent ${operatorName(this.identity)}`, at: this.clock.now() });
    if (interrupted.problem) this.say('error', 'action', interrupted.problem);
    const digests = this.opts.digests;
    const notifier = new Notifier({ targets: this.profile.notify, profile: this.profile, clock: this.clock, ...(digests ? { digests } : {}) });
    for (const target of this.profile.notify) {
      const place = digestPlace(target);
      if (digests && place !== undefined) digests.expect(place, this.profile.name);
    }
    const runner = new ActionRunner({ profile: this.profile, store, audit, clock: this.clock, notifier, identity: this.identity });
    const autoRollback = new AutoRollback({ profile: this.profile, runner, audit, clock: this.clock, identity: this.identity });
    let unsaved = store.unsaved;
    const unsubscribe = [
      store.subscribe(() => {
        if (store.unsaved === unsaved) return;
        unsaved = store.unsaved;
        this.say(unsaved ? 'error' : 'info', 'state', unsaved ? `rollout state not saved: ${unsaved}` : 'rollout state saved');
      }),
      notifier.subscribe((e) => this.say(e.type === 'failed' ? 'warn' : 'info', 'notify', `${e.event} to ${e.target}${e.type === 'failed' ? ` failed: ${e.reason ?? 'no reason given'}` : ' sent'}`)),
      runner.subscribe((e) => {
        if (e.type === 'start') this.say('warn', 'action', `${e.action} started: $ ${e.argv.join(' ')}`);
        if (e.type === 'end') this.say(e.outcome.ok ? 'info' : 'error', 'action', e.outcome.message + (e.outcome.auto ? ' (auto-rollback)' : ''));
        if (e.type === 'refused') this.say('warn', 'action', `${e.action} refused: ${e.reason}`);
      }),
      autoRollback.subscribe((e) => {
        if (e.type === 'started') this.say('error', 'auto-rollback', `auto-rollback in ${Math.round((e.countdown.deadline - e.countdown.startedAt) / 1000)}s: ${e.countdown.metric} ${e.countdown.text}`);
        if (e.type === 'cancelled') this.say('warn', 'auto-rollback', `auto-rollback for ${e.metric} stopped: ${e.by}`);
        if (e.type === 'notice') this.say('warn', 'auto-rollback', e.message);
      }),
    ];
    // Before anything can judge for this leader: an interrupted automatic rollback is not run again.
    for (const entry of interrupted.lost) if (entry.auto) autoRollback.holdForLostRun(`${entry.note}; no second automatic rollback for this breach`);
    this.actor = { store, audit, notifier, autoRollback, unsubscribe, socket: await this.serve(store) };
    this.follower.swap(store);
    void this.kept?.close();
    this.kept = undefined;
    this.say('info', 'lease', 'leader: automatic actions and notifications run here');
    // The state as it is now is the starting point: what the old leader already sent is not sent again.
    const now = this.loop.view.snapshot;
    notifier.onSnapshot(undefined, now);
    for (const entry of interrupted.lost) {
      this.say('error', 'action', entry.note ?? 'an action ended with its outcome unknown');
      notifier.onAction({ action: entry.action ?? 'action', argv: entry.argv ?? [], exitCode: null, signal: null, durationMs: 0, ok: false, ...(entry.auto ? { auto: true } : {}), outputTail: [], message: entry.note ?? 'OUTCOME UNKNOWN' });
    }
    autoRollback.update(now);
  }

  /** The leader's socket for consoles; none (and said) when it cannot listen: consoles then poll themselves. */
  private async serve(store: RolloutStore): Promise<RolloutSocket | undefined> {
    const path = agentSocketPath(this.opts.stateDir, this.profile.name);
    // An operator's change from a console beside this agent lands in the store this agent holds;
    // the action's outcome goes out through this agent's notifier, the one that sends.
    const target: RelayTarget = {
      profile: this.profile,
      store,
      leading: () => this.lease.held && this.actor?.store === store,
      log: (level, by, text) => this.opts.log({ level, rollout: this.profile.name, event: 'relay', text, ...(by !== undefined ? { by } : {}), secrets: this.profile.secrets }),
      notify: (outcome) => this.actor?.notifier.onAction(outcome),
    };
    const relay = { update: (m: unknown) => relayUpdate(target, m), action: (m: unknown) => relayAction(target, m) };
    try {
      const socket = await RolloutSocket.listen(path, this.served, relay);
      this.say('info', 'socket', `consoles attach at ${path}`);
      return socket;
    } catch (error) {
      this.say('warn', 'socket', `cannot serve consoles at ${path}: ${message(error)}; they poll the sources themselves`);
      return undefined;
    }
  }

  private async stepDown(reason: string | undefined): Promise<void> {
    const actor = this.actor;
    if (!actor) return;
    this.actor = undefined;
    this.opts.digests?.forget(this.profile.name);
    actor.autoRollback.dispose();
    for (const u of actor.unsubscribe) u();
    await actor.socket?.close();
    await Promise.race([actor.notifier.flush(), new Promise((resolve) => setTimeout(resolve, NOTIFY_FLUSH_MS).unref())]);
    let follow: RolloutStore | undefined;
    if (!this.stopping) {
      // A shared database that is away cannot be opened again read-only: the leader's store, which
      // reconnects by itself, is followed (only read) until stop.
      follow = await openStateStore(this.profile, { dir: this.opts.stateDir, clock: this.clock, readOnly: true }).catch((error: unknown) => {
        this.say('warn', 'state', `following the rollout state on the store this agent led with: ${message(error)}`);
        this.kept = actor.store;
        return undefined;
      });
      if (follow) this.follower.swap(follow);
    }
    await actor.audit.close();
    if (this.kept !== actor.store) await actor.store.close();
    if (reason !== undefined) this.say('warn', 'lease', `standing by: ${reason}`);
  }

  private onEngine(e: EngineEvent): void {
    const level: LogLevel = e.level === 'bad' ? 'error' : e.level === 'warn' ? 'warn' : 'info';
    this.say(level, e.kind, e.text);
  }

  private say(level: LogLevel, event: string, text: string): void {
    this.opts.log({ level, rollout: this.profile.name, event, text, secrets: this.profile.secrets });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
