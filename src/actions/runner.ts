// Runs the profile's actions: one at a time, argv without a shell unless the profile asks for
// one, placeholders from profile and phase values only, output streamed and kept, a hard timeout
// that takes the whole process group down, and every outcome audited before anyone hears of it.

import type { Action, Profile } from '../profile/types.js';
import { redact } from '../profile/redact.js';
import type { Clock } from '../engine/clock.js';
import type { Snapshot } from '../engine/types.js';
import { isRetreat, promoted, rolledBack, trafficChange, trafficSet, type RolloutStore } from '../engine/state.js';
import { render, templateValues } from '../profile/template.js';
import { auditContext, type AuditEntry, type AuditLog } from './audit.js';
import { formatDuration } from '../profile/duration.js';
import { operatorName, whoAmI, type Identity } from './identity.js';
import type { Notifier } from './notify.js';
import type { ActionOutcome } from './outcome.js';
import { runProcess } from '../util/process.js';

/** How many of an action's last lines go into its outcome and the audit log. */
export const TAIL_LINES = 20;
/** Between SIGTERM and SIGKILL on a timeout. */
const KILL_GRACE_MS = 5_000;
/** A command that has exited gets this long to let go of its output pipes (a background child may hold them). */
const PIPE_GRACE_MS = 1_000;

const READ_ONLY_REFUSAL = 'read-only: actions are disabled (--read-only)';

export interface ActionRequest {
  action: string;
  snapshot: Snapshot;
  /** Promote at a decision other than PROMOTE, after a second confirmation. */
  forced?: boolean;
  /** Started by the auto-rollback countdown, not by a key. */
  auto?: boolean;
}

export type { ActionOutcome };

export type RunnerEvent =
  | { type: 'start'; action: string; argv: string[] }
  | { type: 'output'; action: string; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'end'; outcome: ActionOutcome }
  | { type: 'refused'; action: string; reason: string };

export interface RunnerOptions {
  profile: Profile;
  store: RolloutStore;
  audit: AuditLog;
  clock: Clock;
  readOnly?: boolean;
  dryRun?: boolean;
  notifier?: Notifier;
  identity?: Identity;
}

interface Execution {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  tail: string[];
  startError?: string;
}

export class ActionRunner {
  private running: string | undefined;
  private readonly listeners = new Set<(e: RunnerEvent) => void>();
  private readonly identity: Identity;

  constructor(private readonly opts: RunnerOptions) {
    this.identity = opts.identity ?? whoAmI();
  }

  /** The action running now (a `then` chain keeps the runner busy until its end). */
  get busy(): string | undefined {
    return this.running;
  }

  /**
   * Why this action cannot run from this console. A shared store that is down refuses every change
   * but a retreat: a rollback must never wait for the state database.
   */
  disabledFor(action: Action | undefined): string | undefined {
    if (this.opts.readOnly) return READ_ONLY_REFUSAL;
    const unset = action && this.opts.profile.unresolved?.[`actions.${action.id}`];
    if (unset) return `${action.id} needs ${unset.join(', ')}, not set when the profile was loaded`;
    const { store } = this.opts;
    if (store.readOnly && !(store.unavailable !== undefined && action && isRetreat(action))) {
      return `read-only: ${store.notice ?? 'another console holds the rollout lock'}`;
    }
    return undefined;
  }

  subscribe(fn: (e: RunnerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Runs an action and its `then` chain (stopping at the first failure). Never throws: a refusal,
   * a failure to start, a timeout are all outcomes. Resolves with the outcome of the last action
   * that ran: the first failure, or the end of the chain.
   */
  async run(req: ActionRequest): Promise<ActionOutcome> {
    const first = this.refusal(req.action, req, false);
    if (first) return this.refuse(req.action, req, first);
    this.running = req.action;
    try {
      const ran = new Set<string>();
      let name: string | undefined = req.action;
      let outcome: ActionOutcome | undefined;
      while (name !== undefined) {
        if (ran.has(name)) return this.refuse(name, req, `"${name}" already ran in this chain; a \`then\` loop stops here`);
        const refusal = outcome ? this.refusal(name, req, true) : undefined;
        if (refusal) return this.refuse(name, req, refusal);
        ran.add(name);
        this.running = name;
        const action: Action = this.opts.profile.actions[name]!;
        outcome = await this.runOne(action, req);
        if (!outcome.ok) break;
        name = action.then;
      }
      return outcome!;
    } finally {
      this.running = undefined;
    }
  }

  private refusal(name: string, req: ActionRequest, chained: boolean): string | undefined {
    if (!chained && this.running) return `busy: "${this.running}" is running; one action at a time`;
    const action = this.opts.profile.actions[name];
    if (!action) return `no action "${name}" in profile ${this.opts.profile.name}`;
    const disabled = this.disabledFor(action);
    if (disabled) return disabled;
    if (action.effect === 'promote' && req.snapshot.decision !== 'PROMOTE' && !req.forced) {
      const why = req.snapshot.reasons[0] ? ` (${req.snapshot.reasons[0]})` : '';
      return `${name} needs the decision PROMOTE; it is ${req.snapshot.decision}${why}; force it with a second confirmation`;
    }
    return undefined;
  }

  private async refuse(name: string, req: ActionRequest, reason: string): Promise<ActionOutcome> {
    const outcome: ActionOutcome = {
      action: name,
      argv: [],
      exitCode: null,
      signal: null,
      durationMs: 0,
      ok: false,
      refused: true,
      ...flags(req),
      outputTail: [],
      message: reason,
    };
    const recorded = await this.record(outcome, req, { event: 'refused' });
    this.emit({ type: 'refused', action: name, reason: recorded.message });
    return recorded;
  }

  private async runOne(action: Action, req: ActionRequest): Promise<ActionOutcome> {
    const { profile, store } = this.opts;
    const values = templateValues(profile, store.read().phase, this.identity.user);
    const rendered = render(action.run, values);
    const argv = action.shell ? ['/bin/sh', '-c', rendered.join(' ')] : rendered;
    const shown = argv.map((arg) => this.redact(arg));
    // On disk before the command exists: a crash while it runs leaves a start without an end,
    // which the next console reports as an outcome nobody saw (unfinished.ts).
    const runId = this.opts.dryRun ? undefined : crypto.randomUUID();
    const unstarted = runId ? await this.recordStart(action, req, shown, runId) : undefined;
    this.emit({ type: 'start', action: action.id, argv: shown });

    if (this.opts.dryRun) {
      const outcome: ActionOutcome = {
        action: action.id,
        argv: shown,
        exitCode: null,
        signal: null,
        durationMs: 0,
        ok: true,
        dryRun: true,
        ...flags(req),
        outputTail: [],
        message: `dry run: ${action.id} would run: ${shown.join(' ')}`,
      };
      return this.finish(outcome, req);
    }

    const run = await this.execute(action, argv);
    const ok = run.exitCode === 0 && !run.timedOut && run.startError === undefined;
    const outcome: ActionOutcome = {
      action: action.id,
      argv: shown,
      exitCode: run.exitCode,
      signal: run.signal,
      durationMs: run.durationMs,
      ok,
      ...(run.timedOut ? { timedOut: true } : {}),
      ...flags(req),
      ...(run.startError ? { error: this.redact(run.startError) } : {}),
      outputTail: run.tail,
      message: '',
    };
    const unaudited = unstarted ? `; AUDIT LOG NOT WRITTEN at the start: ${unstarted}` : '';
    if (!ok) {
      outcome.message = `${action.id} FAILED: ${failure(run, action)}; rollout state unchanged${unaudited}`;
      return this.finish(outcome, req, runId);
    }
    const effect = await this.applyEffect(action, req);
    outcome.message = `${action.id} → exit 0 (${formatDuration(run.durationMs)})${effect ? `; ${effect}` : ''}${unaudited}`;
    const set = action.effect === 'traffic' ? store.read().traffic : undefined;
    if (set && set.action === action.id) outcome.traffic = { share: set.share, from: set.from };
    return this.finish(outcome, req, runId);
  }

  /** The `action-start` entry, synced; the reason when it could not be written (the action still runs). */
  private async recordStart(action: Action, req: ActionRequest, argv: string[], run: string): Promise<string | undefined> {
    try {
      await this.opts.audit.append({
        ...auditContext(req.snapshot, this.identity, this.opts.clock.now()),
        event: 'action-start',
        action: action.id,
        argv,
        run,
        pid: process.pid,
        forced: req.forced === true,
        auto: req.auto === true,
      });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Moves the rollout after a successful promote or rollback; says what happened, or why not. */
  private async applyEffect(action: Action, req: ActionRequest): Promise<string | undefined> {
    const { profile, store, clock } = this.opts;
    if (action.effect === 'none') return undefined;
    if (action.effect === 'traffic') return this.setTraffic(action, req);
    const by = `${operatorName(this.identity)}${req.auto ? ' (auto-rollback)' : ''}`;
    const at = clock.now();
    try {
      if (action.effect === 'promote') {
        const next = await store.update((s) => promoted(s, at, by, profile.phases.length));
        const phase = profile.phases[next.phase]!;
        return `rollout now in ${phase.name} (${phase.traffic}% traffic)${unsavedNote(store)}`;
      }
      await store.update((s) => rolledBack(s, at, by, profile.rollbackTo));
      const target = profile.rollbackTo.phase === null ? '' : ` ${profile.phases[profile.rollbackTo.phase]!.name}`;
      return `rollout rolled back to${target} ${profile.rollbackTo.traffic}% traffic${unsavedNote(store)}`;
    } catch (error) {
      return `BUT the rollout state was not saved: ${this.redact(error instanceof Error ? error.message : String(error))}`;
    }
  }

  /** Records the share a traffic action set; the phase stays where it is. */
  private async setTraffic(action: Action, req: ActionRequest): Promise<string> {
    const { profile, store, clock } = this.opts;
    const by = `${operatorName(this.identity)}${req.auto ? ' (auto-rollback)' : ''}`;
    try {
      const next = await store.update((s) => {
        const phase = profile.phases[s.phase] ?? profile.phases[0]!;
        const share = action.traffic === 'prev' ? (profile.phases[Math.max(0, s.phase - 1)] ?? phase).traffic : (action.traffic ?? phase.traffic);
        return trafficSet(s, share, phase.traffic, clock.now(), by, action.id);
      });
      const set = next.traffic!;
      return `traffic now ${set.share}% (${trafficChange(set)})${unsavedNote(store)}`;
    } catch (error) {
      return `BUT the rollout state was not saved: ${this.redact(error instanceof Error ? error.message : String(error))}`;
    }
  }

  private async finish(outcome: ActionOutcome, req: ActionRequest, run?: string): Promise<ActionOutcome> {
    const recorded = await this.record(outcome, req, { event: 'action', ...(run ? { run } : {}) });
    this.emit({ type: 'end', outcome: recorded });
    this.opts.notifier?.onAction(recorded);
    return recorded;
  }

  /** Audits an outcome; a log that cannot be written is said in the outcome's message. */
  private async record(
    unsafe: ActionOutcome,
    req: ActionRequest,
    extra: Pick<AuditEntry, 'event' | 'run'>,
  ): Promise<ActionOutcome> {
    // Messages quote commands and errors: the last place a secret could slip through.
    const outcome = { ...unsafe, message: this.redact(unsafe.message) };
    const entry: AuditEntry = {
      ...auditContext(req.snapshot, this.identity, this.opts.clock.now()),
      ...extra,
      note: outcome.message,
      action: outcome.action,
      argv: outcome.argv,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      durationMs: Math.round(outcome.durationMs),
      ok: outcome.ok,
      output: outcome.outputTail,
      forced: req.forced === true,
      auto: req.auto === true,
      dryRun: outcome.dryRun === true,
      ...(outcome.timedOut ? { timedOut: true } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.traffic ? { traffic: outcome.traffic.share, trafficFrom: outcome.traffic.from } : {}),
    };
    try {
      await this.opts.audit.append(entry);
      return outcome;
    } catch (error) {
      return { ...outcome, message: `${outcome.message}; AUDIT LOG NOT WRITTEN: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private async execute(action: Action, argv: string[]): Promise<Execution> {
    const tail: string[] = [];
    // Timeouts run on real time, not the injected clock: a command takes real seconds even while
    // the console replays a recording at 60x.
    const ran = await runProcess({
      argv,
      env: action.env,
      ...(action.cwd ? { cwd: action.cwd } : {}),
      timeoutMs: action.timeoutMs,
      killGraceMs: KILL_GRACE_MS,
      pipeGraceMs: PIPE_GRACE_MS,
      onLine: (stream, line) => {
        const text = this.redact(line);
        tail.push(text);
        if (tail.length > TAIL_LINES) tail.shift();
        this.emit({ type: 'output', action: action.id, stream, line: text });
      },
    });
    return {
      exitCode: ran.code,
      signal: ran.signal,
      timedOut: ran.timedOut,
      durationMs: ran.durationMs,
      tail,
      ...(ran.startError ? { startError: startReason(ran.startError, argv[0]!, action) } : {}),
    };
  }

  private redact(text: string): string {
    return redact(text, this.opts.profile.secrets);
  }

  private emit(event: RunnerEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch {
        // A listener's bug must not stop an action or its audit entry.
      }
    }
  }
}

function flags(req: ActionRequest): Pick<ActionOutcome, 'forced' | 'auto'> {
  return { ...(req.forced ? { forced: true } : {}), ...(req.auto ? { auto: true } : {}) };
}

function failure(run: Execution, action: Action): string {
  if (run.startError) return run.startError;
  if (run.timedOut) return `timed out after ${formatDuration(action.timeoutMs)}, process group killed${run.signal ? ` (${run.signal})` : ''}`;
  if (run.signal) return `killed by ${run.signal} after ${formatDuration(run.durationMs)}`;
  return `exit ${run.exitCode} after ${formatDuration(run.durationMs)}`;
}

function startReason(error: unknown, command: string, action: Action): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return action.cwd ? `could not start "${command}": not found (or no directory ${action.cwd})` : `could not start "${command}": command not found`;
  }
  if (code === 'EACCES') return `could not start "${command}": permission denied`;
  return `could not start "${command}": ${code ?? (error instanceof Error ? error.message : String(error))}`;
}

/** `; NOT YET SAVED: …` when the change is held in memory only (the disk refused it). */
function unsavedNote(store: RolloutStore): string {
  return store.unsaved === undefined ? '' : `; NOT YET SAVED: ${store.unsaved}`;
}
