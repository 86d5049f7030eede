// Each part of the frame as a terminal shows it: the view model's lines for that part, drawn by
// the frame writer on a terminal emulator and read back.

import { describe, expect, it } from 'vitest';
import type { Line } from '../../src/view/line.js';
import { buildModel, type Section as SectionModel, type ViewModel } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi, type UiState } from '../../src/view/ui.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { consoleState, NOW, snapshot, status } from '../fixtures/console/state.js';
import { linesOnTerminal } from '../support/screen.js';

function model(state: ConsoleState = consoleState(), ui: Partial<UiState> = {}, size = { columns: 100, rows: 40 }, color = false): ViewModel {
  return buildModel({ state, live: state, ui: { ...initialUi, ...ui }, size, keymap: buildKeymap(state.profile), color, chartMemo: {} });
}
const section = (m: ViewModel, kind: SectionModel['kind']) => m.sections.find((s) => s.kind === kind)!.lines;
const plain = async (lines: readonly Line[]) => (await linesOnTerminal(lines, { columns: 100, color: false })).text;

describe('a section draws its part of the view model', async () => {
  it('the header shows the title, the phase and the decision badge', async () => {
    const frame = await plain(model().header);
    expect(frame).toContain('Checkout v2 canary');
    expect(frame).toContain('phase 1/3 canary · 10% traffic');
    expect(frame).toContain('[SOAK] soaking: 6h of 2d');
  });

  it('the metric table shows each metric with its state as a symbol and a word', async () => {
    const state = consoleState({ snapshot: snapshot({ metrics: [status('error_rate', { state: 'breach', value: 0.031 }), status('p95_latency', { state: 'stale', value: 0.2 })] }) });
    const frame = await plain(section(model(state), 'table'));
    expect(frame).toMatch(/error rate\s+3\.1%.*✗ breach/);
    expect(frame).toMatch(/p95 latency\s+200ms.*~ stale/);
  });

  it('the timeline shows the phases in order with their gauges', async () => {
    const frame = await plain(section(model(consoleState(), {}, { columns: 100, rows: 40 }), 'timeline'));
    expect(frame.indexOf('1 canary')).toBeLessThan(frame.indexOf('2 ramp-50'));
    expect(frame).toContain('█░░░░░░░░░');
  });

  it('the chart draws the canary line under its title and legend', async () => {
    const frame = await plain(section(model(), 'chart'));
    expect(frame).toContain('error rate (ratio) · last 15m');
    expect(frame).toMatch(/[╭╮╯╰─]/);
    expect(frame).toMatch(/-15m.*now/);
  });

  it('the event log shows folded repeats with their count', async () => {
    const state = consoleState({ events: [{ id: 1, at: NOW, level: 'bad', text: 'source prom: HTTP 500', count: 4 }] });
    expect(await plain(section(model(state), 'log'))).toMatch(/✗ source prom: HTTP 500 ×4/);
  });

  it('the output pane shows the argv and the lines an action printed', async () => {
    const state = consoleState({ output: { action: 'rollback', argv: ['flagctl', 'set', 'x', '0'], startedAt: NOW, running: true, dryRun: false, lines: [{ stream: 'stdout', text: 'flag set to 0' }] } });
    const frame = await plain(section(model(state), 'output'));
    expect(frame).toContain('rollback · running');
    expect(frame).toContain('$ flagctl set x 0');
    expect(frame).toContain('flag set to 0');
  });

  it('the checklist marks ticked and open items', async () => {
    const frame = await plain(section(model(consoleState(), { focus: 'checklist' }), 'checklist'));
    expect(frame).toContain('› [x] Dashboards open');
    expect(frame).toContain('   [ ] On-call paged in');
  });

  it('the footer line shows key hints', async () => {
    expect(await plain([model().footer!])).toMatch(/p promote\s+r rollback.*q quit/);
  });

  it('the help overlay lists the keys', async () => {
    const frame = await plain(section(model(consoleState(), { help: true }), 'help'));
    expect(frame).toContain('↓/j');
    expect(frame).toContain('select the next metric');
  });

  it('the confirm dialog shows the question', async () => {
    const frame = await plain(section(model(consoleState(), { confirm: { kind: 'action', action: 'promote', step: 'yes', force: true, typed: '', openedAt: NOW } }), 'confirm'));
    expect(frame).toMatch(/Run promote\?\n\s+\$ flagctl set checkout 50\n/);
    expect(frame).toContain('[y/N]');
  });

  it('the countdown shows the time left', async () => {
    const state = consoleState({ countdown: { metric: 'error_rate', text: '2.4% > 2%', deadline: NOW + 9_000 } });
    expect(await plain(section(model(state), 'countdown'))).toContain('[AUTO-ROLLBACK] in 9s (c cancels): error_rate fired at 2.4% > 2%');
  });

  it('the source ages show how old each source is', async () => {
    const frame = await plain(section(model(consoleState({ sourceAges: { prom: 7_400 } }), { ages: true }), 'ages'));
    expect(frame).toMatch(/prom\s+prometheus last data 7s ago/);
  });

  it('colours by state only when colour is on', async () => {
    const state = consoleState({ snapshot: snapshot({ decision: 'ROLLBACK', reasons: ['bad'] }) });
    const colored = await linesOnTerminal(model(state, {}, undefined, true).header, { columns: 100, color: true });
    const bare = await linesOnTerminal(model(state).header, { columns: 100, color: false });
    expect(bare.bytes).not.toMatch(/\x1b\[[0-9;]*3\dm/);
    expect(bare.text).toContain('[ROLLBACK]');
    expect(colored.text).toContain(' ROLLBACK ');
    expect(colored.bytes).toMatch(/\x1b\[[0-9;]*3\dm/);
  });
});
