import { describe, expect, it } from 'vitest';
import { agentSocketPath, encode, LineReader, MAX_LINE_BYTES, viewMessage } from '../../src/agent/socket.js';
import type { LoopView } from '../../src/engine/watch-loop.js';
import { consoleState } from '../fixtures/console/state.js';

const state = consoleState();
const view: LoopView = { now: state.now, snapshot: state.snapshot, series: state.series, seriesVersion: 3, rollout: state.rollout, sourceAges: { prom: 1_500 } };

describe('the agent socket protocol', () => {
  it('lives beside the rollout state, one socket per profile', () => {
    expect(agentSocketPath('/var/lib/rollcall', 'checkout')).toBe('/var/lib/rollcall/checkout.agent.sock');
  });

  it('sends the series only with a view that changed them', () => {
    expect(viewMessage(view, true).series).toBe(view.series);
    expect(viewMessage(view, false)).not.toHaveProperty('series');
    expect(viewMessage(view, false)).toEqual({ type: 'view', now: view.now, snapshot: view.snapshot, rollout: view.rollout, sourceAges: { prom: 1_500 } });
  });

  it('reads back what it encodes, whatever the chunks it arrives in', () => {
    const hello = { type: 'hello', host: 'ops-1', pid: 42, profile: 'checkout', startedAt: 1 } as const;
    const wire = encode(hello) + encode(viewMessage(view, true)) + encode({ type: 'poll' });
    const reader = new LineReader();
    const got = [wire.slice(0, 7), wire.slice(7, 300), wire.slice(300)].flatMap((chunk) => reader.push(chunk)!);
    expect(got).toEqual([hello, JSON.parse(JSON.stringify(viewMessage(view, true))), { type: 'poll' }]);
    expect(wire.split('\n')).toHaveLength(4);
  });

  it('gives up on a peer that does not speak it: a line that is not JSON, or one without end', () => {
    expect(new LineReader().push('{"type":"hello"}\nnot json\n')).toBeUndefined();
    expect(new LineReader().push('x'.repeat(MAX_LINE_BYTES + 1))).toBeUndefined();
  });
});
