// The rollout state an agent's loop reads: the read-only follower while it stands by, the store it
// writes while it leads. Swapped at the lease's changes without the loop noticing more than a new state.

import type { RolloutState, RolloutStore } from '../engine/state.js';

/** The rollout state the loop reads: the read-only follower, or the leader's own store. */
export class StoreFollower implements Pick<RolloutStore, 'read' | 'subscribe'> {
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private off: () => void;

  constructor(private store: RolloutStore) {
    this.off = store.subscribe((s) => this.emit(s));
  }

  read(): RolloutState {
    return this.store.read();
  }

  subscribe(listener: (state: RolloutState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows `next` from now on and closes the store followed before (unless it is the leader's). */
  swap(next: RolloutStore): void {
    const before = this.store;
    this.off();
    this.store = next;
    this.off = next.subscribe((s) => this.emit(s));
    if (before.readOnly) void before.close();
    this.emit(next.read());
  }

  async close(): Promise<void> {
    this.off();
    if (this.store.readOnly) await this.store.close();
  }

  private emit(state: RolloutState): void {
    for (const l of this.listeners) l(state);
  }
}
