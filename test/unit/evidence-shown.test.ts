// Where decisions are read, the evidence is shown: the table row says how many samples a metric
// stands on (38/200 requests) and how sure a tested comparison is (p<0.001 n=1,240), at 80 columns
// and wider; check's text, markdown and JSON give n, the rates, effect, p-value and confidence.

import { describe, expect, it } from 'vitest';
import { formatCheckMarkdown, formatCheckText, toCheckReport } from '../../src/commands/check-format.js';
import { buildModel, frameText, type ModelInput } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { displayWidth } from '../../src/util/width.js';
import { initialUi } from '../../src/view/ui.js';
import type { ConsoleState } from '../../src/console/console-state.js';
import type { MetricStatus } from '../../src/engine/types.js';
import { consoleState, snapshot, status } from '../fixtures/console/state.js';

const few: Partial<MetricStatus> = {
  state: 'insufficient',
  value: 0.333,
  samples: { n: 38, min: 200, name: 'requests' },
  reason: 'error_rate not enough data yet: 38/200 requests',
  thresholds: [{ severity: 'rollback', text: '> 2%', threshold: 0.02 }],
};
const tested: Partial<MetricStatus> = {
  state: 'breach',
  value: 0.031,
  baseline: 0.004,
  samples: { n: 250, name: 'requests' },
  significance: { p: 0.0004, effect: 0.027, confidence: 0.95, significant: true, n: 1240, baselineN: 24_000, vs: 0.004, rate: 0.031, method: 'mSPRT', condition: '> 2x baseline significant' },
  firing: { severity: 'rollback', text: '> 2x baseline significant', auto: false, graceMs: 60_000 },
  reason: 'error_rate 3.1% vs 0.4% (p < 0.001, n = 1,240): > 2x baseline significant (rollback)',
  thresholds: [{ severity: 'rollback', text: '> 2x baseline significant' }],
};

function withErrorRate(extra: Partial<MetricStatus>, decision: 'HOLD' | 'ROLLBACK'): ConsoleState {
  const base = snapshot();
  return consoleState({
    snapshot: snapshot({ decision, reasons: [extra.reason!], metrics: [status('error_rate', extra), ...base.metrics.slice(1)] }),
  });
}

function frame(state: ConsoleState, columns: number): string[] {
  const input: ModelInput = { state, live: state, ui: { ...initialUi }, size: { columns, rows: 24 }, keymap: buildKeymap(state.profile), color: false, chartMemo: {} };
  return frameText(buildModel(input));
}

describe('the metric table', () => {
  it('shows an insufficient metric with its count against the minimum, within 80 columns', () => {
    const lines = frame(withErrorRate(few, 'HOLD'), 80);
    const row = lines.find((l) => l.includes('error rate'))!;
    expect(row).toContain('◌ low n');
    expect(row).toMatch(/38\/200/);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(79);
  });

  it('says what the samples are when there is room', () => {
    const row = frame(withErrorRate(few, 'HOLD'), 160).find((l) => l.includes('error rate'))!;
    expect(row).toContain('38/200 requests');
  });

  it('shows a tested comparison with its p-value and count', () => {
    const lines = frame(withErrorRate(tested, 'ROLLBACK'), 120);
    expect(lines.find((l) => l.includes('error rate'))).toContain('p<0.001 n=1,240');
    expect(lines.join('\n')).toContain('error_rate 3.1% vs 0.4% (p < 0.001, n = 1,240)');
  });
});

describe('check', () => {
  const report = (extra: Partial<MetricStatus>, decision: 'HOLD' | 'ROLLBACK') => {
    const state = withErrorRate(extra, decision);
    return toCheckReport(state.profile, state.snapshot, { exitCode: decision === 'HOLD' ? 1 : 2, sources: [], notices: [] });
  };

  it('gives n, the rates, the effect, the p-value, the counts and the confidence in text', () => {
    const text = formatCheckText(report(tested, 'ROLLBACK'));
    expect(text).toContain(
      'error_rate: n = 250 requests; > 2x baseline significant: 3.1% vs 0.4%, effect +2.7%, p < 0.001 (mSPRT, always valid; n = 1,240 vs 24,000), significant at 95%',
    );
    expect(text).toMatch(/^error_rate\s+3.1%\s+0.4%\s+breach/m);
  });

  it('gives the count against the minimum for an insufficient metric in markdown', () => {
    const md = formatCheckMarkdown(report(few, 'HOLD'));
    expect(md).toContain('*insufficient*');
    expect(md).toContain('n = 38 requests (minimum 200)');
  });

  it('carries samples and significance in JSON', () => {
    const json = JSON.parse(JSON.stringify(report(tested, 'ROLLBACK'))) as { metrics: MetricStatus[] };
    expect(json.metrics[0]).toMatchObject({ samples: { n: 250 }, significance: { p: 0.0004, n: 1240, baselineN: 24_000, significant: true, method: 'mSPRT' } });
  });
});
