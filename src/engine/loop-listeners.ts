// Who hears a loop: observers of each judgement (notifier, auto-rollback, exporter), listeners to
// its events and to its views. The headless WatchLoop and the console's RemoteLoop (a view of an
// agent's loop) are heard the same way, so both extend this one set of subscriptions.

import type { Snapshot } from './types.js';

export interface SnapshotObserver {
  onSnapshot(prev: Snapshot | undefined, next: Snapshot): void;
  /** When this observer next wants a judgement though nothing changed (a periodic summary): a loop that sleeps until due wakes then. */
  nextDueAt?(): number | undefined;
}

export class LoopListeners<Event, View> {
  protected readonly observers = new Set<SnapshotObserver>();
  protected readonly eventListeners = new Set<(e: Event) => void>();
  protected readonly viewListeners = new Set<(v: View) => void>();

  observe(o: SnapshotObserver): () => void {
    this.observers.add(o);
    return () => this.observers.delete(o);
  }

  onEvent(listener: (e: Event) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onView(listener: (v: View) => void): () => void {
    this.viewListeners.add(listener);
    return () => this.viewListeners.delete(listener);
  }
}
