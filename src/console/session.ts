// A live console session: the watch loop (series, poller, judging) — or, attached to the agent that
// leads the rollout, the RemoteLoop showing the agent's (remote-loop.ts) — the rollout state, the action
// runner, the audit log, notifications and the auto-rollback countdown, composed once. It turns the
// loop's judgements and events, the runner's output and other consoles' news into a bounded event
// log, and publishes one immutable ConsoleState per change (getSnapshot, subscribe). The screen
// never reaches past it: it reads state and sends intents.

import type { Profile } from '../profile/types.js';
import type { Clock } from '../engine/clock.js';
import { activeChecklist, rollbackChecklistTicked } from '../engine/checklist.js';
import type { Recorder } from '../engine/record.js';
import type { RolloutStore } from '../engine/state.js';
import { WatchLoop, type EngineEvent, type LoopView } from '../engine/watch-loop.js';
import { closeSources } from '../sources/registry.js';
import type { Source } from '../sources/source.js';
import { auditContext, type AuditEntry, type AuditLog } from '../actions/audit.js';
import type { SharedAudit, SharedAuditEvent } from '../actions/shared-audit.js';
import type { AutoRollback, AutoRollbackEvent } from '../actions/auto-rollback.js';
import { operatorName, type Identity } from '../actions/identity.js';
import type { Notifier, NotifierEvent } from '../actions/notify.js';
import type { ActionOutcome, ActionRunner, RunnerEvent } from '../actions/runner.js';
import { actingObserver, describeAutoRollback, describeNotifier, openActing } from './acting.js';
import type { AgentSide } from './agent-gate.js';
import { describeAudit, describeShared, quitNote, ROLLBACK_CHECKLIST_NOTE } from './audit-lines.js';
import type { ActionOutput, ConsoleState, EventLevel } from './console-state.js';
import type { SessionPort } from './controller.js';
import { EventLog } from './event-log.js';
import { othersChanges, tickKey, type Me } from './others.js';
import { modeForStore } from './store-health.js';
import { RemoteLoop, type ConsoleLoop } from './remote-loop.js';
import type { AgentLink } from './agent-link.js';

/** Output lines kept for the output pane. */
const MAX_OUTPUT_LINES = 200;
/** Audit entries replayed into the event log at open. */
const AUDIT_EVENTS_AT_OPEN = 30;
/** How long closing waits for notifications still in flight. */
const NOTIFY_FLUSH_MS = 2_000;

/** What a session is made of; openSession (open-session.ts) opens them. */
export interface SessionParts {
  profile: Profile;
  /** A running agent's lease on this rollout and its history (none in a replay). */
  agent?: AgentSide;
  /** The agent serving this rollout: its judgement is shown, no source polled here; `reattach` looks for it again once it is gone. */
  attach?: AgentLink | undefined;
  reattach?: (() => Promise<AgentLink | undefined>) | undefined;
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
  private readonly loop: ConsoleLoop;
  private readonly runner: ActionRunner;
  private readonly notifier: Notifier;
  private readonly autoRollback: AutoRollback;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private state: ConsoleState;
  private readonly eventLog = new EventLog();
  private output: ActionOutput | undefined;
  /** --read-only, a replay, no keyboard: the store's own read-only turns change nothing then. */
  private readonly actionsOff: boolean;
  private readonly agent: AgentSide | undefined;
  /** Who this console is, so its own changes are not reported as another console's. */
  private readonly me: Me;
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
    this.agent = parts.agent;
    const operator = operatorName(this.identity);
    this.me = { mine: (by) => by === operator || by.startsWith(`${operator} (`), ownUnticks: new Set() };
    const local = (): WatchLoop => {
      const loop = new WatchLoop({
        profile: this.profile,
        sources: this.sources,
        rollout: this.rollout,
        clock: this.clock,
        ...(this.recorder ? { sink: this.recorder } : {}),
        backfillMs: parts.backfillMs,
        pace: parts.pace,
        openedAt: parts.openedAt,
      });
      parts.agent?.seed(loop.series);
      return loop;
    };
    this.loop = parts.attach ? new RemoteLoop(parts.attach, local, this.clock, parts.profile, parts.reattach) : local();
    const acting = openActing({ ...parts, dryRun: parts.mode.dryRun });
    this.notifier = acting.notifier;
    this.runner = acting.runner;
    this.autoRollback = acting.autoRollback;
    // Heard at once, before start(): a share that fails is news even on a console not yet started.
    if (this.shared) this.unsubscribers.push(this.shared.on((e) => this.onShared(e)));

    this.unsubscribers.push(
      this.loop.onEvent((e) => this.onEngine(e)),
      this.loop.onView((v) => this.onView(v)),
    );
    this.state = { profile: this.profile, ...this.loop.view, events: this.eventLog.events, mode: parts.mode };
    // The first judgement says the phase moves made at open (`--phase`) before anything else.
    this.loop.settle();
  }

  // ── the store the screen reads ────────────────────────────────────────────────────────────

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
      // An agent holding the rollout's lease notifies and rolls back; this console only watches then.
      this.loop.observe(actingObserver({ notifier: this.notifier, autoRollback: this.autoRollback }, this.agent, (text) => this.note(text, 'info'))),
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

  /** Ticks or unticks an item of the checklist in force (the phase's, or the rollback one), in state and audit. */
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
    if (!checked) this.me.ownUnticks.add(tickKey(where, item));
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

  pollNow(): void {
    this.loop.pollNow();
  }

  cancelAutoRollback(): void {
    this.autoRollback.cancel(operatorName(this.identity));
    this.loop.settle();
  }

  /** The answer to "quit during the automatic rollback countdown?", audited either way. */
  answerQuit(quit: boolean): void {
    this.auditQuit(quit ? 'quit' : 'asked to quit', quit);
  }

  /** Stopping on a signal (SIGTERM; SIGHUP when SSH drops), nobody to ask: a countdown here is audited as left. */
  stoppedBy(why: string): void {
    if (this.autoRollback.countdown) this.auditQuit(`stopped by ${why}`, true);
  }

  private auditQuit(what: string, quit: boolean): void {
    const c = this.autoRollback.countdown;
    const note = quitNote(what, quit, c);
    this.note(note, quit ? 'bad' : 'info');
    const entry: AuditEntry = { ...auditContext(this.state.snapshot, this.identity, this.clock.now()), event: 'quit', note, ...(c && { metric: c.metric }) };
    this.audit.append(entry).catch((error: unknown) => this.note(`audit log not written: ${message(error)}`, 'bad'));
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
    await Promise.allSettled([this.audit.close(), this.rollout.close(), ...(this.shared ? [this.shared.close()] : []), this.agent?.close?.()]);
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
    for (const line of othersChanges(this.state.rollout, v.rollout, this.me)) this.log(line.text, line.level, line.at);
    this.followStoreHealth();
    this.followAttachment();
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
      events: this.eventLog.events,
      sourceAges: this.loop.series.sourceAges(now),
      ...(this.output ? { output: this.output } : {}),
      busy,
      countdown: countdown ? { metric: countdown.metric, text: countdown.text, deadline: countdown.deadline } : undefined,
    };
    for (const listener of this.listeners) listener();
  }

  // ── the event log ────────────────────────────────────────────────────────────────────────

  private log(text: string, level: EventLevel, at = this.clock.now()): void {
    this.eventLog.add(text, level, at);
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

  /** The header says which agent this console shows, until the agent goes away. */
  private followAttachment(): void {
    const host = this.loop.attachedHost;
    if (host === this.state.mode.attached?.host) return;
    const { attached: _, ...rest } = this.state.mode;
    this.state = { ...this.state, mode: host === undefined ? rest : { ...rest, attached: { host } } };
  }

  /**
   * A shared store turns read-only while its database is unreachable (or its row unusable) and
   * back again: the header, the refusals and the event log follow it.
   */
  private followStoreHealth(): void {
    if (this.actionsOff) return;
    const next = modeForStore(this.rollout, this.state.mode);
    if (!next) return;
    if (next.line) this.log(next.line.text, next.line.level);
    this.state = { ...this.state, mode: next.mode };
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
    const line = describeAutoRollback(e);
    if (line) this.log(line.text, line.level);
    this.publish();
  }

  private onNotifier(e: NotifierEvent): void {
    const line = describeNotifier(e);
    if (!line) return;
    this.log(line.text, line.level);
    this.publish();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
