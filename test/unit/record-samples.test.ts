// A recording keeps the count behind each value, and a replay gives it back: a replayed rollout
// judges minSamples and significance on the same counts the live one did. The replay answers the
// value itself; no count query is asked of it.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { Poller } from '../../src/engine/poller.js';
import { readRecording, Recorder } from '../../src/engine/record.js';
import { SeriesStore } from '../../src/engine/series.js';
import type { Metric, Profile } from '../../src/profile/types.js';
import { createReplaySource } from '../../src/sources/replay.js';
import type { InstantRequest, Source } from '../../src/sources/source.js';
import { testMetric, testProfile } from '../support/metric.js';

const T0 = Date.UTC(2026, 0, 1);
const metric: Metric = testMetric({
  id: 'error_rate',
  source: 'live',
  query: 'errors_ratio',
  unit: 'ratio',
  intervalMs: 60_000,
  capacity: 50,
  samples: { query: 'requests_count', name: 'requests' },
});

function profile(type: 'prometheus' | 'replay'): Profile {
  return testProfile([metric], {
    sources: { live: type === 'replay' ? { type: 'replay', file: 'x' } : { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    defaults: { intervalMs: 60_000 },
  });
}

/** fakeSource: a test double standing in for the live Prometheus being recorded; answers 2% of 40·(minute+1) requests. */
function live(clock: VirtualClock): Source & { asked: string[] } {
  const asked: string[] = [];
  return {
    id: 'live',
    type: 'prometheus',
    asked,
    async instant(req: InstantRequest) {
      asked.push(String(req.query));
      const minute = Math.round((clock.now() - T0) / 60_000);
      const v = req.query === 'requests_count' ? 40 * (minute + 1) : 0.02;
      return { series: [{ labels: {}, points: [{ t: req.time, v }] }] };
    },
    async close() {},
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-record-samples-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sample counts in recordings', () => {
  it('are recorded with each value and replayed as they were, without asking the replay a count query', async () => {
    const file = join(dir, 'run.jsonl');
    const clock = new VirtualClock(T0);
    const store = new SeriesStore(profile('prometheus'));
    const source = live(clock);
    const recorder = await Recorder.open(file, { profile: 'test', startedAt: T0 });
    const poller = new Poller({ profile: profile('prometheus'), sources: new Map([['live', source]]), store, clock, recorder, jitter: 0 });
    poller.start();
    await clock.advance(3 * 60_000);
    await poller.stop();
    await recorder.close();
    expect(source.asked).toContain('requests_count');
    const recorded = store.snapshot().error_rate!.groups[0]!.canary.toPoints();
    expect(recorded.map((p) => p.n)).toEqual([40, 80, 120, 160]);

    expect((await readRecording(file)).problems).toEqual([]);
    const replayClock = new VirtualClock(T0);
    const replay = createReplaySource('live', file);
    await replay.recording();
    const replayed = new SeriesStore(profile('replay'));
    const again = new Poller({ profile: profile('replay'), sources: new Map([['live', replay]]), store: replayed, clock: replayClock, jitter: 0 });
    again.start();
    await replayClock.advance(3 * 60_000);
    await again.stop();
    expect(replayed.snapshot().error_rate!.groups[0]!.canary.toPoints()).toEqual(recorded);
  });
});
