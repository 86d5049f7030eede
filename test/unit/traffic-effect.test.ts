// Partial rollbacks that say what they did (seeds 000, 003, 004: "reduce to 5%", "reduce to the
// previous safe level"): `effect: { traffic }` in the profile, the share in the rollout state, and
// the reduced share wherever the console and `check` say how much traffic the new version gets.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { initialState, phaseSet, rolledBack, trafficSet } from '../../src/engine/state.js';
import { buildModel, frameText } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi } from '../../src/view/ui.js';
import { formatCheckMarkdown, formatCheckText, toCheckReport } from '../../src/commands/check-format.js';
import { consoleState, NOW, rollout, snapshot } from '../fixtures/console/state.js';

const FILE = 'profiles/checkout.yaml';
const BASE = `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "sum(rate(errors_total[5m]))", unit: ratio }
phases:
  - { name: canary, traffic: 10 }
  - { name: ramp, traffic: 15 }
actions:
`;

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

describe('effect: { traffic } in a profile', () => {
  it('compiles a fixed share and prev, typed confirmation by default', () => {
    const { profile } = parseProfile(`${BASE}  reduce-to-5: { key: "5", run: [flagctl, "5"], effect: { traffic: 5 } }\n  reduce: { key: d, run: [flagctl, "{{prev.traffic}}"], effect: { traffic: prev } }\n`, FILE, { env: {} });
    expect(profile.actions['reduce-to-5']).toMatchObject({ effect: 'traffic', traffic: 5, confirm: 'typed' });
    expect(profile.actions.reduce).toMatchObject({ effect: 'traffic', traffic: 'prev', confirm: 'typed' });
  });

  it('rejects a share above 100% at the share', () => {
    const issues = lines(`${BASE}  reduce: { run: [flagctl], effect: { traffic: 150 } }\n`);
    expect(issues).toEqual([`${FILE}:10:48: actions.reduce.effect.traffic: expected a number at most 100, found 150`]);
  });

  it('names the unknown key of an effect map', () => {
    const issues = lines(`${BASE}  reduce: { run: [flagctl], effect: { trafic: 5 } }\n`);
    expect(issues.join('\n')).toContain('actions.reduce.effect.trafic: unknown key "trafic" (did you mean "traffic"?)');
  });
});

describe('the share in the rollout state', () => {
  const { profile } = parseProfile(`${BASE}  reduce: { run: [flagctl], effect: { traffic: prev } }\n`, FILE, { env: {} });
  const T0 = Date.UTC(2026, 0, 5, 9);

  it('is in the snapshot until a rollback or a phase move clears it', () => {
    const at15 = phaseSet(initialState(profile.name, T0), 1, T0, 'alice');
    const reduced = trafficSet(at15, 5, 15, T0 + 1_000, 'alice', 'reduce-to-5');
    expect(evaluate(profile, reduced, {}, T0 + 2_000).traffic).toEqual({ share: 5, from: 15, at: T0 + 1_000, by: 'alice', action: 'reduce-to-5' });
    expect(evaluate(profile, rolledBack(reduced, T0 + 3_000, 'alice', profile.rollbackTo), {}, T0 + 4_000).traffic).toBeUndefined();
    expect(evaluate(profile, phaseSet(reduced, 0, T0 + 3_000, 'alice'), {}, T0 + 4_000).traffic).toBeUndefined();
  });

  it('counts a second reduction from the first one’s share', () => {
    const once = trafficSet(initialState(profile.name, T0), 5, 15, T0, 'alice', 'reduce-to-5');
    expect(trafficSet(once, 1, 15, T0 + 1, 'alice', 'reduce-to-1').traffic).toMatchObject({ share: 1, from: 5 });
  });
});

describe('the reduced share on screen and in check', () => {
  const traffic = { share: 5, from: 10, at: NOW - 120_000, by: 'alice@bastion', action: 'reduce-to-5' };
  const state = consoleState({
    rollout: rollout({ traffic }),
    snapshot: snapshot({ traffic }),
  });

  it('heads with the reduced share and the phase share it came from, and marks the phase reduced', () => {
    const model = buildModel({ state, live: state, ui: initialUi, size: { columns: 120, rows: 40 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} });
    const lines = frameText(model);
    expect(lines[1]).toContain('5% traffic (reduced from 10%)');
    expect(lines.find((l) => l.includes('1 canary'))).toContain('current, reduced to 5%');
  });

  it('says it in the text, the markdown and the JSON of check', () => {
    const report = toCheckReport(state.profile, state.snapshot, { exitCode: 0, sources: [], notices: [] });
    expect(report.traffic).toEqual({ share: 5, from: 10, at: new Date(NOW - 120_000).toISOString(), by: 'alice@bastion', action: 'reduce-to-5' });
    const text = formatCheckText(report);
    expect(text).toContain('phase 1/3 canary (5% traffic, reduced from 10%)');
    expect(text).toContain('traffic set to 5% by reduce-to-5 at 2026-03-10 14:03 UTC (alice@bastion)');
    expect(formatCheckMarkdown(report)).toContain('(5% traffic, reduced from 10%)');
  });
});
