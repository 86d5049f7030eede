// Which lease a rollout has: a row in the shared database when its state is shared in PostgreSQL
// (agents on different hosts must see one another), the lock file in the state directory
// otherwise. The PostgreSQL side is loaded only then, so the driver stays off every other path.

import type { Profile } from '../profile/types.js';
import { AgentLeaseLookout, Lease, leasePath, type LeaseOptions } from './lease.js';
import type { LeaseLookout, OwnLeaseLookout, RolloutLease } from './lease-kind.js';

export interface OpenedLease {
  lease: RolloutLease;
  /** Another agent holding it (a standby does not store history meanwhile). */
  others: LeaseLookout;
  /** Where it is, for the log: the file, or the table (no credentials). */
  where: string;
}

/** The agent's lease on a profile's rollout (not started). */
export async function openLease(profile: Profile, stateDir: string, opts: LeaseOptions): Promise<OpenedLease> {
  if (profile.state?.store === 'postgres') {
    const { PgLease } = await import('./lease-postgres.js');
    const lease = new PgLease(profile, profile.state, opts);
    await lease.peek();
    return { lease, others: lease.others, where: lease.where };
  }
  const file = leasePath(stateDir, profile.name);
  return { lease: new Lease(file, opts), others: new AgentLeaseLookout(file), where: file };
}

/** A console's view of whether an agent leads the rollout: read once before it returns, so the first judgement already knows. */
export async function openLeaseLookout(profile: Profile, stateDir: string): Promise<OwnLeaseLookout> {
  if (profile.state?.store === 'postgres') {
    const { PgLeaseLookout } = await import('./lease-postgres.js');
    const lookout = new PgLeaseLookout(profile, profile.state);
    await lookout.refresh();
    return lookout;
  }
  const lookout = new AgentLeaseLookout(leasePath(stateDir, profile.name));
  return { holder: () => lookout.holder(), look: () => lookout.look(), close: async () => undefined };
}
