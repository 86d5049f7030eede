// The one owner of time. The poller, staleness, countdowns and replays read time only through a
// Clock, so tests, replays and soak runs can use a virtual one.

export interface Clock {
  now(): number;
  /** Calls fn after ms (virtual or real). Returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
  /** Resolves after ms, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function sleepWith(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // Timers never keep the process alive on their own; quitting must not wait for a poll.
    handle.unref?.();
    return () => clearTimeout(handle);
  },
  sleep(ms, signal) {
    // Someone is awaiting this one: unlike a poll timer, it must keep the process alive.
    return sleepWith(keepingAlive, ms, signal);
  },
};

const keepingAlive: Pick<Clock, 'setTimeout'> = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. `advance` runs due timers in time order and lets promise
 * callbacks settle between them, so async code driven by timers behaves as it would in real time.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.nextDue(end);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = end;
    await flushMicrotasks();
  }

  private nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at > end) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Time that runs `speed` times faster than a base clock, starting at a given epoch: a recording
 * replays on it from its first timestamp (`--speed 60` plays an hour in a minute).
 */
export class ScaledClock implements Clock {
  private readonly baseStart: number;

  constructor(
    private readonly start: number,
    readonly speed: number,
    private readonly base: Clock = realClock,
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
    this.baseStart = base.now();
  }

  now(): number {
    return this.start + (this.base.now() - this.baseStart) * this.speed;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    return this.base.setTimeout(fn, Math.max(0, ms) / this.speed);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}
