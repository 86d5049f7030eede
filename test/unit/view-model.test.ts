import { describe, expect, it } from 'vitest';
import { buildModel, frameText, type ModelInput } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { displayWidth } from '../../src/util/width.js';
import { initialUi, type UiState } from '../../src/view/ui.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import { consoleState, NOW, snapshot, status } from '../fixtures/console/state.js';

function frame(state: ConsoleState, size = { columns: 80, rows: 24 }, ui: Partial<UiState> = {}, color = false): string[] {
  const input: ModelInput = { state, live: state, ui: { ...initialUi, ...ui }, size, keymap: buildKeymap(state.profile), color, chartMemo: {} };
  return frameText(buildModel(input));
}

describe('the view model at 80x24', () => {
  const lines = frame(consoleState());

  it('is exactly rows − 1 lines, none wider than columns − 1', () => {
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(79);
  });

  it('heads with the title, the phase, traffic, time in phase and the decision with its reason', () => {
    expect(lines[0]).toContain('Checkout v2 canary');
    expect(lines[1]).toContain('phase 1/3 canary');
    expect(lines[1]).toContain('10% traffic');
    expect(lines[1]).toContain('6h of 2d in phase');
    expect(lines[1]).toContain('data live');
    expect(lines[2]).toBe('[SOAK] soaking: 6h of 2d, 1d18h to go');
  });

  it('counts soak time to the minute, so the header does not redraw every second', () => {
    const at = (elapsedMs: number) => {
      const base = consoleState();
      const phase = { ...base.snapshot.phase, elapsedMs, remainingMs: 48 * 3_600_000 - elapsedMs };
      return frame({ ...base, snapshot: { ...base.snapshot, reasons: [`soaking: ${elapsedMs / 1_000}s of 2d`], phase } })[2];
    };
    expect(at(19_000)).toBe(at(20_000));
    expect(at(19_000)).toBe('[SOAK] soaking: <1m of 2d, 1d23h to go');
    expect(at(61_000)).toBe('[SOAK] soaking: 1m of 2d, 1d23h to go');
  });

  it('lists every metric with its value, baseline, delta, threshold and state', () => {
    const row = lines.find((l) => l.includes('error rate'))!;
    expect(row).toMatch(/error rate\s+0\.42%\s+0\.31%\s+\+35%\s+>1%\s+✓ ok/);
    for (const title of ['p95 latency', 'throughput', 'queue depth']) expect(lines.some((l) => l.includes(title))).toBe(true);
  });

  it('ends with the key hints from the keymap', () => {
    expect(lines[22]).toMatch(/^p promote\s+r rollback.*\? help\s+q quit$/);
  });
});

describe('metric states', () => {
  const state = consoleState({
    snapshot: snapshot({
      decision: 'ROLLBACK',
      reasons: ['error_rate 2.4% > 2% for 5m (rollback)'],
      metrics: [
        status('error_rate', { state: 'breach', value: 0.024, firing: { severity: 'rollback', text: '> 2%', auto: false, graceMs: 60_000 }, thresholds: [{ severity: 'rollback', text: '> 2%', threshold: 0.02 }] }),
        status('p95_latency', { state: 'pending', value: 0.31, pending: { since: NOW - 60_000, forMs: 300_000, remainingMs: 192_000 }, thresholds: [{ severity: 'warn', text: '> 250ms' }] }),
        status('throughput', { state: 'error', error: 'connection refused (127.0.0.1:9090)' }),
        status('queue_depth', { state: 'nodata' }),
      ],
    }),
  });

  it('reads without colour: a symbol and a word for every state', () => {
    const lines = frame(state, { columns: 120, rows: 30 });
    expect(lines.find((l) => l.includes('error rate'))).toContain('✗ breach');
    expect(lines.find((l) => l.includes('p95 latency'))).toContain('… pending');
    expect(lines.find((l) => l.includes('throughput'))).toContain('⚠ error');
    expect(lines.find((l) => l.includes('queue depth'))).toContain('? nodata');
    expect(lines[2]).toBe('[ROLLBACK] error_rate 2.4% > 2% for 5m (rollback)');
  });

  it('shows the for countdown of a pending metric and the reason of a failing one', () => {
    const lines = frame(state, { columns: 120, rows: 30 });
    expect(lines.find((l) => l.includes('p95 latency'))).toContain('fires in 3m12s');
    expect(lines.find((l) => l.includes('throughput'))).toContain('connection refused (127.0.0.1:9090)');
  });

  it("shows the selected metric's reason in full under the table at 80 columns", () => {
    const lines = frame(state, undefined, { selected: 2 });
    expect(lines).toContain('  throughput: connection refused (127.0.0.1:9090)');
  });

  it('uses inverse colour for the badge only when colour is allowed', () => {
    const input = (color: boolean): ModelInput => ({ state, live: state, ui: initialUi, size: { columns: 80, rows: 24 }, keymap: buildKeymap(state.profile), color, chartMemo: {} });
    expect(buildModel(input(true)).header[2]![0]).toMatchObject({ text: ' ROLLBACK ', tone: 'bad', inverse: true });
    expect(buildModel(input(false)).header.flat().some((s) => s.inverse)).toBe(false);
  });
});

describe('what the header says about the console itself', () => {
  it('marks read-only, dry-run, frozen and recording', () => {
    const state = consoleState({ mode: { readOnly: true, readOnlyReason: '--read-only', dryRun: true, recording: 'run.jsonl', user: 'alice' } });
    expect(frame(state, undefined, { frozen: true })[0]).toMatch(/READ-ONLY DRY-RUN FROZEN \d\d:\d\d:\d\d ● REC$/);
  });

  it('says which agent it shows when attached, and nothing of it when standalone', () => {
    expect(frame(consoleState({ mode: { readOnly: false, dryRun: false, user: 'alice', attached: { host: 'ops-1' } } }))[0]).toMatch(/attached to agent on ops-1 \d\d:\d\d$/);
    expect(frame(consoleState({ mode: { readOnly: false, dryRun: false, user: 'alice' } }))[0]).not.toContain('agent');
  });

  it('says how old the data is when a source falls behind', () => {
    expect(frame(consoleState({ sourceAges: { prom: 95_000 } }))[1]).toContain('prom data 1m35s old');
    expect(frame(consoleState({ sourceAges: { prom: undefined } }))[1]).toContain('no data yet from prom');
  });

  it('says where a rollback left the rollout', () => {
    const state = consoleState();
    const rolled = { ...state, rollout: { ...state.rollout, rolledBack: { at: NOW, by: 'alice@bastion', phase: null, traffic: 0 } } };
    expect(frame(rolled)[2]).toMatch(/^\[ROLLED BACK\] rolled back to 0% traffic at \d\d:\d\d by alice@bastion$/);
  });

  it('shows the traffic users get after a rollback, not the phase share', () => {
    const state = consoleState();
    const rolled = { ...state, rollout: { ...state.rollout, rolledBack: { at: NOW, by: 'alice@bastion', phase: null, traffic: 0 } } };
    expect(frame(rolled)[1]).toMatch(/ 0% traffic \(was \d+%\)/);
    expect(frame(state)[1]).not.toContain('(was');
  });
});

describe('cutting to fit', () => {
  it('truncates a long metric title and reason with … and never wraps', () => {
    const long = consoleState({
      snapshot: snapshot({ decision: 'HOLD', reasons: ['x'.repeat(300)], metrics: [status('error_rate', { title: 'the error rate of the checkout service as seen by the load balancer', value: 0.01 })] }),
    });
    const lines = frame(long);
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(79);
    expect(lines[2]!.endsWith('…')).toBe(true);
    expect(lines.some((l) => /the error rate of the.*…/.test(l))).toBe(true);
  });

  it('keeps every frame within rows − 1 at any size', () => {
    const state = consoleState({
      events: Array.from({ length: 50 }, (_, i) => ({ id: i, at: NOW, level: 'info' as const, text: `event ${i}`, count: 1 })),
      output: { action: 'rollback', argv: ['x'], startedAt: NOW, running: true, dryRun: false, lines: Array.from({ length: 30 }, (_, i) => ({ stream: 'stdout' as const, text: `line ${i}` })) },
    });
    for (const rows of [5, 10, 24, 40, 60]) {
      for (const columns of [30, 80, 160]) {
        for (const ui of [{}, { help: true }, { enlarged: true }, { focus: 'checklist' as const }]) {
          const lines = frame(state, { columns, rows }, ui);
          expect(lines.length).toBe(rows - 1);
          for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(columns - 1);
        }
      }
    }
  });
});

describe('the large layout', () => {
  const lines = frame(consoleState(), { columns: 160, rows: 48 });

  it('shows every phase with traffic and soak gauges, the current one expanded', () => {
    expect(lines.find((l) => l.includes('1 canary'))).toMatch(/▶ 1 canary\s+10% █░{9}\s+soak █░{9} 6h\/2d .*current/);
    expect(lines.find((l) => l.includes('2 ramp-50'))).toMatch(/· 2 ramp-50\s+50% █{5}░{5}\s+soak ░{10} 1d min .*next/);
    expect(lines.some((l) => l.includes('checklist 1/2 · minimum duration reached in 1d18h'))).toBe(true);
  });

  it('charts the selected metric with its window and legend', () => {
    expect(lines.some((l) => /error rate \(ratio\) · last 15m.*━ canary\s+╌ baseline\s+┈ warn 1%\s+┅ rollback 2% ↑ off scale/.test(l))).toBe(true);
    expect(lines.some((l) => /-15m .* now$/.test(l))).toBe(true);
  });

  it('keeps the off-scale mark when the chart comes from its memo, so the legend does not blink between frames', () => {
    const state = consoleState();
    const input: ModelInput = { state, live: state, ui: initialUi, size: { columns: 160, rows: 48 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} };
    const legend = () => frameText(buildModel(input)).find((l) => l.includes('━ canary'));
    const drawn = legend();
    expect(drawn).toContain('↑ off scale');
    expect(legend()).toBe(drawn);
  });

  it('shows the checklist with who ticked what', () => {
    expect(lines.some((l) => /\[x\] Dashboards open\s+alice@bastion \d\d:\d\d/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('[ ] On-call paged in'))).toBe(true);
  });
});

describe('the event log and the output pane', () => {
  it('folds repeats into one line with a count, newest at the bottom', () => {
    const state = consoleState({
      events: [
        { id: 1, at: NOW - 5_000, level: 'ok', text: 'every metric polled: SOAK', count: 1 },
        { id: 2, at: NOW, level: 'bad', text: 'source prom: connection refused (127.0.0.1:9090)', count: 12 },
      ],
    });
    const lines = frame(state);
    const i = lines.findIndex((l) => l.includes('connection refused'));
    expect(lines[i]).toMatch(/^\d\d:\d\d:\d\d ✗ source prom: connection refused \(127\.0\.0\.1:9090\) ×12$/);
    expect(lines[i - 1]).toContain('every metric polled');
  });

  it('says on the row why a metric has no data', () => {
    const state = consoleState({
      snapshot: snapshot({ decision: 'HOLD', metrics: [status('error_rate', { state: 'nodata', note: 'no series named app_error_ratio in the exposition' })] }),
    });
    const lines = frame(state, { columns: 140, rows: 30 });
    expect(lines.find((l) => l.includes('nodata'))).toContain('no series named app_error_ratio in the exposition');
  });

  it('shows control characters in action output and profile text escaped, never raw', () => {
    const state = consoleState({
      output: { action: 'rollback', argv: ['flagctl'], startedAt: NOW - 3_000, running: true, dryRun: false, lines: [{ stream: 'stdout', text: 'ok \x1b]0;TITLE\x07\x1b[2Jdone\u202e' }] },
      snapshot: snapshot({ decision: 'HOLD', reasons: ['x \x1b]52;c;cm0=\x07 y'], metrics: [status('error_rate', { title: 'errors\u009b31m' })] }),
    });
    const lines = frame(state, { columns: 120, rows: 30 });
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(lines).toContain('    ok \\x1b]0;TITLE\\x07\\x1b[2Jdone\\u202e');
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(119);
  });

  it("streams a running action's output with stderr marked", () => {
    const state = consoleState({
      output: { action: 'rollback', argv: ['flagctl', 'set', 'checkout', '0'], startedAt: NOW - 3_000, running: true, dryRun: false, lines: [{ stream: 'stdout', text: 'setting flag' }, { stream: 'stderr', text: 'warning: slow' }] },
    });
    const lines = frame(state);
    expect(lines).toContain('  rollback · running 3s · $ flagctl set checkout 0');
    expect(lines).toContain('    setting flag');
    expect(lines).toContain('  ! warning: slow');
  });

  it('shows how the last action ended', () => {
    const state = consoleState({ output: { action: 'rollback', argv: ['x'], startedAt: NOW - 1_200, endedAt: NOW, running: false, exitCode: 0, dryRun: false, lines: [] } });
    expect(frame(state).some((l) => l.startsWith('  rollback · exit 0 after 1s'))).toBe(true);
  });
});

describe('questions and countdowns', () => {
  it('asks for the action name before a destructive action, showing what will run', () => {
    const lines = frame(consoleState(), undefined, { confirm: { kind: 'action', action: 'rollback', step: 'typed', force: false, typed: 'roll', openedAt: NOW } });
    expect(lines[3]).toBe('  Roll back to 0%, runs:');
    expect(lines[4]).toBe('    $ flagctl set checkout 0');
    expect(lines[5]).toBe('  Type rollback to run it. esc cancels.');
    expect(lines[6]).toBe('  > roll▏');
  });

  it('explains a forced promote before accepting it', () => {
    const lines = frame(consoleState(), undefined, { confirm: { kind: 'action', action: 'promote', step: 'force', force: true, typed: '', openedAt: NOW } });
    expect(lines[3]).toContain('The decision is SOAK, not PROMOTE');
    expect(lines[4]).toContain('Type force to run promote anyway; the audit log records it as forced.');
  });

  it('puts an automatic rollback countdown at the top with the key that cancels it', () => {
    const lines = frame(consoleState({ countdown: { metric: 'error_rate', text: '2.4% > 2%', deadline: NOW + 42_000 } }));
    expect(lines[3]).toBe('[AUTO-ROLLBACK] in 42s (c cancels): error_rate fired at 2.4% > 2%');
  });

  it('lists every key of the keymap in the help overlay', () => {
    const state = consoleState();
    const lines = frame(state, { columns: 80, rows: 40 }, { help: true });
    for (const b of buildKeymap(state.profile).bindings) expect(lines.some((l) => l.includes(b.help))).toBe(true);
  });
});

describe('the metric table with room to spare', () => {
  it('gives the note its whole countdown before widening the trend, so no number is cut', () => {
    // Long titles, as real profiles have: the metric column takes its share of the spare first.
    const metrics = snapshot().metrics.map((m) =>
      m.id === 'p95_latency'
        ? status('p95_latency', { title: 'Canary p95 latency of checkout', state: 'pending', value: 0.31, pending: { since: NOW - 60_000, forMs: 300_000, remainingMs: 20_000 }, thresholds: [{ severity: 'warn', text: '> 250ms' }] })
        : { ...m, title: `Canary ${m.title} of checkout` },
    );
    for (const columns of [96, 100, 104, 120, 160]) {
      const row = frame(consoleState({ snapshot: snapshot({ metrics }) }), { columns, rows: 40 }).find((l) => l.includes('p95 latency'))!;
      expect(row, `${columns} columns: ${row}`).toContain('fires in 20s');
    }
  });
});

describe('the metric table over time', () => {
  it('keeps every column where it was when a value gets shorter, so an update rewrites only that value', () => {
    const at = (rel: number) => {
      // Only this metric has a delta, so its width alone decides the column's.
      const metrics = snapshot().metrics.map((m) => (m.id === 'error_rate' ? { ...m, delta: { rel, abs: 0 } } : { ...m, delta: undefined }));
      const lines = frame(consoleState({ snapshot: snapshot({ metrics }) }), { columns: 80, rows: 24 });
      return lines.find((l) => l.includes('error rate'))!;
    };
    const wide = at(2.45);
    const narrow = at(0.09);
    expect(wide).toContain('+245%');
    expect(narrow).toContain('+9%');
    // Everything right of the delta stands in the same cells.
    expect(narrow.indexOf('>1%')).toBe(wide.indexOf('>1%'));
    expect(narrow.slice(narrow.indexOf('>1%'))).toBe(wide.slice(wide.indexOf('>1%')));
  });
});
