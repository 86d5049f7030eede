import { describe, expect, it } from 'vitest';
import { RecentSamples, StandbySink, lastStoredIn } from '../../src/agent/recent-samples.js';
import type { SampleSink } from '../../src/engine/sample-sink.js';

/** A sink that writes down every call, as the history would receive them. */
function recorder(): SampleSink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    samples: (metric, track, groups) => calls.push(`${metric}/${track} ${[...groups].map(([g, ps]) => `${g}:${ps.map((p) => p.t).join(',')}`).join(' ')}`),
    noData: (metric, track, at) => calls.push(`${metric}/${track} nodata@${at}`),
    error: (metric, track, reason, at) => calls.push(`${metric}/${track} error@${at} ${reason}`),
  };
}

describe('what a standby agent kept', () => {
  it('is written oldest first, only what is newer than the store holds for each series', () => {
    let now = 10_000;
    const recent = new RecentSamples(60_000, () => now);
    recent.samples('err', 'canary', new Map([['', [{ t: 1_000, v: 1 }]]]));
    recent.samples('err', 'canary', new Map([['', [{ t: 2_000, v: 2 }]], ['eu', [{ t: 2_000, v: 3 }]]]));
    recent.error('err', 'canary', 'timeout', 3_000);
    recent.noData('err', 'baseline', 3_000);
    now = 4_000;
    const sink = recorder();
    // The store holds err/canary up to 1 s (unsplit) and nothing of the eu group or the baseline.
    const last = (metric: string, track: string, group?: string) => (track === 'canary' && group !== 'eu' ? 1_000 : -Infinity);
    expect(recent.replay(sink, last)).toBe(2);
    expect(sink.calls).toEqual(['err/canary :2000 eu:2000', 'err/canary error@3000 timeout', 'err/baseline nodata@3000']);
    expect(recent.size).toBe(0);
  });

  it('forgets what is older than its window', () => {
    let now = 0;
    const recent = new RecentSamples(5_000, () => now);
    recent.samples('err', 'canary', new Map([['', [{ t: 0, v: 1 }]]]));
    now = 10_000;
    recent.samples('err', 'canary', new Map([['', [{ t: 10_000, v: 2 }]]]));
    expect(recent.size).toBe(1);
  });

  it('is written after storing begins, with what comes meanwhile, and then the history gets answers directly', async () => {
    let storing = false;
    const history = recorder();
    let answer: (last: (m: string, t: string, g?: string) => number) => void = () => {};
    const written: number[] = [];
    const sink = new StandbySink({
      storing: () => storing,
      history,
      windowMs: 60_000,
      now: () => 5_000,
      lastStored: () => new Promise((resolve) => (answer = resolve)),
      wrote: (n) => written.push(n),
    });
    sink.samples('err', 'canary', new Map([['', [{ t: 1_000, v: 1 }]]]));
    sink.samples('err', 'canary', new Map([['', [{ t: 2_000, v: 1 }]]]));
    storing = true;
    sink.samples('err', 'canary', new Map([['', [{ t: 3_000, v: 1 }]]]));
    expect(history.calls).toEqual([]);
    answer(() => 1_000);
    await new Promise((resolve) => setImmediate(resolve));
    sink.samples('err', 'canary', new Map([['', [{ t: 4_000, v: 1 }]]]));
    expect(history.calls).toEqual(['err/canary :2000', 'err/canary :3000', 'err/canary :4000']);
    expect(written).toEqual([2]);
  });

  it('writes nothing from before storing began when the store cannot be read', () => {
    const last = lastStoredIn({ problem: 'connection refused', read: () => ({ series: [], events: [] }) }, 7_000);
    expect(last('err', 'canary', '')).toBe(7_000);
  });
});
