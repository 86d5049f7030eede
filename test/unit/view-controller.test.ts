import { describe, expect, it, vi } from 'vitest';
import { ConsoleController } from '../../src/console/controller.js';
import { frameText } from '../../src/view/model.js';
import { CONFIRM_TIMEOUT_MS } from '../../src/view/ui.js';
import { consoleState, FakeSession, NOW, snapshot } from '../fixtures/console/state.js';

function setup(state = consoleState()) {
  const session = new FakeSession(state);
  const onQuit = vi.fn();
  const controller = new ConsoleController(session, { size: { columns: 80, rows: 24 }, color: false, onQuit });
  /** Each argument is one read from the terminal, as the keyboard sends it. */
  const press = (...keys: string[]) => {
    for (const k of keys) controller.press(k);
  };
  const screen = () => frameText(controller.getSnapshot()).join('\n');
  return { session, controller, onQuit, press, screen };
}
const ENTER = '\r';
const ESC = '\x1b';

describe('the console controller', () => {
  it('publishes the same model object while nothing visible changes', () => {
    const { session, controller } = setup();
    const before = controller.getSnapshot();
    const listener = vi.fn();
    controller.subscribe(listener);
    session.publish({ sourceAges: { prom: 2_500 } });
    expect(controller.getSnapshot()).toBe(before);
    expect(listener).not.toHaveBeenCalled();
    session.publish({ snapshot: snapshot({ decision: 'HOLD', reasons: ['p95_latency pending'] }) });
    expect(controller.getSnapshot()).not.toBe(before);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('runs a typed-confirmation action only after its name is typed', () => {
    const { session, press, screen } = setup();
    press('r');
    expect(screen()).toContain('Type rollback to run it');
    press(...'rollbak'.split(''), ENTER);
    expect(screen()).toContain('that is not "rollback"');
    expect(session.calls).toEqual([]);
    press(...'rollback'.split(''), ENTER);
    expect(session.calls).toEqual(['run rollback']);
  });

  it('asks twice before promoting outside PROMOTE and runs it as forced', () => {
    const { session, press, screen } = setup();
    press('p');
    expect(screen()).toContain('Run promote?');
    press('y');
    expect(screen()).toContain('The decision is SOAK, not PROMOTE');
    press(...'force'.split(''), ENTER);
    expect(session.calls).toEqual(['run promote forced']);
  });

  it('promotes after one y at PROMOTE', () => {
    const { session, press } = setup(consoleState({ snapshot: snapshot({ decision: 'PROMOTE', reasons: ['all gates green'] }) }));
    press('p', 'y');
    expect(session.calls).toEqual(['run promote']);
  });

  it('runs an action that asks for no confirmation at once', () => {
    const { session, press } = setup();
    press('x');
    expect(session.calls).toEqual(['run restart']);
  });

  it('cancels on any key but y, and says so', () => {
    const { session, press, screen } = setup(consoleState({ snapshot: snapshot({ decision: 'PROMOTE' }) }));
    press('p', 'n');
    expect(session.calls).toEqual([]);
    expect(screen()).toContain('promote not run');
  });

  it('withdraws an unanswered question after a minute', () => {
    const { session, press, screen } = setup();
    press('r');
    session.publish({ now: NOW + CONFIRM_TIMEOUT_MS + 1_000 });
    expect(screen()).not.toContain('Type rollback');
    expect(screen()).toContain('rollback not run');
    press(...'rollback'.split(''), ENTER);
    expect(session.calls).toEqual([]);
  });

  it('asks nothing when read-only, and says why (the refusal goes to the session, which audits it)', () => {
    const { session, press, screen } = setup(consoleState({ mode: { readOnly: true, readOnlyReason: 'stdin is not a terminal', dryRun: false, user: 'alice' } }));
    press('r');
    expect(screen()).not.toContain('Type rollback');
    expect(session.calls).toEqual(['run rollback']);
    expect(screen()).toContain('read-only (stdin is not a terminal): rollback not run');
  });

  it('sends nothing to the session from a replay, which is not the rollout', () => {
    const { session, press, screen } = setup(consoleState({ mode: { readOnly: true, readOnlyReason: 'replaying x.jsonl', replay: 'x.jsonl', dryRun: false, user: 'alice' } }));
    press('r');
    expect(session.calls).toEqual([]);
    expect(screen()).toContain('rollback not run');
  });

  it('still rolls back, but promotes nothing, while only the shared state store is down', () => {
    const down = 'state store unreachable';
    const { session, press, screen } = setup(consoleState({ mode: { readOnly: true, readOnlyReason: down, retreatOnly: true, dryRun: false, user: 'alice' } }));
    press('p');
    expect(screen()).toContain(`read-only (${down}): promote not run`);
    press('r', ...'rollback'.split(''), ENTER);
    // The promote went to the session only to be refused and audited there.
    expect(session.calls).toEqual(['run promote', 'run rollback']);
  });

  it('runs one action at a time', () => {
    const { session, press, screen } = setup(consoleState({ busy: 'promote' }));
    press('r');
    expect(session.calls).toEqual([]);
    expect(screen()).toContain('promote is still running: one action at a time');
  });

  it('keeps showing the frozen screen while the session moves on, and catches up when unfrozen', () => {
    const { session, press, screen } = setup();
    press('f');
    session.publish({ snapshot: snapshot({ decision: 'ROLLBACK', reasons: ['error_rate 3% > 2%'] }) });
    expect(screen()).toContain('[SOAK]');
    expect(screen()).toContain('FROZEN');
    press('f');
    expect(screen()).toContain('[ROLLBACK] error_rate 3% > 2%');
  });

  it('moves the selection within the metrics and stops at the ends', () => {
    const { controller, press } = setup();
    press('j', 'j', '\x1b[B', 'j', 'j');
    expect(controller.uiState.selected).toBe(3);
    press('k', '\x1b[A', 'k', 'k', 'k');
    expect(controller.uiState.selected).toBe(0);
  });

  it('ticks the selected checklist item once the checklist has the focus', () => {
    const { session, press } = setup();
    press('\t', 'j', ' ');
    expect(session.calls).toEqual(['toggle On-call paged in']);
  });

  it('polls now, cancels a countdown, and quits through the keymap', () => {
    const { session, press, onQuit } = setup(consoleState({ countdown: { metric: 'error_rate', text: '> 2%', deadline: NOW + 30_000 } }));
    press('R', 'c');
    // The session ends the countdown it was told to cancel.
    session.publish({ countdown: undefined });
    press('q');
    expect(session.calls).toEqual(['poll', 'cancel auto-rollback']);
    expect(onQuit).toHaveBeenCalledTimes(1);
  });

  it('asks before quitting during an automatic rollback countdown, and has the answer audited', () => {
    const { session, press, onQuit, screen } = setup(consoleState({ countdown: { metric: 'error_rate', text: '> 2%', deadline: NOW + 30_000 } }));
    press('q');
    expect(onQuit).not.toHaveBeenCalled();
    expect(screen()).toContain('Quit? the automatic rollback for error_rate runs only');
    press('n');
    expect(onQuit).not.toHaveBeenCalled();
    press('\x03', 'y');
    expect(onQuit).toHaveBeenCalledTimes(1);
    expect(session.calls).toEqual(['quit during countdown: stayed', 'quit during countdown: quit']);
  });

  it('has a read-only console refuse an action through the session, which audits the refusal', () => {
    const { session, press, screen } = setup(consoleState({ mode: { readOnly: true, readOnlyReason: '--read-only', dryRun: false, user: 'alice' } }));
    press('x');
    expect(session.calls).toEqual(['run restart']);
    expect(screen()).toContain('read-only (--read-only): restart not run');
  });

  it('asks before quitting while an action runs', () => {
    const { press, onQuit, screen } = setup(consoleState({ busy: 'rollback' }));
    press('\x03');
    expect(screen()).toContain('Quit? rollback is still running');
    expect(onQuit).not.toHaveBeenCalled();
    press('y');
    expect(onQuit).toHaveBeenCalledTimes(1);
  });

  it('closes the help, then the enlarged chart, with esc', () => {
    const { controller, press } = setup();
    press(ENTER, '?');
    expect(controller.uiState).toMatchObject({ help: true, enlarged: true });
    press(ESC);
    expect(controller.uiState).toMatchObject({ help: false, enlarged: true });
    press(ESC);
    expect(controller.uiState.enlarged).toBe(false);
  });

  it('re-lays out at once on resize', () => {
    const { controller } = setup();
    controller.resize({ columns: 160, rows: 48 });
    expect(controller.getSnapshot().height).toBe(47);
    expect(frameText(controller.getSnapshot()).some((l) => l.includes('phases'))).toBe(true);
  });

  it('acts on every key of a chunk typed faster than the link delivers it', () => {
    const { session, press } = setup();
    press('\t ');
    expect(session.calls).toEqual(['toggle Dashboards open']);
    press('r');
    press('rollback\r');
    expect(session.calls).toEqual(['toggle Dashboards open', 'run rollback']);
  });
});
