// The roll call's controller on stand-in sessions (FakeSession records intents; the real sessions
// are driven in test/e2e/rollcall.test.ts): enter opens the selected rollout, its keys reach only
// its session, esc comes back, and quitting asks while another rollout counts down.

import { describe, expect, it } from 'vitest';
import { RollcallController } from '../../src/console/rollcall-controller.js';
import { frameText } from '../../src/view/model.js';
import { FakeSession, NOW, consoleProfile, consoleState, snapshot, status } from '../fixtures/console/state.js';

const size = { columns: 80, rows: 24 };

function rollcall() {
  const calm = new FakeSession(consoleState({ profile: consoleProfile({ name: 'calm', title: 'Calm rollout' }) }));
  const hot = new FakeSession(
    consoleState({
      profile: consoleProfile({ name: 'hot', title: 'Hot rollout' }),
      snapshot: snapshot({ decision: 'ROLLBACK', reasons: ['error_rate 5% > 2%'], metrics: [status('error_rate', { state: 'breach', value: 0.05 })] }),
    }),
  );
  let quit = 0;
  const controller = new RollcallController(
    [
      { file: 'calm.yaml', session: calm },
      { file: 'hot.yaml', session: hot },
    ],
    { size, color: false, onQuit: () => quit++, now: () => NOW },
  );
  const text = () => frameText(controller.getSnapshot());
  return { calm, hot, controller, text, quits: () => quit };
}

describe('the roll call controller', () => {
  it('selects the rollout that most needs attention first and opens it on enter', () => {
    const { controller, text } = rollcall();
    expect(text()[2]).toMatch(/^▸ \[ROLLBACK\]\s+Hot rollout/);
    controller.press('\r');
    expect(controller.opened).toBe('hot.yaml');
    expect(text()[0]).toMatch(/^rollcall Hot rollout/);
    expect(text()[22]).toContain('esc overview');
  });

  it("sends a rollout console's keys to that rollout's session only", () => {
    const { controller, calm, hot } = rollcall();
    controller.press('j');
    controller.press('\r');
    expect(controller.opened).toBe('calm.yaml');
    controller.press('R');
    controller.press('x');
    expect(calm.calls).toEqual(['poll', 'run restart']);
    expect(hot.calls).toEqual([]);
  });

  it('comes back to the overview on esc once nothing is left to close in the console', () => {
    const { controller, text } = rollcall();
    controller.press('\r');
    controller.press('?');
    controller.press('\x1b');
    expect(controller.opened).toBe('hot.yaml');
    controller.press('\x1b');
    expect(controller.opened).toBeUndefined();
    expect(text()[0]).toMatch(/^rollcall roll call · 2 rollouts/);
  });

  it('polls every rollout on R in the overview', () => {
    const { controller, calm, hot } = rollcall();
    controller.press('R');
    expect([calm.calls, hot.calls]).toEqual([['poll'], ['poll']]);
  });

  it('asks before quitting while another rollout counts down to an automatic rollback, and records the answer', () => {
    const { controller, calm, hot, text, quits } = rollcall();
    hot.publish({ countdown: { metric: 'error_rate', text: 'error_rate 5% > 2%', deadline: NOW + 30_000 } });
    controller.press('j');
    controller.press('\r');
    expect(controller.opened).toBe('calm.yaml');
    controller.press('q');
    expect(quits()).toBe(0);
    expect(controller.opened).toBeUndefined();
    expect(text()[22]).toMatch(/^Quit\? Hot rollout: its automatic rollback stops with this console\s+\[y\/N\]$/);
    controller.press('n');
    expect(quits()).toBe(0);
    expect(hot.calls).toEqual(['quit during countdown: stayed']);
    controller.press('q');
    controller.press('y');
    expect(quits()).toBe(1);
    expect(hot.calls).toEqual(['quit during countdown: stayed', 'quit during countdown: quit']);
    expect(calm.calls).toEqual([]);
  });

  it('quits at once when nothing counts down or runs', () => {
    const { controller, quits } = rollcall();
    controller.press('q');
    expect(quits()).toBe(1);
  });

  it('says why a rollout that failed to open cannot be entered', () => {
    const calm = new FakeSession();
    const controller = new RollcallController(
      [
        { file: 'broken.yaml', error: 'broken.yaml:2:1: name: required' },
        { file: 'calm.yaml', session: calm },
      ],
      { size, color: false, onQuit: () => undefined, now: () => NOW },
    );
    controller.press('\r');
    expect(controller.opened).toBeUndefined();
    expect(frameText(controller.getSnapshot())[22]).toContain('broken.yaml could not be opened');
  });
});
