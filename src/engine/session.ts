// A live console session: the series store and poller, evaluate, the rollout state, the action
// runner, the audit log, notifications and the auto-rollback countdown, composed once. It
// re-evaluates when the series change and once a second (countdowns, time in phase, staleness),
// keeps a bounded event log, and publishes one immutable ConsoleState per change for
// useSyncExternalStore. Components never reach past it: they read state and send intents.

import type { Profile } from '../profile/types.js';
import type { Clock } from './clock.js';
import { ScaledClock, realClock } from './clock.js';
import { activeChecklist, rollbackChecklistTicked } from './checklist.js';
import { Recorder, readRecording } from './record.js';
import { initialState, phaseSet, trafficChange, type RolloutState, type RolloutStore } from './state.js';
import type { Snapshot } from './types.js';
import { MemoryRolloutStore } from './memory-rollout.js';
import { WatchLoop, type EngineEvent, type LoopView } from './watch-loop.js';
import { createSources, closeSources } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import { AuditLog, auditContext, auditPath, formatDuration, readAudit, type AuditEntry } from '../actions/audit.js';
import type { SharedAudit, SharedAuditEvent } from '../actions/shared-audit.js';
import { AutoRollback, type AutoRollbackEvent } from '../actions/auto-rollback.js';
import { operatorName, whoAmI, type Identity } from '../actions/identity.js';
import { Notifier, type NotifierEvent } from '../actions/notify.js';
import { ActionRunner, type ActionOutcome, type RunnerEvent } from '../actions/runner.js';
import { defaultStateDir, openStateStore, phaseIndex } from '../actions/state-store.js';
import { AgentLeaseLookout, describeHolder, leasePath } from '../actions/lease.js';
import { loadHistoryFile } from '../actions/history-load.js';
import type { SessionPort } from '../view/controller.js';
import type { ActionOutput, ConsoleEvent, ConsoleState, EventLevel } from '../view/console-state.js';

export interface SessionOptions {
  stateDir?: string;
  auditLog?: string;
  /** `--phase NAME`: move the rollout there on open (recorded). */
  phase?: string;
  readOnly?: boolean;
  /** Why the console is read-only, when it is for a reason other than `--read-only`. */
  readOnlyReason?: string;
  dryRun?: boolean;
  /** `--record FILE`: append every sample and error to a recording. */
  record?: string;
  /** `--replay FILE`: play a recording back instead of polling; read-only, state kept in memory. */
  replay?: string;
  speed?: number;
  clock?: Clock;
  identity?: Identity;
  /** History fetched at open so the charts are full at once (default: the profile's history, at most 6h). */
  backfillMs?: number;
}

/** Where a rollback checklist tick is said to belong, in the event log and the audit log's note. */
const ROLLBACK_CHECKLIST_NOTE = 'after rollback';
/** Events kept for the log; older ones fall off. */
const MAX_EVENTS = 200;
/** Output lines kept for the output pane. */
const MAX_OUTPUT_LINES = 200;
/** Audit entries replayed into the event log at open. */
const AUDIT_EVENTS_AT_OPEN = 30;
const MAX_BACKFILL_MS = 6 * 3_600_000;
/** How long closing waits for notifications still in flight. */
const NOTIFY_FLUSH_MS = 2_000;

/** Opens everything a console needs on a profile. Throws (with a one-line message) when it cannot. */
export async function openSession(profile: Profile, opts: SessionOptions = {}): Promise<Session> {
  const identity = opts.identity ?? whoAmI();
  const openedAt = (opts.clock ?? realClock).now();
  const user = operatorName(identity);
  const replay = opts.replay;
  const clock = opts.clock ?? (replay ? new ScaledClock((await readRecording(replay)).startedAt, opts.speed ?? 1) : realClock);
  const readOnly = opts.readOnly === true || replay !== undefined;
  const readOnlyReason = replay ? `replaying ${replay}` : (opts.readOnlyReason ?? (opts.readOnly ? '--read-only' : undefined));

  // A replay never touches the live rollout: its state starts fresh and lives in memory.
  const rollout: RolloutStore = replay
    ? new MemoryRolloutStore(atPhase(initialState(profile.name, clock.now()), profile, opts.phase, clock.now(), user))
    : await openStateStore(profile, { dir: opts.stateDir, clock, user, phase: opts.phase, readOnly: opts.readOnly === true });
  const opened: { close(): Promise<void> }[] = [rollout];
  try {
    const auditFile = auditPath(profile, { stateDir: opts.stateDir, auditLog: opts.auditLog });
    const audit = await AuditLog.open(auditFile, { secrets: profile.secrets });
    opened.push(audit);
    // A shared store shares the audit log too (never in a replay, which touches nothing live).
    // Loaded only for a shared store: pg stays off the start-up path of every other console.
    const shared =
      profile.state && !replay ? new (await import('../actions/shared-audit.js')).SharedAudit(profile, profile.state, { readOnly: opts.readOnly === true }) : undefined;
    if (shared) {
      opened.push(shared);
      audit.mirror = (entry) => shared.share(entry);
      // The state store has just reached the same database, so this is quick (bounded by its timeout).
      await shared.start();
    }
    const history = await readAudit(auditFile).catch((error: unknown) => ({ entries: [] as AuditEntry[], problems: [message(error)] }));
    const late = { sink: (_text: string) => {} };
    const recorder = opts.record
      ? await Recorder.open(opts.record, { profile: profile.name, startedAt: clock.now() }, { onProblem: (text) => late.sink(text) })
      : undefined;
    if (recorder) opened.push(recorder);
    const sources = createSources(profile, { clock, ...(replay ? { replay } : {}) });
    const session = new Session({
      profile,
      clock,
      identity,
      rollout,
      audit,
      shared,
      sources,
      recorder,
      mode: {
        readOnly: readOnly || rollout.readOnly,
        ...(readOnly ? { readOnlyReason } : rollout.readOnly ? { readOnlyReason: rollout.notice } : {}),
        dryRun: opts.dryRun === true,
        ...(opts.record ? { recording: opts.record } : {}),
        ...(replay ? { replay } : {}),
        user: identity.user,
      },
      actionsOff: readOnly,
      ...(replay ? {} : { agentLease: new AgentLeaseLookout(leasePath(opts.stateDir ?? defaultStateDir(), profile.name)) }),
      pace: replay ? (opts.speed ?? 1) : 1,
      backfillMs: opts.backfillMs ?? Math.min(profile.defaults.historyMs, MAX_BACKFILL_MS),
      openedAt: replay ? clock.now() : openedAt,
    });
    late.sink = (text) => session.note(text, 'bad');
    if (!replay) await session.loadStoredHistory(opts.stateDir ?? defaultStateDir());
    session.replayAudit(history.entries, history.problems);
    if (rollout.about) session.note(rollout.about, 'info');
    if (rollout.notice) session.note(rollout.notice, 'warn');
    return session;
  } catch (error) {
    await Promise.allSettled(opened.map((o) => o.close()));
    throw error;
  }
}

interface SessionParts {
  profile: Profile;
  /** Where a running agent's lease on this rollout is (none in a replay). */
  agentLease?: AgentLeaseLookout;
  clock: Clock;
  identity: Identity;
  rollout: RolloutStore;
  audit: AuditLog;
  /** The shared audit log of a PostgreSQL state store. */
  shared?: SharedAudit | undefined;
  sources: Map<string, Source>;
  recorder: Recorder | undefined;
  mode: ConsoleState['mode'];
  /** --read-only, a replay, or no keyboard; a rollout locked by another console the runner tells itself. */
  actionsOff: boolean;
  /** Clock milliseconds per real millisecond (a replay's speed): the screen's pace stays real time. */
  pace: number;
  backfillMs: number;
  /** Phase moves from this moment on are news for the event log (`--phase` makes one at open). */
  openedAt: number;
}

export class Session implements SessionPort {
  readonly profile: Profile;
  private readonly clock: Clock;
  private readonly identity: Identity;
  private readonly rollout: RolloutStore;
  private readonly audit: AuditLog;
  private readonly shared: SharedAudit | undefined;
  private readonly sources: Map<string, Source>;
  private readonly recorder: Recorder | undefined;
  private readonly loop: WatchLoop;
  private readonly runner: ActionRunner;
  private readonly notifier: Notifier;
  private readonly autoRollback: AutoRollback;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private state: ConsoleState;
  private events: ConsoleEvent[] = [];
  private eventSeq = 0;
  private output: ActionOutput | undefined;
  /** --read-only, a replay, no keyboard: the store's own read-only turns change nothing then. */
  private readonly actionsOff: boolean;
  private readonly agentLease: AgentLeaseLookout | undefined;
  private agentNoted = false;
  /** Checklist items this console unticked, so the change is not reported as another console's. */
  private readonly ownUnticks = new Set<string>();
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(parts: SessionParts) {
    this.profile = parts.profile;
    this.clock = parts.clock;
    this.identity = parts.identity;
    this.rollout = parts.rollout;
    this.audit = parts.audit;
    this.shared = parts.shared;
    this.sources = parts.sources;
    this.recorder = parts.recorder;
    this.actionsOff = parts.actionsOff;
    this.agentLease = parts.agentLease;
    this.loop = new WatchLoop({
      profile: this.profile,
      sources: this.sources,
      rollout: this.rollout,
      clock: this.clock,
      ...(this.recorder ? { sink: this.recorder } : {}),
      backfillMs: parts.backfillMs,
      pace: parts.pace,
      openedAt: parts.openedAt,
    });
    this.notifier = new Notifier({ targets: this.profile.notify, profile: this.profile, clock: this.clock });
    this.runner = new ActionRunner({
      profile: this.profile,
      store: this.rollout,
      audit: this.audit,
      clock: this.clock,
      readOnly: parts.actionsOff,
      dryRun: parts.mode.dryRun,
      notifier: this.notifier,
      identity: this.identity,
    });
    this.autoRollback = new AutoRollback({ profile: this.profile, runner: this.runner, audit: this.audit, clock: this.clock, identity: this.identity });
    // Heard at once, before start(): a share that fails is news even on a console not yet started.
    if (this.shared) this.unsubscribers.push(this.shared.on((e) => this.onShared(e)));

    this.unsubscribers.push(
      this.loop.onEvent((e) => this.onEngine(e)),
      this.loop.onView((v) => this.onView(v)),
    );
    this.state = { profile: this.profile, ...this.loop.view, events: this.events, mode: parts.mode };
    // The first judgement says the phase moves made at open (`--phase`) before anything else.
    this.loop.settle();
  }

  // ── the store React reads ────────────────────────────────────────────────────────────────

  getSnapshot = (): ConsoleState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Starts polling, the 1 s tick and the history backfill. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.unsubscribers.push(
      this.runner.subscribe((e) => this.onRunner(e)),
      this.autoRollback.subscribe((e) => this.onAutoRollback(e)),
      this.notifier.subscribe((e) => this.onNotifier(e)),
      this.loop.observe({
        onSnapshot: (prev: Snapshot | undefined, next: Snapshot) => {
          // An agent holding the rollout's lease notifies and rolls back; this console only watches.
          if (this.agentActs()) return;
          this.notifier.onSnapshot(prev, next);
          if (prev) this.autoRollback.update(next);
        },
      }),
    );
    this.loop.start();
  }

  // ── intents ──────────────────────────────────────────────────────────────────────────────

  /** Runs a profile action (its `then` chain included); never throws, the outcome says what happened. */
  async run(action: string, opts: { forced: boolean }): Promise<ActionOutcome> {
    try {
      return await this.runner.run({ action, snapshot: this.state.snapshot, ...(opts.forced ? { forced: true } : {}) });
    } finally {
      // The runner is busy until its chain is over, which is after its last event: say so now.
      this.publish();
    }
  }

  /**
   * Ticks or unticks an item of the checklist in force (the current phase's, or the rollback
   * checklist while rolled back), in the rollout state and the audit log.
   */
  async toggleChecklist(item: string): Promise<void> {
    const snapshot = this.state.snapshot;
    const phase = snapshot.phase.name;
    const active = activeChecklist(snapshot);
    const current = active.items.find((c) => c.item === item);
    if (!current) {
      throw new Error(active.kind === 'rollback' ? `"${item}" is not on the rollback checklist` : `"${item}" is not on the checklist of phase ${phase}`);
    }
    const checked = !current.checked;
    const at = this.clock.now();
    const by = operatorName(this.identity);
    const where = active.kind === 'rollback' ? ROLLBACK_CHECKLIST_NOTE : phase;
    if (!checked) this.ownUnticks.add(tickKey(where, item));
    await this.rollout.update((state) => {
      if (active.kind === 'rollback') return rollbackChecklistTicked(state, item, checked ? { by, at } : undefined);
      const ticks = { ...(state.checklist[phase] ?? {}) };
      if (checked) ticks[item] = { by, at };
      else delete ticks[item];
      return { ...state, checklist: { ...state.checklist, [phase]: ticks } };
    });
    this.log(`checklist ${checked ? '[x]' : '[ ]'} ${item} (${where}) by ${this.identity.user}`, checked ? 'ok' : 'warn');
    this.loop.settle();
    try {
      await this.audit.append({
        ...auditContext(this.state.snapshot, this.identity, at),
        event: 'checklist',
        item,
        checked,
        ...(active.kind === 'rollback' ? { note: ROLLBACK_CHECKLIST_NOTE } : {}),
      });
    } catch (error) {
      this.log(`audit log not written: ${message(error)}`, 'bad');
      this.publish();
    }
  }

  /** What an agent stored in the state directory's history goes into the charts and windows first. */
  async loadStoredHistory(stateDir: string): Promise<void> {
    const now = this.clock.now();
    const stored = await loadHistoryFile(this.profile, stateDir, this.loop.series, now - this.profile.defaults.historyMs, now);
    if (stored && stored.points > 0) this.loop.settle();
    if (stored?.problem) this.note(stored.problem, 'warn');
    else if (stored && stored.points > 0) this.note(`${stored.points} samples from the agent's history`, 'info');
  }

  /** Whether a live agent holds the lease (said once in the event log, and a countdown here stops). */
  private agentActs(): boolean {
    const holder = this.agentLease?.holder();
    if (holder && !this.agentNoted) {
      this.note(`${describeHolder(holder)} holds the lease: it sends the notifications and runs auto-rollbacks, not this console`, 'info');
      if (this.autoRollback.countdown) this.autoRollback.cancel(`${describeHolder(holder)}, which acts for this rollout`);
    }
    this.agentNoted = holder !== undefined;
    return holder !== undefined;
  }

  pollNow(): void {
    this.loop.pollNow();
  }

  cancelAutoRollback(): void {
    this.autoRollback.cancel(operatorName(this.identity));
    this.loop.settle();
  }

  /** A line for the event log from outside the engine: a banner, a key conflict, a warning. */
  note(text: string, level: EventLevel = 'info'): void {
    this.log(text, level);
    this.publish();
  }

  /** Stops everything and releases the rollout lock; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const off of this.unsubscribers) off();
    this.autoRollback.dispose();
    await this.loop.stop();
    await closeSources(this.sources);
    await this.recorder?.close();
    await Promise.race([this.notifier.flush(), new Promise((resolve) => setTimeout(resolve, NOTIFY_FLUSH_MS).unref())]);
    await Promise.allSettled([this.audit.close(), this.rollout.close(), ...(this.shared ? [this.shared.close()] : [])]);
    this.listeners.clear();
  }

  // ── judging (the watch loop's) ───────────────────────────────────────────────────────────

  private onEngine(e: EngineEvent): void {
    if (this.closing) return;
    // Published by the judgement that follows (onView).
    this.log(e.text, e.level, e.at);
  }

  /** After each judgement: other consoles' changes and the store's health, then the new state. */
  private onView(v: LoopView): void {
    if (this.closing) return;
    this.logOthers(this.state.rollout, v.rollout);
    this.followStoreHealth();
    this.state = { ...this.state, now: v.now, rollout: v.rollout, snapshot: v.snapshot, series: v.series, seriesVersion: v.seriesVersion };
    this.publish();
  }

  private publish(): void {
    const now = this.clock.now();
    const countdown = this.autoRollback.countdown;
    const busy = this.runner.busy;
    this.state = {
      ...this.state,
      now,
      events: this.events,
      sourceAges: this.loop.series.sourceAges(now),
      ...(this.output ? { output: this.output } : {}),
      busy,
      countdown: countdown ? { metric: countdown.metric, text: countdown.text, deadline: countdown.deadline } : undefined,
    };
    for (const listener of this.listeners) listener();
  }

  // ── the event log ────────────────────────────────────────────────────────────────────────

  private log(text: string, level: EventLevel, at = this.clock.now()): void {
    // The same line again (a source failing on every poll) folds into one entry with a count.
    const i = this.events.findIndex((e) => e.text === text && e.level === level);
    const next = [...this.events];
    if (i >= 0) {
      const folded = { ...next[i]!, at, count: next[i]!.count + 1 };
      next.splice(i, 1);
      next.push(folded);
    } else {
      next.push({ id: ++this.eventSeq, at, level, text, count: 1 });
    }
    this.events = next.length > MAX_EVENTS ? next.slice(-MAX_EVENTS) : next;
  }

  /** The audit log's last entries, so a console reopened after an SSH drop has its history back. */
  replayAudit(entries: readonly AuditEntry[], problems: readonly string[]): void {
    for (const entry of entries.slice(-AUDIT_EVENTS_AT_OPEN)) {
      const described = describeAudit(entry);
      if (described) this.log(described.text, described.level, Date.parse(entry.time));
    }
    if (problems.length > 0) this.log(`audit log: ${problems.length} unreadable line${problems.length === 1 ? '' : 's'} (${problems[0]})`, 'warn');
    this.publish();
  }

  /**
   * Checklist ticks and traffic changes another console made (through a shared store, or as the
   * lock holder a read-only console follows) are news; phase moves are the watch loop's.
   */
  private logOthers(before: RolloutState, after: RolloutState): void {
    if (before === after) return;
    const me = operatorName(this.identity);
    const mine = (by: string) => by === me || by.startsWith(`${me} (`);
    for (const phase of new Set([...Object.keys(before.checklist), ...Object.keys(after.checklist)])) {
      this.logTicks(before.checklist[phase] ?? {}, after.checklist[phase] ?? {}, phase, mine);
    }
    // The same rollback on both sides: a new rollback (or a promote) starts its checklist afresh.
    if (before.rolledBack && after.rolledBack && before.rolledBack.at === after.rolledBack.at) {
      this.logTicks(before.rolledBack.checklist ?? {}, after.rolledBack.checklist ?? {}, ROLLBACK_CHECKLIST_NOTE, mine);
    }
    const traffic = after.traffic;
    if (traffic && (traffic.at !== before.traffic?.at || traffic.share !== before.traffic?.share) && !mine(traffic.by)) {
      this.log(`traffic now ${traffic.share}% (${trafficChange(traffic)}) by ${traffic.by} (${traffic.action})`, 'warn', traffic.at);
    }
  }

  private logTicks(
    before: Record<string, { by: string; at: number }>,
    after: Record<string, { by: string; at: number }>,
    where: string,
    mine: (by: string) => boolean,
  ): void {
    for (const [item, tick] of Object.entries(after)) {
      if (!before[item] && !mine(tick.by)) this.log(`checklist [x] ${item} (${where}) by ${tick.by}`, 'ok', tick.at);
    }
    for (const item of Object.keys(before)) {
      if (!after[item] && !this.ownUnticks.delete(tickKey(where, item))) this.log(`checklist [ ] ${item} (${where}) unticked by another console`, 'warn');
    }
  }

  /**
   * A shared store turns read-only while its database is unreachable (or its row unusable) and
   * back again: the header, the refusals and the event log follow it.
   */
  private followStoreHealth(): void {
    if (this.actionsOff) return;
    const readOnly = this.rollout.readOnly;
    const reason = readOnly ? this.rollout.notice : undefined;
    const retreatOnly = readOnly && this.rollout.unavailable !== undefined;
    const mode = this.state.mode;
    if (readOnly === mode.readOnly && reason === mode.readOnlyReason && retreatOnly === (mode.retreatOnly === true)) return;
    if (readOnly !== mode.readOnly) {
      const retreat = retreatOnly ? '; a rollback or reduction still runs, unsaved' : '';
      this.log(readOnly ? `rollout state: ${reason ?? 'read-only'}${retreat}` : 'rollout state store back: changes to the rollout allowed again', readOnly ? 'bad' : 'ok');
    }
    const { readOnlyReason: _, retreatOnly: __, ...rest } = mode;
    this.state = {
      ...this.state,
      mode: { ...rest, readOnly, ...(reason !== undefined ? { readOnlyReason: reason } : {}), ...(retreatOnly ? { retreatOnly } : {}) },
    };
  }

  private onRunner(e: RunnerEvent): void {
    const now = this.clock.now();
    switch (e.type) {
      case 'start':
        this.output = { action: e.action, argv: e.argv, startedAt: now, running: true, dryRun: this.state.mode.dryRun, lines: [] };
        this.log(`${e.action} started: $ ${e.argv.join(' ')}`, 'info');
        break;
      case 'output':
        if (this.output?.action === e.action) {
          const lines = [...this.output.lines, { stream: e.stream, text: e.line }];
          this.output = { ...this.output, lines: lines.length > MAX_OUTPUT_LINES ? lines.slice(-MAX_OUTPUT_LINES) : lines };
        }
        // A chatty command prints faster than anyone reads: its lines reach the screen in batches.
        this.loop.settleSoon();
        return;
      case 'end': {
        const o = e.outcome;
        if (this.output?.action === o.action) {
          this.output = {
            ...this.output,
            running: false,
            endedAt: now,
            exitCode: o.exitCode,
            ...(o.ok || o.dryRun ? {} : { error: o.message }),
          };
        }
        this.log(o.message + (o.forced ? ' (forced)' : '') + (o.auto ? ' (auto-rollback)' : ''), o.ok ? 'ok' : 'bad');
        break;
      }
      case 'refused':
        this.log(`${e.action} refused: ${e.reason}`, 'warn');
        break;
    }
    this.publish();
  }

  /**
   * Another console's audit entry, through the shared audit log. One source per kind of news: phase
   * moves, checklist ticks and traffic changes come from the state row (logMoves, logOthers), so an
   * entry saying the same (a tick, a promote/rollback/traffic action that succeeded) is not
   * repeated here; actions that leave the state alone (effect none, failures, dry runs), refusals
   * and auto-rollback countdowns come from here, the only place they are heard.
   */
  private onShared(e: SharedAuditEvent): void {
    if (this.closing) return;
    if (e.type === 'problem') {
      this.log(e.text, 'warn');
      return this.publish();
    }
    const described = describeShared(this.profile, e.entry);
    if (!described) return;
    const at = Date.parse(e.entry.time);
    this.log(described.text, described.level, Number.isNaN(at) ? this.clock.now() : at);
    this.publish();
  }

  private onAutoRollback(e: AutoRollbackEvent): void {
    switch (e.type) {
      case 'started':
        this.log(`auto-rollback in ${Math.round((e.countdown.deadline - e.countdown.startedAt) / 1_000)}s: ${e.countdown.metric} ${e.countdown.text} (c cancels)`, 'bad');
        break;
      case 'cancelled':
        this.log(`auto-rollback for ${e.metric} stopped: ${e.by}`, 'warn');
        break;
      case 'fired':
        break;
      case 'notice':
        this.log(e.message, 'warn');
        break;
    }
    this.publish();
  }

  private onNotifier(e: NotifierEvent): void {
    if (e.type !== 'failed') return;
    this.log(`notification ${e.event} to ${e.target} failed: ${e.reason ?? 'no reason given'}`, 'warn');
    this.publish();
  }
}

function tickKey(where: string, item: string): string {
  return `${where}\u0000${item}`;
}

function describeAudit(entry: AuditEntry): { text: string; level: EventLevel } | undefined {
  const who = `by ${entry.user}`;
  switch (entry.event) {
    case 'action': {
      const how = entry.dryRun ? 'dry run' : entry.ok ? `exit ${entry.exitCode ?? 0}` : `FAILED${entry.exitCode !== undefined && entry.exitCode !== null ? ` exit ${entry.exitCode}` : ''}`;
      const flags = `${entry.forced ? ' (forced)' : ''}${entry.auto ? ' (auto-rollback)' : ''}`;
      return { text: `${entry.action ?? 'action'} ${how}${flags} ${who} [audit]`, level: entry.ok ? 'ok' : 'bad' };
    }
    case 'refused':
      return { text: `${entry.action ?? 'action'} refused ${who}: ${entry.note ?? ''} [audit]`, level: 'warn' };
    case 'checklist':
      return { text: `checklist ${entry.checked ? '[x]' : '[ ]'} ${entry.item ?? ''} (${entry.note === ROLLBACK_CHECKLIST_NOTE ? entry.note : entry.phase}) ${who} [audit]`, level: entry.checked ? 'ok' : 'warn' };
    case 'auto-rollback-start':
      return { text: `auto-rollback countdown: ${entry.note ?? entry.metric ?? ''} [audit]`, level: 'bad' };
    case 'auto-rollback-cancel':
      return { text: `auto-rollback stopped: ${entry.note ?? entry.by ?? ''} [audit]`, level: 'warn' };
  }
}

/** `bob@bastion-2 ran restart → exit 0 (1.2s)`: another console's entry, as this console says its own. */
function describeShared(profile: Profile, entry: AuditEntry): { text: string; level: EventLevel } | undefined {
  const who = `${entry.user}@${entry.host}`;
  switch (entry.event) {
    case 'action': {
      const effect = profile.actions[entry.action ?? '']?.effect;
      if (entry.ok && !entry.dryRun && effect !== undefined && effect !== 'none') return undefined;
      const flags = `${entry.forced ? ' (forced)' : ''}${entry.auto ? ' (auto-rollback)' : ''}`;
      const took = entry.durationMs !== undefined ? ` (${formatDuration(entry.durationMs)})` : '';
      const how = entry.dryRun
        ? 'dry run'
        : entry.ok
          ? `exit ${entry.exitCode ?? 0}${took}`
          : `FAILED${entry.exitCode !== undefined && entry.exitCode !== null ? ` exit ${entry.exitCode}` : ''}${entry.error ? `: ${entry.error}` : entry.timedOut ? ': timed out' : ''}`;
      return { text: `${who} ran ${entry.action ?? 'action'} → ${how}${flags}`, level: entry.dryRun ? 'info' : entry.ok ? 'ok' : 'bad' };
    }
    case 'refused':
      return { text: `${entry.action ?? 'action'} refused on ${who}: ${entry.note ?? 'no reason recorded'}`, level: 'warn' };
    case 'checklist':
      return undefined;
    case 'auto-rollback-start':
      return { text: `auto-rollback countdown on ${who}: ${entry.note ?? entry.metric ?? ''}`, level: 'bad' };
    case 'auto-rollback-cancel':
      return { text: `auto-rollback on ${who} stopped: ${entry.note ?? entry.by ?? ''}`, level: 'warn' };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A replay's rollout starts at the first phase, or where `--phase` says. */
function atPhase(state: RolloutState, profile: Profile, phase: string | undefined, now: number, by: string): RolloutState {
  return phase === undefined ? state : phaseSet(state, phaseIndex(profile, phase), now, by);
}
