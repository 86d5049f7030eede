// The roll call's overview, as pure lines: rows in attention order, what each row says, how many
// fit at 80x24 and 160x48, scrolling with the selection, and rows for profiles that failed to open.

import { describe, expect, it } from 'vitest';
import { overviewModel, overviewOrder, type RollcallEntry, type RollcallUi } from '../../src/view/overview.js';
import { frameText } from '../../src/view/model.js';
import { consoleProfile, consoleState, NOW, rollout, snapshot, status } from '../fixtures/console/state.js';
import { displayWidth } from '../../src/util/width.js';
import type { ConsoleState } from '../../src/console/console-state.js';

const HINTS = [
  { keys: '↑↓', label: 'select' },
  { keys: 'enter', label: 'open' },
  { keys: 'R', label: 'poll all' },
  { keys: 'q', label: 'quit' },
];

function rolloutState(name: string, title: string, extra: Partial<ConsoleState> = {}, snap: Parameters<typeof snapshot>[0] = {}): ConsoleState {
  return consoleState({ profile: consoleProfile({ name, title }), snapshot: snapshot({ profile: name, ...snap }), ...extra });
}

const soaking = rolloutState('soak', 'Soaking service');
const holding = rolloutState('hold', 'Holding service', {}, {
  decision: 'HOLD',
  reasons: ['p95_latency 300ms > 250ms (warn)'],
  metrics: [status('error_rate', { value: 0.001 }), status('p95_latency', { state: 'warn', value: 0.3, firing: { severity: 'warn', text: '> 250ms', auto: false, graceMs: 0 } })],
});
const breaching = rolloutState(
  'breach',
  'Breaching service',
  { countdown: { metric: 'error_rate', text: 'error_rate 5% > 2%', deadline: NOW + 42_000 } },
  {
    decision: 'ROLLBACK',
    reasons: ['error_rate 5% > 2% (rollback)'],
    metrics: [status('error_rate', { state: 'breach', value: 0.05, firing: { severity: 'rollback', text: '> 2%', auto: true, graceMs: 600_000 } }), status('p95_latency', { value: 0.2 })],
  },
);
const ready = rolloutState('ready', 'Ready service', {}, { decision: 'PROMOTE', reasons: ['ready to promote to ramp-50 (50%)'] });
const rolledBack = rolloutState('rolled', 'Rolled-back service', { rollout: rollout({ rolledBack: { at: NOW - 60_000, by: 'bob', traffic: 0, phase: null } }) });

const entry = (state: ConsoleState): RollcallEntry => ({ file: `${state.profile.name}.yaml`, state });

function frame(entries: RollcallEntry[], size: { columns: number; rows: number }, ui: RollcallUi = {}): string[] {
  return frameText(overviewModel({ entries, ui, size, color: false, now: NOW, hints: HINTS }));
}

describe('the roll call overview', () => {
  it('puts the rollout counting down to an automatic rollback first, then rolled back, HOLD, PROMOTE and SOAK', () => {
    const order = overviewOrder([entry(soaking), entry(ready), entry(holding), entry(rolledBack), entry(breaching)]);
    expect(order.map((e) => e.state!.profile.name)).toEqual(['breach', 'rolled', 'hold', 'ready', 'soak']);
  });

  it('lists a profile that could not be opened above HOLD, because its verdict is unknown', () => {
    const broken: RollcallEntry = { file: 'broken.yaml', error: 'broken.yaml:3:5: metrics: expected a map' };
    const order = overviewOrder([entry(soaking), entry(holding), broken]);
    expect(order.map((e) => e.file)).toEqual(['broken.yaml', 'hold.yaml', 'soak.yaml']);
  });

  it('gives each rollout two lines at 80x24: decision, title, phase, traffic and time in phase; then the worst metric, the countdown and the data age', () => {
    const lines = frame([entry(soaking), entry(holding), entry(breaching)], { columns: 80, rows: 24 }, { selected: 'breach.yaml' });
    expect(lines).toHaveLength(23);
    expect(lines[0]).toMatch(/^rollcall roll call · 3 rollouts\s+\d\d:\d\d$/);
    expect(lines[1]).toBe('1 ROLLBACK · 1 HOLD · 1 SOAK');
    expect(lines[2]).toMatch(/^▸ \[ROLLBACK\]\s+Breaching service\s+1\/3 canary · 10% · 6h in phase$/);
    expect(lines[3]).toMatch(/^\s+✗ error rate 5% > 2%\s+auto-rollback in 42s · data live$/);
    expect(lines[4]).toMatch(/^  \[HOLD\]\s+Holding service/);
    expect(lines[5]).toMatch(/! p95 latency 300ms > 250ms\s+data live$/);
    expect(lines[6]).toMatch(/^  \[SOAK\]\s+Soaking service/);
    // Every title starts in the same column, whatever the badge.
    expect(new Set([2, 4, 6].map((i) => lines[i]!.indexOf('service') - lines[i]!.split(' service')[0]!.split(' ').pop()!.length))).toHaveProperty('size', 1);
    expect(lines[22]).toBe('↑↓ select  enter open  R poll all  q quit');
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(79);
  });

  it('gives each rollout one line at 160 columns', () => {
    const lines = frame([entry(soaking), entry(holding), entry(breaching)], { columns: 160, rows: 48 });
    expect(lines).toHaveLength(47);
    expect(lines[2]).toMatch(/^▸ \[ROLLBACK\]\s+Breaching service\s+1\/3 canary · 10% · 6h in phase\s+✗ error rate 5% > 2%\s+auto-rollback in 42s · data live$/);
    expect(lines[3]).toMatch(/^  \[HOLD\]\s+Holding service\s+1\/3 canary/);
    expect(lines[4]).toMatch(/^  \[SOAK\]\s+Soaking service\s+1\/3 canary · 10% · 6h in phase\s+soaking: 6h of 2d, 1d18h to go\s+data live$/);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(159);
  });

  it('fits ten rollouts at 80x24 and scrolls the rest with the selection, saying which are shown', () => {
    const many = Array.from({ length: 14 }, (_, i) => entry(rolloutState(`svc-${String(i).padStart(2, '0')}`, `Service ${i}`)));
    const top = frame(many, { columns: 80, rows: 24 }, { selected: 'svc-00.yaml' });
    expect(top[1]).toMatch(/1-10 of 14$/);
    expect(top.filter((l) => /Service \d+/.test(l))).toHaveLength(10);
    const bottom = frame(many, { columns: 80, rows: 24 }, { selected: 'svc-13.yaml' });
    expect(bottom[1]).toMatch(/5-14 of 14$/);
    expect(bottom.find((l) => l.startsWith('▸'))).toMatch(/Service 13/);
  });

  it('says why a profile could not be opened, on its own row', () => {
    const lines = frame([{ file: 'profiles/broken.yaml', error: 'profiles/broken.yaml:3:5: metrics: expected a map' }, entry(soaking)], { columns: 80, rows: 24 });
    expect(lines[2]).toMatch(/^▸ \[ERROR\]\s+profiles\/broken\.yaml$/);
    expect(lines[3]).toMatch(/⚠ profiles\/broken\.yaml:3:5: metrics: expected a map$/);
    expect(lines[1]).toBe('1 ERROR · 1 SOAK');
  });

  it('shows a rolled-back rollout with the traffic it has now and who rolled it back', () => {
    const lines = frame([entry(rolledBack)], { columns: 80, rows: 24 });
    expect(lines[2]).toMatch(/\[ROLLED BACK\]\s+Rolled-back service\s+1\/3 canary · 0% · 6h in phase/);
  });

  it('asks before quitting while an automatic rollback counts down, in the footer', () => {
    const lines = frame([entry(breaching)], { columns: 80, rows: 24 }, { confirmQuit: { openedAt: NOW, why: 'Breaching service: its automatic rollback stops with this console' } });
    expect(lines[22]).toMatch(/^Quit\? Breaching service: its automatic rollback stops with this console\s+\[y\/N\]$/);
  });

  it('escapes control characters in a title read from a profile', () => {
    const hostile = rolloutState('x', 'Evil\u001b[2J title');
    const lines = frame([entry(hostile)], { columns: 80, rows: 24 });
    expect(lines.join('\n')).not.toContain('\u001b');
  });
});
