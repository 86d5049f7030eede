// A rule's `after:` (how long into the phase before its conditions judge) as an operator writes it:
// each mistake reported at file:line:col, and a delay longer than the phase's minimum warned about.

import { describe, expect, it } from 'vitest';
import { checkProfileText } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';

const FILE = 'profiles/cache.yaml';

function profile(rule: string, phases = '  - { name: warm, traffic: 10, duration: 48h }\n  - { name: full, traffic: 100 }\n'): string {
  return `name: cache
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  hit_rate: { source: prom, query: "sum(rate(hits_total[5m])) / sum(rate(lookups_total[5m]))", unit: ratio }
rules:
  - ${rule}
phases:
${phases}`;
}

function lines(text: string): string[] {
  return checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);
}

/** `FILE:line:col` of the start of `needle` in `text`. */
function at(text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return `${FILE}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('a rule with after:', () => {
  it('loads when it delays a condition by a duration within the phase', () => {
    expect(lines(profile('{ metric: hit_rate, warn: "< 30%", after: 24h }'))).toEqual([]);
  });

  it('names the position of an after: that is not a duration', () => {
    const text = profile('{ metric: hit_rate, warn: "< 30%", after: 24 hours }');
    const [issue] = lines(text);
    expect(issue).toMatch(new RegExp(`^${at(text, '24 hours')}: rules\\[0\\]\\.after: "24 hours" is not a duration`));
  });

  it('refuses an after: of zero, which would delay nothing', () => {
    const text = profile('{ metric: hit_rate, warn: "< 30%", after: 0s }');
    expect(lines(text)).toEqual([`${at(text, '0s')}: rules[0].after: after: must be longer than 0 (it is counted from the phase start)`]);
  });

  it('refuses an after: on a rule with no condition to delay', () => {
    const text = profile('{ metric: hit_rate, nodata: breach, after: 1h }');
    expect(lines(text)).toEqual([
      `${at(text, '1h }')}: rules[0].after: after: delays the rule's conditions, and the rule for hit_rate has none (no data and source errors count from the phase start)`,
    ]);
  });

  it("warns when a phase's own rule waits longer than the phase's minimum duration", () => {
    const text = profile('{ metric: hit_rate, info: "< 1%" }', '  - name: warm\n    traffic: 10\n    duration: 12h\n    rules:\n      - { metric: hit_rate, warn: "< 30%", after: 24h }\n  - { name: full, traffic: 100 }\n');
    expect(lines(text)).toEqual([
      `${at(text, '24h }')}: phases[0].rules[0].after: warning: after: 1d is not within phase warm's 12h minimum: the rule judges only if the phase runs longer`,
    ]);
  });
});
