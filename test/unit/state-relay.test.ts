import { describe, expect, it } from 'vitest';
import { describeChange, readUpdate, refusedChange, stateRevision } from '../../src/actions/state-relay.js';
import { toStateDocument } from '../../src/actions/state-document.js';
import { initialState, promoted, rolledBack, trafficSet, type RolloutState } from '../../src/engine/state.js';
import { parseProfile } from '../../src/profile/load.js';

const { profile } = parseProfile(
  JSON.stringify({
    name: 'checkout',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
    phases: [
      { name: 'canary', traffic: 10 },
      { name: 'full', traffic: 100 },
    ],
  }),
  'checkout.yaml',
);

const start = initialState('checkout', 1_000);

describe('the revision of a relayed state', () => {
  it('is the same for equal states whatever their key order, or a traffic absent rather than null', () => {
    const reordered: RolloutState = { history: [], paused: false, rolledBack: null, checklist: {}, phaseStartedAt: 1_000, phase: 0, profile: 'checkout', traffic: null };
    expect(stateRevision(reordered, profile)).toBe(stateRevision(start, profile));
    // What the other side reads back from JSON is the same state too.
    const roundTrip = JSON.parse(JSON.stringify(toStateDocument(start, profile))) as unknown;
    const back = readUpdate({ type: 'update', id: 'a', base: 'x', by: 'alice@b', deadline: 0, next: roundTrip }, profile);
    expect('state' in back && stateRevision(back.state, profile)).toBe(stateRevision(start, profile));
  });

  it('differs for any change: a phase, a tick, a traffic share', () => {
    const revisions = new Set([
      stateRevision(start, profile),
      stateRevision(promoted(start, 2_000, 'alice@b', 2), profile),
      stateRevision({ ...start, checklist: { canary: { 'logs clean': { by: 'alice@b', at: 2_000 } } } }, profile),
      stateRevision(trafficSet(start, 5, 10, 2_000, 'alice@b', 'reduce'), profile),
    ]);
    expect(revisions.size).toBe(4);
  });
});

describe('a relayed change', () => {
  it('may add to the phase history but never rewrite it', () => {
    const moved = promoted(start, 2_000, 'alice@b', 2);
    expect(refusedChange(start, moved)).toBeUndefined();
    expect(refusedChange(moved, rolledBack(moved, 3_000, 'bob@b', { phase: 0, traffic: 0 }))).toBeUndefined();
    expect(refusedChange(moved, start)).toBe('the state sent rewrites the phase history; a change may only add to it');
    expect(refusedChange(moved, { ...moved, history: [{ ...moved.history[0]!, by: 'mallory@x' }] })).toBe('the state sent rewrites the phase history; a change may only add to it');
  });

  it('is told in the agent log by what it did', () => {
    expect(describeChange(start, promoted(start, 2_000, 'alice@b', 2), profile)).toBe('promote canary → full');
    expect(describeChange(start, trafficSet(start, 5, 10, 2_000, 'alice@b', 'reduce'), profile)).toBe('traffic 5%');
    expect(describeChange(start, { ...start, checklist: { canary: { x: { by: 'a', at: 1 } } } }, profile)).toBe('checklist');
  });
});
