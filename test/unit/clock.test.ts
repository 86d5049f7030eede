import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';

describe('the virtual clock', () => {
  it('fires timers in time order as time advances, and only those due', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    clock.setTimeout(() => fired.push('c'), 1_000);
    await clock.advance(500);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(500);
  });

  it('lets async code chained on sleeps run as it would in real time', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        seen.push(clock.now());
      }
    })();
    await clock.advance(10_000);
    expect(seen).toEqual([1_000, 2_000, 3_000]);
  });

  it('rejects a sleep when its signal aborts, and cancels the timer', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(5_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});
