// After a rollback: the rollout is rolled back until someone moves it, the `start` baseline is
// still the phase's own start (not the incident's peak), and a phase promoted past by force after
// a rollback is never shown as done.

import { describe, expect, it } from 'vitest';
import { abandonedPhases, promoted, rolledBack, initialState } from '../../src/engine/state.js';
import { evaluate } from '../../src/engine/evaluate.js';
import type { SeriesSnapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import { buildModel, frameText } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi } from '../../src/view/ui.js';
import { consoleState, NOW, rollout, snapshot } from '../fixtures/console/state.js';
import { SampleView } from '../../src/engine/sample-view.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

const { profile } = parseProfile(
  JSON.stringify({
    name: 'memory',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { memory: { source: 'prom', query: 'mem', unit: 'bytes', interval: '1m', baseline: 'start' } },
    rules: [{ metric: 'memory', warn: '> +20% start' }],
    phases: [
      { name: 'canary', traffic: 10, duration: '1h' },
      { name: 'full', traffic: 100 },
    ],
    actions: { rollback: { run: ['true'] } },
  }),
  'memory.yaml',
  { env: {} },
);

/** Memory at 100 MB for the first 30 minutes, then an incident at 400 MB. */
function memory(until: number): SeriesSnapshot {
  const canary = [];
  for (let t = T0; t <= until; t += M) canary.push({ t, v: t < T0 + 30 * M ? 100e6 : 400e6 });
  return { memory: { groups: [{ key: '', canary: SampleView.of(canary), baseline: SampleView.EMPTY }], consecutiveErrors: 0, consecutiveNoData: 0, lastPollAt: until, lastGoodAt: until } };
}

describe('a rollback', () => {
  it('keeps the phase start, so the start baseline stays the value before the incident', () => {
    const before = initialState('memory', T0);
    const after = rolledBack(before, T0 + 40 * M, 'alice@bastion (auto-rollback)', { phase: null, traffic: 0 });
    expect(after.phaseStartedAt).toBe(T0);
    const snap = evaluate(profile, after, memory(T0 + 45 * M), T0 + 45 * M);
    expect(snap.metrics[0]).toMatchObject({ baseline: 100e6, value: 400e6 });
    expect(snap.rolledBack).toEqual({ at: T0 + 40 * M, traffic: 0, phase: null, by: 'alice@bastion (auto-rollback)' });
  });

  it('leaves the rolled-back phase undone after a forced promote out of it', () => {
    let state = initialState('memory', T0);
    state = rolledBack(state, T0 + 40 * M, 'alice@bastion', { phase: null, traffic: 0 });
    state = promoted(state, T0 + 50 * M, 'bob@bastion', 2);
    expect([...abandonedPhases(state.history)]).toEqual([0]);
    // Promoted out of the same phase later, with no rollback before it: done after all.
    const again = promoted({ ...state, phase: 0 }, T0 + 90 * M, 'bob@bastion', 2);
    expect([...abandonedPhases(again.history)]).toEqual([]);
  });

  it('shows the phase it was promoted past as rolled back on the timeline, never ✓ done', () => {
    const history = [
      { at: NOW - 3 * 3_600_000, from: 0, to: null, by: 'alice@bastion (auto-rollback)', reason: 'rollback' },
      { at: NOW - 2 * 3_600_000, from: 0, to: 1, by: 'bob@bastion', reason: 'promote' },
    ];
    const state = consoleState({
      rollout: rollout({ phase: 1, phaseStartedAt: NOW - 2 * 3_600_000, history }),
      snapshot: snapshot({ phase: { ...snapshot().phase, index: 1, name: 'ramp-50', traffic: 50 } }),
    });
    const lines = frameText(buildModel({ state, live: state, ui: initialUi, size: { columns: 120, rows: 40 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} }));
    const canary = lines.find((l) => /\b1 canary\b/.test(l))!;
    expect(canary).toMatch(/^ ↺ 1 canary/);
    expect(canary).toMatch(/rolled back, promoted past$/);
    expect(canary).not.toMatch(/✓|done/);
  });
});
