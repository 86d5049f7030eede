// The poller's bookkeeping for queries in flight: a per-source bound on how many run at once, and
// the handle that cancels one (its signal, and a promise the poller races the source against).

import type { SourceError } from '../sources/source.js';

/** A counting semaphore; a cancelled query leaves the queue without taking a slot. */
export class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  acquire(flight: InFlight): Promise<() => void> {
    if (flight.cancelled) return Promise.reject(flight.cancelled);
    if (this.active < this.limit) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const grant = () => {
        flight.onCancel = undefined;
        resolve(this.take());
      };
      flight.onCancel = (reason) => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(reason);
      };
      this.waiting.push(grant);
    });
  }

  private take(): () => void {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

/**
 * One query in flight. Cancelling aborts the source's signal and settles `abandoned` directly, so
 * the poller stops waiting without listening on the signal (EventTarget listeners cost more than
 * the rest of a poll).
 */
export class InFlight {
  private readonly controller = new AbortController();
  private reject!: (reason: unknown) => void;
  private settle!: () => void;
  /** Why it was cancelled, once it has been. */
  cancelled: SourceError | undefined;
  /** Called on cancel, by whoever the query is waiting on (a source's slot queue). */
  onCancel: ((reason: SourceError) => void) | undefined;
  /** Rejects when the query is cancelled; never resolves. */
  readonly abandoned = new Promise<never>((_, reject) => (this.reject = reject));
  /** Resolves once the request has let go of its slot. */
  readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  constructor() {
    // Nobody may be racing it when it is cancelled (still waiting for a slot, say).
    this.abandoned.catch(() => undefined);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(reason: SourceError): void {
    if (this.cancelled) return;
    this.cancelled = reason;
    this.onCancel?.(reason);
    this.controller.abort(reason);
    this.reject(reason);
  }

  finish(): void {
    this.settle();
  }
}
