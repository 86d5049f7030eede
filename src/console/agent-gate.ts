// A console beside an agent: while a live agent holds the rollout's lease, the agent sends the
// notifications and runs the auto-rollbacks, so the console's own notifier and countdown are not
// fed (said once in its event log; a countdown it had started stops). The agent's stored samples
// seed the console's series at open. The lease is a file in the state directory, or a row in the
// shared database when the rollout's state is there (a console on another host sees it too).

import type { AutoRollback } from '../actions/auto-rollback.js';
import type { LeaseLookout } from '../actions/lease-kind.js';
import type { SeriesStore } from '../engine/series.js';
import type { SnapshotObserver } from '../engine/watch-loop.js';

export interface AgentSide {
  lease: LeaseLookout;
  /** Puts what the agent's history holds into the series store, before the first judgement. */
  seed(series: SeriesStore): void;
  /** Closes what looking took (a connection to the shared database). */
  close?(): Promise<void>;
}

export function agentGate(agent: AgentSide | undefined, autoRollback: AutoRollback, note: (text: string) => void, inner: SnapshotObserver): SnapshotObserver {
  if (!agent) return inner;
  return {
    onSnapshot(prev, next) {
      const seen = agent.lease.look();
      if (seen.news) {
        note(`${seen.news} holds the lease: it sends the notifications and runs auto-rollbacks, not this console`);
        if (autoRollback.countdown) autoRollback.cancel(`${seen.news}, which acts for this rollout`);
      }
      if (!seen.holder) inner.onSnapshot(prev, next);
    },
  };
}
