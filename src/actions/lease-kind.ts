// What the agent and the console need of a rollout's lease, whichever kind it is: a lock file in the
// state directory (lease.ts) or a row in the shared PostgreSQL database (lease-postgres.ts), picked
// by lease-open.ts from the profile's `state:`. Both carry the same rules (see lease.ts): one holder,
// taken only when free or stale, and a holder that could not beat within the stale time steps down.

import type { LeaseEvent, LeaseHolder } from './lease.js';

/** The lease as the agent holds it. */
export interface RolloutLease {
  /** True only while this process holds the lease and its own heartbeat is fresh: ask before every act. */
  readonly held: boolean;
  on(listener: (e: LeaseEvent) => void): () => void;
  /** Takes the lease if it is free or stale, else renews it if held; looks again every heartbeat. */
  start(): void;
  /** Gives the lease back but keeps looking: a later look may take it again. */
  release(): void;
  /** Stops looking and gives the lease back if it is still this process's. */
  stop(): Promise<void> | void;
}

/** Whether another process holds the lease as an agent: asked on every judgement, so never waits. */
export interface LeaseLookout {
  /** The live agent holding the lease, or undefined when none does (as last seen, at most a few seconds old). */
  holder(): LeaseHolder | undefined;
  /** The holder, and `news` (who it is) the first time one is seen after none was. */
  look(): { holder?: LeaseHolder; news?: string };
}

/** A lookout a console opens on its own, closed with the console. */
export interface OwnLeaseLookout extends LeaseLookout {
  close(): Promise<void>;
}
