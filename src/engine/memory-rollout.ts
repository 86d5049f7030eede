// Rollout state kept in memory, never written: a replay's (which must not move the real rollout)
// and a test's. The persistent stores are actions/state-store.ts and state-store-postgres.ts.

import type { RolloutState, RolloutStore } from './state.js';

export class MemoryRolloutStore implements RolloutStore {
  readonly readOnly = false;
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private state: RolloutState;

  constructor(state: RolloutState) {
    this.state = state;
  }

  read(): RolloutState {
    return this.state;
  }

  async update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState> {
    this.state = fn(this.state);
    for (const listener of this.listeners) listener(this.state);
    return this.state;
  }

  subscribe(listener: (state: RolloutState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {}
}
