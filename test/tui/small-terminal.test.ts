// The console at 80x24, the size an SSH session on a bastion often has: the help overlay scrolls
// and keeps keys to itself, the enlarged chart keeps its bottom row, a question shows the whole
// command, and the table's cells fit without cutting a number.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsoleController } from '../../src/console/controller.js';
import { consoleState, FakeSession, NOW, points, snapshot } from '../fixtures/console/state.js';
import { SampleView } from '../../src/engine/sample-view.js';
import { screenOnTerminal, unmountScreens } from '../support/screen.js';

afterEach(unmountScreens);

const KEY = { enter: '\r', esc: '\x1b', down: '\x1b[B', up: '\x1b[A', pageDown: '\x1b[6~', pageUp: '\x1b[5~' };
async function open(state = consoleState(), size = { columns: 80, rows: 24 }) {
  const session = new FakeSession(state);
  const controller = new ConsoleController(session, { size, color: false, onQuit: vi.fn() });
  const screen = await screenOnTerminal(controller, size);
  return { session, controller, type: screen.type, settle: screen.settle, lines: screen.lines };
}

const table = (lines: string[]) => lines.slice(3, lines.findIndex((l) => l.startsWith('  events')));

describe('the help overlay at 80x24', () => {
  it('scrolls to the last key instead of asking for a taller terminal', async () => {
    const { type, lines } = await open();
    await type('?');
    expect(lines().join('\n')).not.toContain('make the terminal taller');
    expect(lines()[3]).toMatch(/keys\s+1-\d+ of \d+ · j\/k PgDn\/PgUp · esc or \? closes$/);
    expect(lines().join('\n')).not.toContain('q/^C');
    await type(KEY.pageDown, KEY.pageDown);
    expect(lines().join('\n')).toMatch(/q\/\^C\s+quit/);
    expect(lines()[22]).toMatch(/^j\/k scroll\s+PgDn\/PgUp page\s+esc\/\? close\s+q quit$/);
    await type(KEY.pageUp, KEY.pageUp);
    expect(lines()[4]).toBe('actions');
    await type('j');
    expect(lines()[4]).not.toBe('actions');
    await type(KEY.up);
    expect(lines()[4]).toBe('actions');
  });

  it('keeps keys to itself: j scrolls the help, not the hidden selection, and r opens no question', async () => {
    const { type, lines, controller, session } = await open();
    await type('?', 'j', 'j', 'r', 'p');
    expect(controller.uiState.selected).toBe(0);
    expect(controller.uiState.confirm).toBeUndefined();
    expect(lines().join('\n')).not.toContain('Type rollback');
    expect(lines()[22]).toContain('help is open: esc or ? closes it first');
    expect(session.calls).toEqual([]);
    await type(KEY.esc);
    expect(lines().join('\n')).not.toContain('esc or ? closes');
    expect(lines()[4]).toMatch(/^› error rate/);
  });

  it('still lets c cancel an automatic rollback counting down above it', async () => {
    const { type, session, lines } = await open(consoleState({ countdown: { metric: 'error_rate', text: '6.1% > 5%', deadline: NOW + 30_000 } }));
    await type('?');
    expect(lines().join('\n')).toContain('AUTO-ROLLBACK');
    await type('c');
    expect(session.calls).toEqual(['cancel auto-rollback']);
  });
});

describe('the enlarged chart at 80x24', () => {
  it('keeps its bottom row: the baseline is drawn on the lowest line above the time axis', async () => {
    const { type, lines } = await open();
    await type(KEY.enter);
    const frame = lines();
    const axis = frame.findIndex((l) => /-15m\s+.*now$/.test(l));
    expect(axis).toBeGreaterThan(0);
    expect(frame[axis - 1]).toMatch(/^\s*0\.31%┤╌+$/);
    expect(frame.join('\n')).toContain('╌ baseline');
  });

  it('labels its axis with one number of decimals', async () => {
    const state = consoleState();
    const series = { ...state.series, error_rate: { ...state.series.error_rate!, groups: [{ key: '', canary: SampleView.of(points(15, (m) => 0.001 + m * 0.006)), baseline: SampleView.EMPTY }] } };
    const { type, lines } = await open({ ...state, series });
    await type(KEY.enter);
    const labels = lines().flatMap((l) => /^\s*([\d.]+)%┤|┼/.exec(l)?.[1] ?? []);
    expect(labels.length).toBeGreaterThan(8);
    const decimals = new Set(labels.map((l) => l.split('.')[1]?.length ?? 0));
    expect([...decimals]).toHaveLength(1);
  });
});

describe('questions and cells at 80 columns', () => {
  it('shows every argument of a long command before y', async () => {
    const argv = ['kubectl', '--context', 'production-eu-west-1', 'patch', 'configmap', 'ilana-config', '-n', 'ilana', '--type', 'merge', '-p', '{"data":{"USE_SIMPLE_AZURE_PROMPT":"false"}}'];
    const base = consoleState();
    const profile = { ...base.profile, actions: { ...base.profile.actions, promote: { ...base.profile.actions.promote!, run: argv } } };
    const { type, lines } = await open({ ...base, profile, snapshot: snapshot({ decision: 'PROMOTE', reasons: ['all gates green'] }) });
    await type('p');
    const question = lines().slice(3, lines().findIndex((l) => l.includes('[y/N]')) + 1).join('\n');
    for (const arg of argv.slice(0, -1)) expect(question).toContain(arg);
    expect(question).toContain(`'{"data":{"USE_SIMPLE_AZURE_PROMPT":"false"}}'`);
    expect(question).not.toContain('…');
    expect(lines()).toHaveLength(23);
  });

  it('abbreviates heads and limits instead of cutting them, and never cuts a number', async () => {
    const metrics = [
      { id: 'error_rate', title: 'error rate', unit: 'ratio' as const, state: 'warn' as const, value: 0.081, baseline: 0.0031, delta: { abs: 0.078, rel: 24.8 }, thresholds: [{ severity: 'warn' as const, text: '> 1.5x baseline', threshold: 0.0047 }], firing: { severity: 'warn' as const, text: '> 1.5x baseline', auto: false, graceMs: 0 } },
      { id: 'p95_latency', title: 'p95 latency', unit: 'seconds' as const, state: 'ok' as const, value: 0.182, baseline: 0.18, delta: { abs: 0.002, rel: 0.011 }, thresholds: [{ severity: 'warn' as const, text: '> +30% start', threshold: 0.2 }] },
    ];
    const { lines } = await open(consoleState({ snapshot: snapshot({ metrics, decision: 'HOLD', reasons: ['error_rate 8.1% > 1.5x baseline'] }) }));
    const rows = table(lines());
    expect(rows[0]).toMatch(/value\s+base\s+Δ limit\s+state/);
    expect(rows.join('\n')).not.toContain('…');
    expect(rows[1]).toMatch(/8\.1%\s+0\.31%\s+\+2480% >1\.5×b\s+! warn/);
    expect(rows[2]).toMatch(/182ms\s+180ms\s+\+1\.1% >\+30%st\s+✓ ok/);
  });

  it('gives the auto-rollback countdown the value now and the value it fired at, once each', async () => {
    const metrics = [
      { id: 'error_rate', title: 'error rate', unit: 'ratio' as const, state: 'breach' as const, value: 0.087, thresholds: [{ severity: 'rollback' as const, text: '> 5%', threshold: 0.05 }], firing: { severity: 'rollback' as const, text: '> 5%', auto: true, graceMs: 30_000 } },
    ];
    const state = consoleState({
      snapshot: snapshot({ metrics, decision: 'ROLLBACK', reasons: ['error_rate 8.7% > 5%'] }),
      countdown: { metric: 'error_rate', text: '6.1% > 5%', deadline: NOW + 19_000 },
    });
    const { lines } = await open(state);
    const countdown = lines().find((l) => l.includes('AUTO-ROLLBACK'))!;
    expect(countdown).toContain('in 19s (c cancels): error_rate 8.7% > 5%, fired at 6.1%');
    expect(lines().find((l) => l.includes('auto-'))).toMatch(/✗ breach\s.*auto-rb/);
  });
});

describe('read-only, replay and the wording of time', () => {
  it('offers no action in a read-only footer and says why a pressed action did not run', async () => {
    const { type, lines, session } = await open(consoleState({ mode: { readOnly: true, readOnlyReason: '--read-only', dryRun: false, user: 'alice' } }));
    expect(lines()[22]).toMatch(/^enter chart\s+R poll.*q quit$/);
    expect(lines()[22]).not.toMatch(/promote|rollback|restart/);
    await type('p');
    expect(lines()[22]).toContain('read-only (--read-only): promote not run');
    // The press still reaches the session, whose runner refuses it and writes the refusal to the audit log.
    expect(session.calls).toEqual(['run promote']);
  });

  it('says the replay ended instead of data live once the recording ran out', async () => {
    const mode = { readOnly: true, readOnlyReason: 'replaying run.jsonl', dryRun: false, user: 'alice', replay: 'run.jsonl', replayEndsAt: NOW - 60_000 };
    const { lines } = await open(consoleState({ mode }));
    expect(lines()[1]).toContain('replay ended');
    expect(lines()[1]).not.toContain('data live');
  });

  it('counts a 20-second phase in seconds, and past its minimum says so', async () => {
    const phase = (elapsedMs: number) => ({ ...snapshot().phase, elapsedMs, durationMs: 20_000, remainingMs: Math.max(0, 20_000 - elapsedMs) });
    const { lines, session, settle } = await open(consoleState({ snapshot: snapshot({ phase: phase(12_000) }) }));
    expect(lines()[1]).toContain('12s of 20s in phase');
    session.publish({ snapshot: snapshot({ phase: phase(4 * 60_000) }) });
    await settle();
    expect(lines()[1]).toContain('4m in phase, 20s minimum met');
    expect(lines()[1]).not.toContain('of 20s');
  });

  it('shows one clock when the screen is frozen', async () => {
    const { type, lines } = await open();
    await type('f');
    expect(lines()[0]).toMatch(/FROZEN \d\d:\d\d:\d\d$/);
    expect(lines()[0]!.match(/\d\d:\d\d/g)).toHaveLength(1);
  });
});
