// Automatic rollback, where a rule asks for it: a visible countdown of the rule's grace period
// that one key cancels, then the profile's rollback action through the runner. Only the console
// that holds the rollout's lock counts down; the others say so. A cancelled or fired countdown
// does not start again for the same breach: the metric has to recover and fire anew.

import type { Profile } from '../profile/types.js';
import type { Clock } from '../engine/clock.js';
import type { Snapshot } from '../engine/types.js';
import { auditContext, type AuditContext, type AuditEntry, type AuditLog } from './audit.js';
import { whoAmI, type Identity } from './identity.js';
import type { ActionOutcome, ActionRunner } from './runner.js';
import type { Notifier } from './notify.js';

/** How often a countdown that fell due while another action runs looks again. */
const BUSY_RETRY_MS = 1_000;

export interface Countdown {
  metric: string;
  /** The firing condition, e.g. `> 2%`. */
  text: string;
  startedAt: number;
  deadline: number;
  remainingMs: number;
}

export type AutoRollbackEvent =
  | { type: 'started'; countdown: Countdown }
  /** `by` is who pressed the key, or `recovered` / `rolled back` when it stopped by itself. */
  | { type: 'cancelled'; metric: string; by: string }
  | { type: 'fired'; outcome: ActionOutcome }
  | { type: 'notice'; message: string };

export interface AutoRollbackOptions {
  profile: Profile;
  runner: ActionRunner;
  audit: AuditLog;
  clock: Clock;
  identity?: Identity;
  /** Told when a countdown starts: people away from the console get the grace period too. */
  notifier?: Notifier;
}

interface Active {
  metric: string;
  text: string;
  startedAt: number;
  deadline: number;
  cancelTimer: () => void;
}

export class AutoRollback {
  private active: Active | undefined;
  /** Cancelled or fired: wait for the breach to clear before counting down again. */
  private spent = false;
  private noticed = false;
  private waitNoticed = false;
  private latest: Snapshot | undefined;
  private readonly listeners = new Set<(e: AutoRollbackEvent) => void>();
  private readonly identity: Identity;
  private readonly action: string | undefined;

  constructor(private readonly opts: AutoRollbackOptions) {
    this.identity = opts.identity ?? whoAmI();
    const actions = Object.values(opts.profile.actions);
    this.action = (actions.find((a) => a.id === 'rollback' && a.effect === 'rollback') ?? actions.find((a) => a.effect === 'rollback'))?.id;
  }

  get countdown(): Countdown | undefined {
    const a = this.active;
    if (!a) return undefined;
    return {
      metric: a.metric,
      text: a.text,
      startedAt: a.startedAt,
      deadline: a.deadline,
      remainingMs: Math.max(0, a.deadline - this.opts.clock.now()),
    };
  }

  subscribe(fn: (e: AutoRollbackEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called with every snapshot: starts, keeps or stops the countdown. */
  update(snapshot: Snapshot): void {
    this.latest = snapshot;
    const firing = snapshot.autoRollback;
    if (!firing || snapshot.rolledBack) {
      if (this.active) this.stop(snapshot.rolledBack ? 'rolled back' : 'recovered', snapshot);
      this.spent = false;
      this.noticed = false;
      return;
    }
    if (this.active || this.spent) return;
    const blocked = this.action ? this.opts.runner.disabledFor(this.opts.profile.actions[this.action]) : 'the profile has no rollback action';
    if (blocked) {
      if (!this.noticed) {
        this.noticed = true;
        this.emit({
          type: 'notice',
          message: `auto-rollback: ${firing.metric} ${firing.text} is firing, but ${blocked}; no countdown on this console`,
        });
      }
      return;
    }
    const now = this.opts.clock.now();
    this.active = {
      metric: firing.metric,
      text: firing.text,
      startedAt: now,
      deadline: now + firing.graceMs,
      cancelTimer: this.opts.clock.setTimeout(() => void this.fire(), firing.graceMs),
    };
    this.emit({ type: 'started', countdown: this.countdown! });
    this.opts.notifier?.onCountdown(snapshot, this.countdown!);
    this.audit(snapshot, {
      event: 'auto-rollback-start',
      metric: firing.metric,
      graceMs: firing.graceMs,
      note: `${firing.metric} ${firing.text}: rollback in ${Math.round(firing.graceMs / 1_000)}s unless cancelled`,
    });
  }

  /**
   * No countdown for the breach firing now: an automatic rollback for it was already started by a
   * process that died before it ended (its outcome unknown), and running it a second time is the
   * operator's call. A recovery and a new breach count down again as usual.
   */
  holdForLostRun(note: string): void {
    this.active?.cancelTimer();
    this.active = undefined;
    this.spent = true;
    this.emit({ type: 'notice', message: `auto-rollback: ${note}` });
  }

  /** The operator's key. Returns false when no countdown was running. */
  cancel(by: string): boolean {
    if (!this.active || !this.latest) return false;
    this.stop(by, this.latest);
    return true;
  }

  /** Stops the timer without auditing (the console is quitting). */
  dispose(): void {
    this.active?.cancelTimer();
    this.active = undefined;
  }

  private stop(by: string, snapshot: Snapshot): void {
    const a = this.active!;
    a.cancelTimer();
    this.active = undefined;
    this.waitNoticed = false;
    // An operator's cancel holds until the breach clears; a recovery clears it already.
    this.spent = by !== 'recovered' && by !== 'rolled back';
    this.emit({ type: 'cancelled', metric: a.metric, by });
    const note =
      by === 'recovered'
        ? `${a.metric} recovered during the grace period`
        : by === 'rolled back'
          ? 'the rollout was rolled back during the grace period'
          : `cancelled by ${by}; no new countdown until ${a.metric} recovers and fires again`;
    this.audit(snapshot, { event: 'auto-rollback-cancel', metric: a.metric, cancelled: true, by, note });
  }

  private async fire(): Promise<void> {
    const a = this.active;
    if (!a || !this.latest) return;
    const busy = this.opts.runner.busy;
    if (busy) {
      if (!this.waitNoticed) {
        this.waitNoticed = true;
        this.emit({ type: 'notice', message: `auto-rollback: waiting for "${busy}" to finish` });
      }
      a.cancelTimer = this.opts.clock.setTimeout(() => void this.fire(), BUSY_RETRY_MS);
      return;
    }
    this.active = undefined;
    this.waitNoticed = false;
    this.spent = true;
    const outcome = await this.opts.runner.run({ action: this.action!, snapshot: this.latest, auto: true });
    this.emit({ type: 'fired', outcome });
  }

  private audit(snapshot: Snapshot, entry: Omit<AuditEntry, keyof AuditContext>): void {
    const full: AuditEntry = { ...auditContext(snapshot, this.identity, this.opts.clock.now()), ...entry };
    this.opts.audit.append(full).catch((error: unknown) => {
      this.emit({ type: 'notice', message: `auto-rollback: ${error instanceof Error ? error.message : String(error)}` });
    });
  }

  private emit(event: AutoRollbackEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch {
        // A listener's bug must not stop the countdown.
      }
    }
  }
}
