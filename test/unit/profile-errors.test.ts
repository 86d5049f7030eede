// Profile mistakes as an operator makes them: each one is reported with file:line:col pointing at
// the offending text, the path, what was found and what was expected, and nothing else is wrong.

import { describe, expect, it } from 'vitest';
import { checkProfileText, parseProfile, ProfileError } from '../../src/profile/load.js';
import { formatIssue, type ProfileIssue } from '../../src/profile/issues.js';

const FILE = 'profiles/checkout.yaml';

const SOURCES = `sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
`;
const METRICS = `metrics:
  error_rate: { source: prom, query: "sum(rate(errors_total[5m]))", unit: ratio }
  latency: { source: prom, query: "histogram_quantile(0.95, sum by (le) (rate(latency_bucket[5m])))", unit: seconds }
`;
const PHASES = `phases:
  - { name: canary, traffic: 10 }
  - { name: full, traffic: 100 }
`;

/** A valid profile with `extra` sections appended (or replacing the named defaults). */
function profile(extra: string, parts: { sources?: string; metrics?: string; phases?: string } = {}): string {
  return `name: checkout\n${parts.sources ?? SOURCES}${parts.metrics ?? METRICS}${parts.phases ?? PHASES}${extra}`;
}

function issues(text: string): ProfileIssue[] {
  return checkProfileText(text, FILE, { env: {} }).issues;
}

function lines(text: string): string[] {
  return issues(text).map(formatIssue);
}

/** `FILE:line:col` of the character `shift` after the start of `needle` (its `nth` occurrence) in `text`. */
function at(text: string, needle: string, nth = 0, shift = 0): string {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" is not in the profile text`);
  }
  const before = text.slice(0, index + shift).split('\n');
  return `${FILE}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('a valid profile', () => {
  it('loads without issues', () => {
    expect(lines(profile(''))).toEqual([]);
  });
});

describe('YAML and file-level mistakes', () => {
  it('reports malformed YAML with the parser position and message, and nothing else', () => {
    const text = 'name: checkout\nsources: { prom: { type: prometheus\nmetrics: {}\n';
    expect(lines(text)).toEqual([`${FILE}:3:1: YAML: Flow map in block collection must be sufficiently indented and end with a }`]);
  });

  it('reports a key written twice at the second one', () => {
    const text = profile('title: one\ntitle: two\n');
    expect(lines(text)).toEqual([`${at(text, 'title: two')}: YAML: Map keys must be unique`]);
  });

  it('reports an empty file at 1:1', () => {
    expect(lines('')).toEqual([`${FILE}:1:1: the file is empty`]);
    expect(lines('\n  \n')).toEqual([`${FILE}:1:1: the file is empty`]);
  });

  it('reports a file of only comments as empty', () => {
    expect(lines('# nothing yet\n')).toEqual([`${FILE}:1:1: the file is empty (only comments)`]);
  });

  it('reports a document that is not a map', () => {
    expect(lines('- a\n- b\n')).toEqual([`${FILE}:1:1: a profile is a map with name, sources, metrics and phases; found a list`]);
  });

  it('asks for one document when the file holds two', () => {
    const text = `${profile('')}---\nname: other\n`;
    expect(lines(text)).toEqual([`${at(text, '---')}: a profile is one YAML document; remove the second ---`]);
  });
});

describe('schema mistakes', () => {
  it('names the expected and the found type', () => {
    const text = profile('', { phases: 'phases:\n  - { name: canary, traffic: "ten" }\n' });
    expect(lines(text)).toEqual([`${at(text, '"ten"')}: phases[0].traffic: expected a number, found "ten"`]);
  });

  it('reports a missing required key at the map that lacks it', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { query: "up", unit: ratio }\n' });
    expect(lines(text)).toEqual([`${at(text, '{ query')}: metrics.error_rate: missing key "source": expected a string`]);
  });

  it('suggests the nearest allowed key for an unknown one', () => {
    const text = profile('rules:\n  - { metric: error_rate, warn: "> 1%", fro: 5m }\n');
    expect(lines(text)).toEqual([`${at(text, 'fro:')}: rules[0].fro: unknown key "fro" (did you mean "for"?)`]);
  });

  it('lists the allowed keys when no known key is close', () => {
    const text = profile('colour: blue\n');
    const [line] = lines(text);
    expect(line).toMatch(new RegExp(`^${at(text, 'colour')}: colour: unknown key "colour"; allowed here: .*name, .*phases`));
  });

  it('suggests a key inside a baseline, whichever form was meant', () => {
    const text = profile('', {
      metrics: 'metrics:\n  error_rate: { source: prom, query: "up", unit: ratio, baseline: { queryy: "up" } }\n',
    });
    expect(lines(text)).toEqual([`${at(text, 'queryy')}: metrics.error_rate.baseline.queryy: unknown key "queryy" (did you mean "query"?)`]);
  });

  it('suggests the source type that was meant', () => {
    const text = profile('', { sources: 'sources:\n  prom: { type: promethues, url: "http://127.0.0.1:9090" }\n' });
    expect(lines(text)).toEqual([
      `${at(text, 'promethues')}: sources.prom.type: unknown type "promethues" (did you mean "prometheus"?); expected one of prometheus, postgres, http, scrape, exec, replay`,
    ]);
  });

  it('reports a bad duration with the accepted forms', () => {
    const text = profile('defaults: { hold: 5 minutes }\n');
    expect(lines(text)).toEqual([`${at(text, '5 minutes')}: defaults.hold: "5 minutes" is not a duration; use 30s, 5m, 1h, 2d, 1w, 500ms or 1h30m`]);
  });

  it('reports a number where a duration belongs as such', () => {
    const text = profile('defaults: { interval: 30, timeout: 10 }\n');
    expect(lines(text)).toEqual([
      `${at(text, '30,')}: defaults.interval: expected a duration of at most 1h: 30s, 5m, 1h, 2d, 1w, 500ms or 1h30m, found 30`,
      `${at(text, 'timeout: 10', 0, 9)}: defaults.timeout: expected a duration: 30s, 5m, 1h, 2d, 1w, 500ms or 1h30m, found 10`,
    ]);
  });

  it('reports an unknown unit with the nearest one', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: "up", unit: second }\n' });
    expect(lines(text)).toEqual([
      `${at(text, 'second')}: metrics.error_rate.unit: expected one of ratio, percent, seconds, milliseconds, bytes, count, per_second, none, found "second" (did you mean "seconds"?)`,
    ]);
  });

  it('reports a condition that is not one, with the forms it can take', () => {
    const text = profile('rules:\n  - { metric: error_rate, rollback: "more than 2%" }\n');
    const [line] = lines(text);
    expect(line).toContain(`${at(text, '"more than')}: rules[0].rollback: "more than 2%" is not a condition`);
    expect(line).toContain('"> 2x baseline"');
  });

  it('asks for at least one phase', () => {
    const text = profile('', { phases: 'phases: []\n' });
    expect(lines(text)).toEqual([`${at(text, '[]')}: phases: a profile needs at least one phase`]);
  });

  it('reports a missing phases key at the top of the file', () => {
    const text = profile('', { phases: '' });
    expect(lines(text)).toEqual([`${FILE}:1:1: missing key "phases": expected a list`]);
  });

  it('reports a name that is not an id', () => {
    const text = profile('', { phases: 'phases:\n  - { name: "first phase", traffic: 10 }\n' });
    expect(lines(text)).toEqual([
      `${at(text, '"first phase"')}: phases[0].name: "first phase" is not valid here: use letters, digits, _ . - and start with a letter or _`,
    ]);
  });

  it('reports every mistake in the file, not only the first', () => {
    const text = profile('rules:\n  - { metric: error_rat, warn: "> 1%" }\n', {
      sources: 'sources:\n  prom: { type: prometheus, url: "http://127.0.0.1:9090", timout: 5s }\n  web: { type: http, url: "http://127.0.0.1:8080" }\n',
      metrics: 'metrics:\n  error_rate: { source: prom, query: "sum(rate(x[5m])", unit: ratio }\n  status: { source: web, query: "@status", interval: 1 minute }\n',
    });
    expect(issues(text).map((i) => i.path)).toEqual(['sources.prom.timout', 'metrics.status.interval', 'rules[0].metric']);
  });

  it('checks the cross-references of the parts that passed while others did not', () => {
    const text = profile('rules:\n  - { metric: error_rate, warn: "> 1%" }\n', {
      sources: 'sources:\n  prom: { type: prometheus, url: "http://127.0.0.1:9090" }\n  web: { type: htp, url: "http://127.0.0.1:8080" }\n',
      metrics: 'metrics:\n  error_rate: { source: prom, query: "sum(rate(x[5m])", unit: ratio }\n  status: { source: web, query: "@status" }\n',
    });
    expect(issues(text).map((i) => i.path)).toEqual(['sources.web.type', 'metrics.error_rate.query']);
  });
});

describe('cross-reference mistakes', () => {
  it('reports an unknown metric in a rule with the nearest one', () => {
    const text = profile('rules:\n  - { metric: eror_rate, warn: "> 1%" }\n');
    expect(lines(text)).toEqual([`${at(text, 'eror_rate')}: rules[0].metric: unknown metric "eror_rate" (did you mean "error_rate"?); metrics: error_rate, latency`]);
  });

  it('reports an unknown metric in a success criterion', () => {
    const text = profile('', { phases: 'phases:\n  - { name: canary, traffic: 10, success: ["errors < 1%"] }\n' });
    expect(lines(text)).toEqual([`${at(text, '"errors')}: phases[0].success[0]: unknown metric "errors"; metrics: error_rate, latency`]);
  });

  it('reports an unknown source with the nearest one', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: promm, query: "up", unit: ratio }\n' });
    expect(lines(text)).toEqual([`${at(text, 'promm')}: metrics.error_rate.source: unknown source "promm" (did you mean "prom"?); sources: prom`]);
  });

  it('reports an unknown baseline source', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: "up", baseline: { query: "up", source: stable } }\n' });
    expect(lines(text)).toEqual([`${at(text, 'stable')}: metrics.error_rate.baseline.source: unknown source "stable"; sources: prom`]);
  });

  it('reports a threshold whose unit cannot apply to the metric', () => {
    const text = profile('rules:\n  - { metric: error_rate, warn: "> 200ms" }\n');
    expect(lines(text)).toEqual([
      `${at(text, '"> 200ms"')}: rules[0].warn: "200ms" cannot be compared with a metric in ratio; write 2% or 0.02 (metric error_rate is in ratio)`,
    ]);
  });

  it('reports a unit mismatch in a success criterion', () => {
    const text = profile('', { phases: 'phases:\n  - { name: canary, traffic: 10, success: ["latency < 1%"] }\n' });
    expect(lines(text)).toEqual([
      `${at(text, '"latency')}: phases[0].success[0]: "1%" cannot be compared with a metric in seconds; write 200ms or 0.2 (metric latency is in seconds)`,
    ]);
  });

  it('reports a unit mismatch in a difference from the baseline', () => {
    const text = profile('rules:\n  - { metric: latency, warn: "> +5% start", rollback: "> +2GB start" }\n');
    expect(lines(text)).toEqual([
      `${at(text, '"> +2GB')}: rules[0].rollback: "+2GB" cannot be compared with a metric in seconds; write 200ms or 0.2 (metric latency is in seconds)`,
    ]);
  });

  it('asks for a baseline when a rule compares with one', () => {
    const text = profile('rules:\n  - { metric: latency, rollback: "> 2x baseline" }\n');
    expect(lines(text)).toEqual([
      `${at(text, '"> 2x')}: rules[0].rollback: "> 2x baseline" compares with the baseline, but metric latency has none: add baseline: to metric latency`,
    ]);
  });

  it('asks for a condition, or what no data or errors mean, in a rule that has neither', () => {
    const text = profile('rules:\n  - { metric: latency, for: 5m }\n');
    expect(lines(text)).toEqual([
      `${at(text, '{ metric: latency')}: rules[0]: the rule for latency has no condition; add info:, warn: or rollback: (e.g. rollback: "> 2%"), or say what no data or source errors mean with nodata: or onError: (e.g. onError: rollback)`,
    ]);
  });

  it('asks for a rule of its own even when the defaults say no data is a breach', () => {
    const text = profile('defaults: { nodata: breach }\nrules:\n  - { metric: latency, errorLimit: 5 }\n');
    expect(lines(text)).toEqual([
      `${at(text, '{ metric: latency')}: rules[0]: the rule for latency has no condition; add info:, warn: or rollback: (e.g. rollback: "> 2%"), or say what no data or source errors mean with nodata: or onError: (e.g. onError: rollback)`,
    ]);
  });

  it('warns that for: has nothing to hold in a rule without a condition', () => {
    const text = profile('rules:\n  - { metric: latency, onError: rollback, for: 5m }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'for: 5m', 0, 5)}: rules[0].for: warning: for: has no condition to hold (the rule for latency has none); errorLimit: counts the failed polls before onError: applies`,
    ]);
  });

  it('asks for a rollback condition and action before an automatic rollback', () => {
    const text = profile('rules:\n  - { metric: latency, warn: "> 1s", auto: true }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'true')}: rules[0].auto: auto: true needs something to act on: a rollback: condition, nodata: breach or onError: rollback`,
      `${at(text, 'true')}: rules[0].auto: auto: true needs a rollback action; add actions.rollback with the command to run`,
    ]);
  });

  it('does not take nodata: warn or onError: hold as something for an automatic rollback to act on', () => {
    const actions = 'actions:\n  rollback: { run: [flagctl, off] }\n';
    const text = profile(`rules:\n  - { metric: latency, nodata: warn, onError: hold, auto: true }\n${actions}`);
    expect(lines(text)).toEqual([
      `${at(text, 'true')}: rules[0].auto: auto: true needs something to act on: a rollback: condition, nodata: breach or onError: rollback`,
    ]);
  });

  it('still asks for a rollback action when an automatic rollback acts on source errors', () => {
    const text = profile('rules:\n  - { metric: latency, onError: rollback, auto: true }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'true')}: rules[0].auto: auto: true needs a rollback action; add actions.rollback with the command to run`,
    ]);
  });

  it('reports an unknown rollbackTo phase', () => {
    const text = profile('rollbackTo: canery\n');
    expect(lines(text)).toEqual([`${at(text, 'canery')}: rollbackTo: unknown phase "canery" (did you mean "canary"?); phases: canary, full, or a traffic share such as 0`]);
  });

  it('reports a phase name used twice', () => {
    const text = profile('', { phases: 'phases:\n  - { name: canary, traffic: 10 }\n  - { name: canary, traffic: 50 }\n' });
    expect(lines(text)).toEqual([`${at(text, 'canary', 1)}: phases[1].name: "canary" is already the name of phases[0]; phase names must be unique`]);
  });

  it('warns, without failing, when traffic goes down between phases', () => {
    const text = profile('', { phases: 'phases:\n  - { name: half, traffic: 50 }\n  - { name: quarter, traffic: 25 }\n' });
    const checked = checkProfileText(text, FILE, { env: {} });
    expect(checked.profile).toBeDefined();
    expect(checked.issues.map(formatIssue)).toEqual([`${at(text, '25')}: phases[1].traffic: warning: traffic goes down from 50% in "half" to 25% in "quarter"`]);
  });

  it('asks for a URL the source can use', () => {
    const text = profile('', { sources: 'sources:\n  prom: { type: prometheus, url: "127.0.0.1:9090" }\n' });
    expect(lines(text)).toEqual([`${at(text, '"127')}: sources.prom.url: "127.0.0.1:9090" is not a http or https URL; expected something like http://host:9090`]);
  });
});

describe('query mistakes', () => {
  it('points into a PromQL query at the syntax error', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: "sum(rate(errors_total[5m])) by by (job)", unit: ratio }\n' });
    expect(lines(text)).toEqual([`${at(text, 'by (job)')}: metrics.error_rate.query: PromQL syntax error at "by"`]);
  });

  it('points into a multi-line PromQL block at the line with the error', () => {
    const metrics = [
      'metrics:',
      '  error_rate:',
      '    source: prom',
      '    unit: ratio',
      '    query: |',
      '      sum(rate(errors_total[5m]))',
      '        / sum(rate(requests_total[5m])) )',
      '',
    ].join('\n');
    const text = profile('', { metrics });
    expect(lines(text)).toEqual([`${at(text, '[5m])) )', 0, 7)}: metrics.error_rate.query: PromQL syntax error at ")"`]);
  });

  it('says when a PromQL query ends too early', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: "sum(rate(errors_total[5m])) /" }\n' });
    expect(lines(text)).toEqual([
      `${at(text, '/" }', 0, 1)}: metrics.error_rate.query: PromQL syntax error: the query ends too early (an operand or a closing bracket is missing)`,
    ]);
  });

  it('checks the PromQL of a prometheus baseline', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: "up", baseline: { query: "rate(up[5m]" } }\n' });
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'metrics.error_rate.baseline.query: PromQL syntax error: the query ends too early (an operand or a closing bracket is missing)',
    ]);
  });

  it('asks for a selector or a series name on a scrape source', () => {
    const text = profile('', {
      sources: 'sources:\n  app: { type: scrape, url: "http://127.0.0.1:8080/metrics" }\n',
      metrics: 'metrics:\n  errors: { source: app, query: "rate(errors_total[5m])" }\n  depth: { source: app, query: queue_depth }\n',
    });
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'metrics.errors.query: "rate(errors_total[5m])" is not a series name; a scrape query is a selector { series, match?, mode? } or a bare series name such as http_requests_total',
    ]);
  });

  it('asks for a quantile on a quantile selector', () => {
    const text = profile('', {
      sources: 'sources:\n  app: { type: scrape, url: "http://127.0.0.1:8080/metrics" }\n',
      metrics: 'metrics:\n  p95: { source: app, query: { series: latency_seconds, mode: quantile }, unit: seconds }\n',
    });
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual(['metrics.p95.query.mode: mode quantile needs a quantile, e.g. quantile: 0.95']);
  });

  it('refuses a scrape selector on a prometheus source', () => {
    const text = profile('', { metrics: 'metrics:\n  error_rate: { source: prom, query: { series: errors_total } }\n' });
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual(['metrics.error_rate.query: a prometheus query is PromQL text, not a scrape selector']);
  });

  it('asks for a JSONPath, @status or @duration on an http source', () => {
    const text = profile('', {
      sources: 'sources:\n  web: { type: http, url: "http://127.0.0.1:8080/health" }\n',
      metrics: 'metrics:\n  ok: { source: web, query: "@status" }\n  took: { source: web, query: "@duration", unit: milliseconds }\n  errors: { source: web, query: canary.errors }\n',
    });
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'metrics.errors.query: "canary.errors" is not a JSONPath; an http query is a JSONPath such as $.canary.errors, or @status or @duration',
    ]);
  });

  it('accepts $ for a bare number on an exec source', () => {
    const text = profile('', {
      sources: 'sources:\n  script: { type: exec, run: [./errors.sh] }\n',
      metrics: 'metrics:\n  errors: { source: script, query: "$" }\n  nested: { source: script, query: "$.canary.errors" }\n',
    });
    expect(lines(text)).toEqual([]);
  });
});

describe('action mistakes', () => {
  it('reports a key bound to two actions, naming both', () => {
    const text = profile('actions:\n  restart: { key: x, run: [kubectl, rollout, restart] }\n  drain: { key: x, run: [drain] }\n');
    expect(lines(text)).toEqual([`${at(text, 'x', 1)}: actions.drain.key: key "x" is bound to both "restart" and "drain"; give one of them another key`]);
  });

  it('reports a key the console keeps for itself', () => {
    const text = profile('actions:\n  quiet: { key: q, run: [mute] }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'q,')}: actions.quiet.key: key "q" is the console's own, to quit (the terminal is restored; the rollout is not touched); pick a key other than j k tab space enter [ ] f a R c ? esc q ^C`,
    ]);
  });

  it('reports key a, which shows the sources\' ages, as the console\'s own', () => {
    const text = profile('actions:\n  audit: { key: a, run: [audit] }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'a,')}: actions.audit.key: key "a" is the console's own, to show how old each source’s data is; pick a key other than j k tab space enter [ ] f a R c ? esc q ^C`,
    ]);
  });

  it.each([
    ['Tab', '\\t', 'tab'],
    ['Enter', '\\r', 'enter'],
    ['a newline (Enter)', '\\n', 'enter'],
    ['Ctrl-C', '\\x03', 'ctrl+c'],
    ['ESC', '\\e', 'escape'],
  ])('reports %s as a key the console keeps, at the key', (_, written, name) => {
    const text = profile(`actions:\n  restart: { key: "${written}", run: [restart] }\n`);
    const found = lines(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${escapeRegExp(at(text, `"${written}"`))}: actions\\.restart\\.key: key ${escapeRegExp(name)} is the console's own, to `));
  });

  it.each([
    ['NUL', '\\0', 'NUL cannot be typed as a key'],
    ['Ctrl-A', '\\x01', 'U+0001 is a control character, not a key'],
    ['DEL', '\\x7f', 'backspace is never an action key'],
    ['a C1 control', '\\x85', 'U+0085 is a control character, not a key'],
  ])('reports %s as a key no keypress can reach, at the key', (_, written, why) => {
    const text = profile(`actions:\n  restart: { key: "${written}", run: [restart] }\n`);
    expect(lines(text)).toEqual([`${at(text, `"${written}"`)}: actions.restart.key: ${why}: no keypress could run "restart"; pick a letter, digit or sign`]);
  });

  it('keeps p and r for promote and rollback', () => {
    const text = profile('actions:\n  promote: { run: [go] }\n  restart: { key: p, run: [restart] }\n');
    expect(lines(text)).toEqual([`${at(text, 'p,')}: actions.restart.key: key "p" is kept for promote; pick another key for "restart"`]);
  });

  it('reports an unknown placeholder with the nearest one and the known ones', () => {
    const text = profile('actions:\n  promote: { run: [flagctl, set, "{{phase.trafic}}"] }\n');
    const [line] = lines(text);
    expect(line).toContain(`${at(text, '"{{phase')}: actions.promote.run[2]: unknown placeholder {{phase.trafic}} (did you mean "phase.traffic"?); known: {{profile.name}}`);
  });

  it('reports a then that names no action', () => {
    const text = profile('actions:\n  rollback: { run: [undo], then: anounce }\n  announce: { key: n, run: [say] }\n');
    expect(lines(text)).toEqual([`${at(text, 'anounce')}: actions.rollback.then: unknown action "anounce" (did you mean "announce"?); actions: rollback, announce`]);
  });

  it('reports a then chain that loops', () => {
    const text = profile('actions:\n  a1: { key: o, run: [one], then: a2 }\n  a2: { key: b, run: [two], then: a1 }\n');
    expect(issues(text).map((i) => `${i.path}: ${i.message}`)).toEqual(['actions.a2.then: then: makes a loop: a1 → a2 → a1']);
  });
});

describe('parseProfile', () => {
  it('throws a ProfileError carrying every issue', () => {
    const text = profile('rules:\n  - { metric: nope, warn: "> 1" }\n  - { metric: nada, warn: "> 1" }\n');
    let caught: unknown;
    try {
      parseProfile(text, FILE, { env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProfileError);
    const error = caught as ProfileError;
    expect(error.issues.map((i) => i.path)).toEqual(['rules[0].metric', 'rules[1].metric']);
    expect(error.message).toBe(`${at(text, 'nope')}: rules[0].metric: unknown metric "nope"; metrics: error_rate, latency (and 1 more)`);
  });
});

describe('one broken item in a list', () => {
  it('does not hide the mistakes in the other rules and phases, each reported at its own index', () => {
    const text = profile(
      `rules:
  - { metric: error_rate, warn: "> 1%", for: 5 minutes }
  - { metric: latency, warn: "> 2%" }
  - { metric: eror_rate, warn: "> 1%" }
`,
      {
        phases: `phases:
  - { name: canary, traffic: 10, duraton: 1h }
  - { name: full, traffic: 100, success: ["latncy < 200ms"] }
`,
      },
    );
    const found = lines(text);
    expect(found).toEqual([
      expect.stringMatching(/^profiles\/checkout\.yaml:\d+:\d+: phases\[0\]\.duraton: unknown key "duraton" \(did you mean "duration"\?\)/),
      expect.stringMatching(/^profiles\/checkout\.yaml:\d+:\d+: phases\[1\]\.success\[0\]: unknown metric "latncy" \(did you mean "latency"\?\)/),
      `${at(text, '5 minutes')}: rules[0].for: "5 minutes" is not a duration; use 30s, 5m, 1h, 2d, 1w, 500ms or 1h30m`,
      expect.stringMatching(/^profiles\/checkout\.yaml:\d+:\d+: rules\[1\]\.warn: "2%" cannot be compared with a metric in seconds/),
      expect.stringMatching(/^profiles\/checkout\.yaml:\d+:\d+: rules\[2\]\.metric: unknown metric "eror_rate" \(did you mean "error_rate"\?\)/),
    ]);
  });
});

describe('the rollout state block', () => {
  it('loads a shared postgres store with its URL from the environment', () => {
    const loaded = parseProfile(profile('state: { store: postgres, url: "${ROLLOUT_STATE_DATABASE_URL}", table: ops.rollcall_state }\n'), FILE, {
      env: { ROLLOUT_STATE_DATABASE_URL: 'postgres://rollcall:pw-4242@db:5432/rollouts' },
    }).profile;
    expect(loaded.state).toEqual({ store: 'postgres', url: 'postgres://rollcall:pw-4242@db:5432/rollouts', table: 'ops.rollcall_state' });
  });

  it('keeps the state file when the block says file or is left out', () => {
    expect(parseProfile(profile('state: { store: file }\n'), FILE, { env: {} }).profile.state).toBeUndefined();
    expect(parseProfile(profile(''), FILE, { env: {} }).profile.state).toBeUndefined();
  });

  it('suggests the store that was meant for an unknown one', () => {
    const text = profile('state: { store: postgress, url: "postgres://db/rollouts" }\n');
    expect(lines(text)).toEqual([`${at(text, 'postgress')}: state.store: unknown store "postgress" (did you mean "postgres"?); expected one of file, postgres`]);
  });

  it('rejects a URL that is not postgres://, without printing its password', () => {
    const text = profile('state: { store: postgres, url: "mysql://rollcall:pw-4242@db/rollouts" }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'mysql', 0, -1)}: state.url: "mysql://rollcall:***@db/rollouts" is not a postgres or postgresql URL; expected something like postgres://user@host:5432/db`,
    ]);
  });

  it('asks for the URL of a postgres store', () => {
    const text = profile('state: { store: postgres }\n');
    expect(lines(text)).toEqual([`${at(text, '{ store')}: state: missing key "url": expected a string`]);
  });

  it('rejects a table name it could not quote safely', () => {
    const text = profile('state: { store: postgres, url: "postgres://db/rollouts", table: "Rollout-State" }\n');
    expect(lines(text)).toEqual([
      `${at(text, 'Rollout-State', 0, -1)}: state.table: "Rollout-State" is not valid here: use lower-case letters, digits and _ (at most 63), optionally schema.table`,
    ]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('profile errors quoting hostile profile text', () => {
  it('show control and bidi characters in keys and values escaped, on one line', () => {
    const text = profile('rules:\n  - { metric: "err\\e]0;PWNED\\a\\u202e", warn: "> 1%" }\n');
    const lines = issues(text).map(formatIssue);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(lines.join('\n')).toContain('err\\x1b]0;PWNED\\x07\\u202e');
  });
});

describe('absurd values and reserved names', () => {
  it('rejects an interval of days, saying the most it may be and why', () => {
    const text = profile('defaults: { interval: 30d }\n');
    expect(lines(text)).toEqual([
      `${at(text, '30d')}: defaults.interval: "30d" is too long for an interval: at most 1h, or a breach is seen an hour late (and stale only after three); for slow data, widen the window instead`,
    ]);
  });

  it('rejects a metric interval over an hour, and takes one of exactly an hour', () => {
    const metrics = `metrics:\n  error_rate: { source: prom, query: up, unit: ratio, interval: 61m }\n  latency: { source: prom, query: up, unit: seconds, interval: 1h }\n`;
    const text = profile('', { metrics });
    expect(lines(text)).toEqual([`${at(text, '61m')}: metrics.error_rate.interval: "61m" is too long for an interval: at most 1h, or a breach is seen an hour late (and stale only after three); for slow data, widen the window instead`]);
  });

  it('rejects a metric named __proto__ at its key, instead of losing it', () => {
    const metrics = `metrics:\n  error_rate: { source: prom, query: up, unit: ratio }\n  __proto__: { source: prom, query: up, unit: ratio }\n`;
    const text = profile('', { metrics });
    expect(lines(text)).toEqual([
      `${at(text, '__proto__')}: metrics.__proto__: "__proto__" cannot be a name: JavaScript gives it a meaning on every object (so do constructor and prototype); choose another`,
    ]);
  });

  it('rejects __proto__, constructor and prototype as source and action names, each at its key', () => {
    const sources = `sources:\n  prom: { type: prometheus, url: "http://127.0.0.1:9090" }\n  constructor: { type: prometheus, url: "http://127.0.0.1:9091" }\n`;
    const text = profile('actions:\n  prototype: { run: [echo] }\n  __proto__: { run: [echo] }\n', { sources });
    const reserved = 'is reserved (__proto__, constructor and prototype mean something to every object); choose another name';
    expect(lines(text)).toEqual([
      `${at(text, 'constructor')}: sources.constructor: "constructor" is not a valid id: ${reserved}`,
      `${at(text, 'prototype')}: actions.prototype: "prototype" is not a valid id: ${reserved}`,
      `${at(text, '__proto__')}: actions.__proto__: "__proto__" cannot be a name: JavaScript gives it a meaning on every object (so do constructor and prototype); choose another`,
    ]);
  });

  it('never fails with an internal error when a rule names a metric called constructor', () => {
    const text = profile('rules:\n  - { metric: constructor, warn: "> 1%" }\n');
    const found = lines(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${at(text, 'constructor').replace(/[.]/g, '\\.')}: rules\\[0\\]\\.metric: unknown metric "constructor"`));
  });
});
