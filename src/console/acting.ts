// The acting side of a console session: who may tell people, the notifier, the action runner and
// the auto-rollback countdown composed over one notifier, the observer that feeds them each
// judgement (unless an agent holding the lease acts instead), and what their events say in the
// event log. Its own file because it is the one place a console decides to act on its own; the
// session (session.ts) only wires it to the watch loop and the screen.

import type { AuditLog } from '../actions/audit.js';
import { AutoRollback, type AutoRollbackEvent } from '../actions/auto-rollback.js';
import type { Identity } from '../actions/identity.js';
import { Notifier, type NotifierEvent } from '../actions/notify.js';
import { ActionRunner } from '../actions/runner.js';
import type { Clock } from '../engine/clock.js';
import type { RolloutStore } from '../engine/state.js';
import type { SnapshotObserver } from '../engine/watch-loop.js';
import type { Profile } from '../profile/types.js';
import { agentGate, type AgentSide } from './agent-gate.js';
import { RelayedStore } from './relayed-store.js';
import type { LogLine } from './event-log.js';

export interface Acting {
  notifier: Notifier;
  runner: ActionRunner;
  autoRollback: AutoRollback;
}

export interface ActingParts {
  profile: Profile;
  rollout: RolloutStore;
  audit: AuditLog;
  clock: Clock;
  identity: Identity;
  /** --read-only, a replay, or no keyboard. */
  actionsOff: boolean;
  dryRun: boolean;
}

export function openActing(parts: ActingParts): Acting {
  const { profile, rollout, audit, clock, identity } = parts;
  // Only a console that may act tells people (a read-only or dry-run one would repeat the
  // acting console's messages, or announce what it will never do); a store that is down still
  // lets this console retreat, so it still warns.
  const sends = () => !parts.actionsOff && !parts.dryRun && (!rollout.readOnly || rollout.unavailable !== undefined);
  const notifier = new Notifier({ targets: profile.notify, profile, clock, sends });
  const runner = new ActionRunner({
    profile,
    store: rollout,
    audit,
    clock,
    readOnly: parts.actionsOff,
    dryRun: parts.dryRun,
    notifier,
    identity,
  });
  // Beside a leading agent the agent notifies: it hears each action's outcome from here.
  if (rollout instanceof RelayedStore) runner.subscribe((e) => e.type === 'end' && rollout.tell(e.outcome));
  const autoRollback = new AutoRollback({ profile, runner, audit, clock, identity, notifier });
  return { notifier, runner, autoRollback };
}

/** Each judgement to the notifier and the countdown; an agent holding the rollout's lease notifies and rolls back instead. */
export function actingObserver(acting: Pick<Acting, 'notifier' | 'autoRollback'>, agent: AgentSide | undefined, note: (text: string) => void): SnapshotObserver {
  return agentGate(agent, acting.autoRollback, note, {
    onSnapshot: (prev, next) => {
      acting.notifier.onSnapshot(prev, next);
      if (prev) acting.autoRollback.update(next);
    },
  });
}

/** What the countdown's news says in the event log; a rollback that fires is told by the runner. */
export function describeAutoRollback(e: AutoRollbackEvent): LogLine | undefined {
  switch (e.type) {
    case 'started':
      return { text: `auto-rollback in ${Math.round((e.countdown.deadline - e.countdown.startedAt) / 1_000)}s: ${e.countdown.metric} ${e.countdown.text} (c cancels)`, level: 'bad' };
    case 'cancelled':
      return { text: `auto-rollback for ${e.metric} stopped: ${e.by}`, level: 'warn' };
    case 'fired':
      return undefined;
    case 'notice':
      return { text: e.message, level: 'warn' };
  }
}

/** Only a notification that failed is news for the event log. */
export function describeNotifier(e: NotifierEvent): LogLine | undefined {
  if (e.type !== 'failed') return undefined;
  return { text: `notification ${e.event} to ${e.target} failed: ${e.reason ?? 'no reason given'}`, level: 'warn' };
}
