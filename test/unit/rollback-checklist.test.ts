// The rollback checklist (seed 002's post-rollback actions): written as titled groups in the
// profile, shown and ticked in place of the phase checklist once the rollout is rolled back,
// kept with that rollback in the rollout state, and listed by `rollcall check`.

import { describe, expect, it, vi } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState, promoted, rolledBack } from '../../src/engine/state.js';
import { rollbackChecklistTicked } from '../../src/engine/checklist.js';
import { ConsoleController } from '../../src/console/controller.js';
import { frameText } from '../../src/view/model.js';
import { formatCheckMarkdown, formatCheckText, toCheckReport } from '../../src/commands/check-format.js';
import { consoleProfile, consoleState, FakeSession, NOW, rollout, snapshot } from '../fixtures/console/state.js';

const FILE = 'profiles/checkout.yaml';
const BASE = `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "sum(rate(errors_total[5m]))", unit: ratio }
phases:
  - { name: canary, traffic: 10 }
  - { name: full, traffic: 100 }
actions:
  rollback: { run: [flagctl, set, "0"] }
`;
const CHECKLIST = `rollbackChecklist:
  - Page the incident channel
  - group: Immediate (0-30 minutes)
    items: [Verify application is stable, Monitor error rates return to baseline]
  - group: Long-term (1 week)
    items: [Conduct post-mortem]
`;

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

describe('the rollbackChecklist in a profile', () => {
  it('compiles loose items and titled groups into one ordered list', () => {
    const { profile } = parseProfile(BASE + CHECKLIST, FILE, { env: {} });
    expect(profile.rollbackChecklist).toEqual([
      { item: 'Page the incident channel' },
      { item: 'Verify application is stable', group: 'Immediate (0-30 minutes)' },
      { item: 'Monitor error rates return to baseline', group: 'Immediate (0-30 minutes)' },
      { item: 'Conduct post-mortem', group: 'Long-term (1 week)' },
    ]);
  });

  it('rejects an item listed twice, at the second one, naming the first', () => {
    const text = `${BASE}rollbackChecklist:\n  - group: Immediate\n    items: [Verify stability]\n  - group: Later\n    items: [Write it up, Verify stability]\n`;
    expect(lines(text)).toEqual([
      `${FILE}:15:26: rollbackChecklist[1].items[1]: "Verify stability" is already on the rollback checklist (rollbackChecklist[0].items[0]); each item may appear once`,
    ]);
  });

  it('rejects a group without items and says what a group needs', () => {
    const issues = lines(`${BASE}rollbackChecklist:\n  - group: Immediate\n    items: []\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^profiles\/checkout\.yaml:13:12: rollbackChecklist\[0\]\.items: a group needs at least one item/);
  });

  it('names the unknown key in a group, with the nearest known one', () => {
    expect(lines(`${BASE}rollbackChecklist:\n  - group: Immediate\n    itmes: [Verify]\n`)).toEqual([
      `${FILE}:13:5: rollbackChecklist[0].itmes: unknown key "itmes" (did you mean "items"?)`,
    ]);
  });

  it('says what an entry may be when it is neither an item nor a group', () => {
    expect(lines(`${BASE}rollbackChecklist:\n  - 5\n`)).toEqual([`${FILE}:12:5: rollbackChecklist[0]: expected a string or a map with group, items, found 5`]);
  });
});

describe('the rollback checklist in the engine', () => {
  const { profile } = parseProfile(BASE + CHECKLIST, FILE, { env: {} });

  it('is not part of a snapshot while the rollout is not rolled back', () => {
    const snap = evaluate(profile, initialState(profile.name, T0), {}, T0 + 60_000);
    expect(snap.rollbackChecklist).toBeUndefined();
  });

  it('appears unticked after a rollback and carries each tick with who and when', () => {
    const back = rolledBack(initialState(profile.name, T0), T0 + 60_000, 'alice@bastion', profile.rollbackTo);
    expect(evaluate(profile, back, {}, T0 + 120_000).rollbackChecklist?.every((c) => !c.checked)).toBe(true);
    const ticked = rollbackChecklistTicked(back, 'Conduct post-mortem', { by: 'bob@bastion', at: T0 + 90_000 });
    const items = evaluate(profile, ticked, {}, T0 + 120_000).rollbackChecklist!;
    expect(items.find((c) => c.item === 'Conduct post-mortem')).toEqual({
      item: 'Conduct post-mortem',
      group: 'Long-term (1 week)',
      checked: true,
      by: 'bob@bastion',
      at: T0 + 90_000,
    });
    expect(items.filter((c) => c.checked)).toHaveLength(1);
  });

  it('starts again with the next rollback: a promote clears the ticks with the rollback', () => {
    const back = rolledBack(initialState(profile.name, T0), T0 + 60_000, 'alice', profile.rollbackTo);
    const ticked = rollbackChecklistTicked(back, 'Page the incident channel', { by: 'alice', at: T0 + 61_000 });
    const again = promoted(ticked, T0 + 3_600_000, 'alice', profile.phases.length);
    expect(evaluate(profile, again, {}, T0 + 3_600_000).rollbackChecklist).toBeUndefined();
    const second = rolledBack(again, T0 + 7_200_000, 'alice', profile.rollbackTo);
    expect(evaluate(profile, second, {}, T0 + 7_200_000).rollbackChecklist!.some((c) => c.checked)).toBe(false);
  });

  it('leaves the rollout state alone when asked to tick while not rolled back', () => {
    const state = initialState(profile.name, T0);
    expect(rollbackChecklistTicked(state, 'Page the incident channel', { by: 'a', at: T0 })).toBe(state);
  });
});

const ROLLBACK_ITEMS = [
  { item: 'Verify application is stable', group: 'Immediate (0-30 minutes)', checked: true, by: 'alice@bastion', at: NOW - 60_000 },
  { item: 'Update team on status', group: 'Immediate (0-30 minutes)', checked: false },
  { item: 'Conduct post-mortem', group: 'Long-term (1 week)', checked: false },
];

function rolledBackState() {
  return consoleState({
    profile: consoleProfile({ rollbackChecklist: ROLLBACK_ITEMS.map(({ item, group }) => ({ item, group })) }),
    rollout: rollout({ rolledBack: { at: NOW - 300_000, by: 'alice@bastion', phase: null, traffic: 0 } }),
    snapshot: snapshot({ rolledBack: { at: NOW - 300_000, traffic: 0, phase: null }, rollbackChecklist: ROLLBACK_ITEMS }),
  });
}

describe('the rollback checklist on screen', () => {
  function setup() {
    const session = new FakeSession(rolledBackState());
    const controller = new ConsoleController(session, { size: { columns: 100, rows: 40 }, color: false, onQuit: vi.fn() });
    return { session, controller, screen: () => frameText(controller.getSnapshot()) };
  }

  it('replaces the phase checklist, its groups as headings, with a tally in the header', () => {
    const { controller, screen } = setup();
    controller.press('\t');
    const lines = screen();
    expect(lines[1]).toContain('after rollback 1/3');
    const title = lines.findIndex((l) => l.includes('after rollback 1/3') && l.includes('space ticks'));
    expect(title).toBeGreaterThan(2);
    expect(lines.slice(title + 1, title + 6).map((l) => l.trim())).toEqual([
      'Immediate (0-30 minutes)',
      expect.stringMatching(/^› \[x\] Verify application is stable\s+alice@bastion/),
      '[ ] Update team on status',
      'Long-term (1 week)',
      '[ ] Conduct post-mortem',
    ]);
    expect(lines.some((l) => l.includes('Dashboards open'))).toBe(false);
  });

  it('ticks the selected rollback item with space', () => {
    const { session, controller } = setup();
    controller.press('\t');
    controller.press('j');
    controller.press('j');
    controller.press(' ');
    expect(session.calls).toEqual(['toggle Conduct post-mortem']);
  });
});

describe('the rollback checklist in rollcall check', () => {
  const state = rolledBackState();
  const report = toCheckReport(state.profile, state.snapshot, { exitCode: 0, sources: [], notices: [] });

  it('is in the JSON with each item’s group and tick', () => {
    expect(report.rollbackChecklist).toEqual([
      { item: 'Verify application is stable', group: 'Immediate (0-30 minutes)', checked: true, by: 'alice@bastion', at: new Date(NOW - 60_000).toISOString() },
      { item: 'Update team on status', group: 'Immediate (0-30 minutes)', checked: false },
      { item: 'Conduct post-mortem', group: 'Long-term (1 week)', checked: false },
    ]);
  });

  it('is listed under its headings in the text and the markdown', () => {
    const text = formatCheckText(report);
    expect(text).toContain(
      ['after rollback 1/3', '  Immediate (0-30 minutes)', '    [x] Verify application is stable (alice@bastion, 2026-03-10 14:04 UTC)', '    [ ] Update team on status', '  Long-term (1 week)', '    [ ] Conduct post-mortem'].join('\n'),
    );
    const md = formatCheckMarkdown(report);
    expect(md).toContain(['**After rollback** 1/3', '- Immediate (0-30 minutes)', '  - [x] Verify application is stable — alice@bastion', '  - [ ] Update team on status'].join('\n'));
  });

  it('is absent while the rollout is not rolled back', () => {
    const live = consoleState();
    expect(formatCheckText(toCheckReport(live.profile, live.snapshot, { exitCode: 0, sources: [], notices: [] }))).not.toContain('after rollback');
  });
});
