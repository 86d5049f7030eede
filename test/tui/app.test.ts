// The whole console on a stand-in session: keys in as a keyboard sends them, frames out through
// the frame writer onto a terminal emulator, read back as the text it shows.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsoleController } from '../../src/console/controller.js';
import { consoleState, FakeSession, NOW, snapshot } from '../fixtures/console/state.js';
import { screenOnTerminal, unmountScreens } from '../support/screen.js';

afterEach(unmountScreens);

const KEY = { enter: '\r', esc: '\x1b', tab: '\t', down: '\x1b[B', up: '\x1b[A', ctrlC: '\x03', backspace: '\x7f' };

async function open(state = consoleState(), size = { columns: 80, rows: 24 }) {
  const session = new FakeSession(state);
  const onQuit = vi.fn();
  const controller = new ConsoleController(session, { size, color: false, onQuit });
  const screen = await screenOnTerminal(controller, size);
  return { session, controller, onQuit, type: screen.type, settle: screen.settle, frame: screen.frame, screen };
}

describe('the console, driven by keys', () => {
  it('draws a frame of rows − 1 lines with header, table and footer at 80x24', async () => {
    const { frame } = await open();
    const lines = frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(lines[0]).toContain('Checkout v2 canary');
    expect(lines[2]).toContain('[SOAK]');
    expect(lines[22]).toMatch(/q quit$/);
  });

  it('selects metrics with j, k and the arrows, and shows the selection', async () => {
    const { type, frame } = await open();
    await type('j', KEY.down);
    expect(frame()).toMatch(/› throughput/);
    expect(frame()).toContain('  throughput: ok');
    await type(KEY.up);
    expect(frame()).toMatch(/› p95 latency/);
  });

  it('enlarges the chart of the selected metric with enter, and changes its window with [ and ]', async () => {
    const { type, frame } = await open();
    await type(KEY.enter);
    expect(frame()).toContain('error rate (ratio) · last 15m');
    await type(']');
    expect(frame()).toContain('last 1h');
    await type('[', '[');
    expect(frame()).toContain('last 5m');
    await type(KEY.enter);
    expect(frame()).not.toContain('last 5m');
  });

  it('asks y/N before a promote and cancels on any other key', async () => {
    const { type, frame, session } = await open(consoleState({ snapshot: snapshot({ decision: 'PROMOTE', reasons: ['all gates green'] }) }));
    await type('p');
    expect(frame()).toMatch(/Run promote\?\n\s+\$ flagctl set checkout 50\n/);
    await type('n');
    expect(frame()).not.toContain('Run promote?');
    expect(frame()).toContain('promote not run');
    await type('p', 'y');
    expect(session.calls).toEqual(['run promote']);
  });

  it('wants the action name typed for a rollback, with backspace and a wrong answer', async () => {
    const { type, frame, session } = await open();
    await type('r');
    expect(frame()).toContain('Type rollback to run it. esc cancels.');
    await type(...'rollx');
    await type(KEY.backspace);
    expect(frame()).toContain('> roll▏');
    await type(KEY.enter);
    expect(frame()).toContain('that is not "rollback"');
    await type(...'rollback', KEY.enter);
    expect(session.calls).toEqual(['run rollback']);
    expect(frame()).not.toContain('Type rollback');
  });

  it('cancels a typed confirmation with esc', async () => {
    const { type, frame, session } = await open();
    await type('r', ...'roll', KEY.esc);
    expect(frame()).not.toContain('Type rollback');
    expect(frame()).toContain('rollback not run');
    expect(session.calls).toEqual([]);
  });

  it('needs "force" typed to promote outside PROMOTE', async () => {
    const { type, frame, session } = await open();
    await type('p', 'y');
    expect(frame()).toContain('The decision is SOAK, not PROMOTE');
    await type(...'force', KEY.enter);
    expect(session.calls).toEqual(['run promote forced']);
  });

  it('opens and closes the help from the same keymap as the footer', async () => {
    const { type, frame } = await open(consoleState(), { columns: 80, rows: 40 });
    await type('?');
    expect(frame()).toContain('keys');
    expect(frame()).toContain('Roll back to 0% (rollback)');
    expect(frame()).toContain('freeze the screen (polling and judging go on)');
    await type('?');
    expect(frame()).not.toContain('freeze the screen (polling');
  });

  it('freezes the screen while the session keeps changing', async () => {
    const { type, frame, session, settle } = await open();
    await type('f');
    expect(frame()).toContain('FROZEN');
    session.publish({ snapshot: snapshot({ decision: 'HOLD', reasons: ['p95_latency pending'] }) });
    await settle();
    expect(frame()).toContain('[SOAK]');
    await type('f');
    expect(frame()).toContain('[HOLD] p95_latency pending');
  });

  it('ticks a checklist item with space after tab', async () => {
    const { type, frame, session } = await open();
    await type(KEY.tab);
    expect(frame()).toContain('checklist canary 1/2');
    await type(KEY.down, ' ');
    expect(session.calls).toEqual(['toggle On-call paged in']);
  });

  it('cancels an automatic rollback countdown with c', async () => {
    const { type, frame, session } = await open(consoleState({ countdown: { metric: 'error_rate', text: '> 2%', deadline: NOW + 42_000 } }));
    expect(frame()).toContain('[AUTO-ROLLBACK] in 42s');
    await type('c');
    expect(session.calls).toEqual(['cancel auto-rollback']);
  });

  it('quits with q and with Ctrl-C', async () => {
    const first = await open();
    await first.type('q');
    expect(first.onQuit).toHaveBeenCalledTimes(1);
    first.screen.unmount();
    const second = await open();
    await second.type(KEY.ctrlC);
    expect(second.onQuit).toHaveBeenCalledTimes(1);
  });

  it('writes nothing when the session changes and the frame does not', async () => {
    const { screen, session, settle } = await open();
    const writes = screen.writes.length;
    session.publish({ sourceAges: { prom: 3_000 }, now: NOW + 20 });
    await settle();
    expect(screen.writes.length).toBe(writes);
  });

  it('writes only the cells that changed when the decision changes', async () => {
    const { screen, session, settle, frame } = await open();
    const writes = screen.writes.length;
    session.publish({ snapshot: snapshot({ decision: 'HOLD', reasons: ['p95_latency pending'] }) });
    await settle();
    expect(frame()).toContain('[HOLD] p95_latency pending');
    const update = screen.writes.slice(writes).join('');
    expect(update).not.toContain('Checkout v2 canary');
    expect(update).not.toContain('\x1b[2J');
  });

  it('draws the whole frame again, at the new width, after a resize', async () => {
    const { screen, frame } = await open();
    await screen.resize({ columns: 100, rows: 30 });
    expect(screen.lines()).toHaveLength(29);
    expect(frame()).toContain('Checkout v2 canary');
    expect(screen.lines()[28]).toMatch(/q quit$/);
  });
});
