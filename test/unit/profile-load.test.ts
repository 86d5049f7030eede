// Loading a profile from disk: what the rest of rollcall gets (defaults, units, phases, actions)
// and what an operator sees when the file itself is the problem.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileOrReport, ProfileError } from '../../src/profile/load.js';
import { loadProfileFile } from '../support/profile-file.js';
import type { Profile } from '../../src/profile/types.js';

const FIXTURE = 'test/fixtures/profiles/checkout.yaml';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-profile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function failure(file: string): Promise<string[]> {
  try {
    await loadProfileFile(file, { env: {} });
  } catch (error) {
    if (error instanceof ProfileError) return error.issues.map((i) => `${i.file}${i.line ? `:${i.line}:${i.col}` : ''}: ${i.message}`);
    throw error;
  }
  throw new Error(`${file} loaded`);
}

describe('the compiled profile', () => {
  let profile: Profile;
  beforeAll(async () => {
    ({ profile } = await loadProfileFile(FIXTURE, { env: {} }));
  });

  it('remembers the file it came from', () => {
    expect(profile.file).toBe(resolve(FIXTURE));
  });

  it('fills in the documented defaults where the profile is silent', () => {
    expect(profile.defaults).toEqual({
      intervalMs: 30_000,
      timeoutMs: 10_000,
      holdMs: 20 * 60_000,
      errorLimit: 3,
      nodata: 'warn',
      historyMs: 2 * 3_600_000,
    });
    expect(profile.metrics.queue_depth).toMatchObject({ unit: 'none', title: 'queue_depth', intervalMs: 30_000, chart: false });
    expect(profile.metrics.failed_jobs!.intervalMs).toBe(60_000);
  });

  it('lists metrics in the order the profile writes them', () => {
    expect(profile.metricIds).toEqual(['error_rate', 'p95_latency', 'failed_jobs', 'queue_depth']);
  });

  it('turns every baseline form into its kind', () => {
    expect(profile.metrics.error_rate!.baseline).toMatchObject({ kind: 'query', source: 'prom' });
    expect(profile.metrics.p95_latency!.baseline).toEqual({ kind: 'start' });
    expect(profile.metrics.failed_jobs!.baseline).toBeUndefined();
  });

  it('converts threshold literals into the metric unit', () => {
    const [errors, latency] = profile.phases[0]!.rules;
    expect(errors!.warn).toEqual({ kind: 'literal', op: '>', threshold: 0.01, text: '> 1%' });
    expect(latency!.rollback).toEqual({ kind: 'literal', op: '>', threshold: 0.8, text: '> 800ms' });
    expect(profile.phases[0]!.success.map((c) => c.condition)).toEqual([
      { kind: 'literal', op: '<', threshold: 0.001, text: '< 0.1%' },
      { kind: 'literal', op: '<', threshold: 0.2, text: '< 200ms' },
    ]);
  });

  it('fills rule defaults and records where each rule was written', () => {
    const jobs = profile.phases[0]!.rules.find((r) => r.metric === 'failed_jobs')!;
    expect(jobs).toMatchObject({ forMs: 0, nodata: 'warn', errorLimit: 3, onError: 'hold', auto: false, graceMs: 60_000, origin: 'rules[2]' });
    expect(jobs.warn).toEqual({ kind: 'count', op: '>', count: 5, windowMs: 3 * 3_600_000, text: '> 5 in 3h' });
    const latency = profile.phases[0]!.rules.find((r) => r.metric === 'p95_latency')!;
    expect(latency).toMatchObject({ auto: true, graceMs: 120_000, forMs: 600_000 });
  });

  it('gives a phase its rule for a metric in place of the profile rule, keeping the rest', () => {
    expect(profile.phases[0]!.rules.map((r) => r.origin)).toEqual(['rules[0]', 'rules[1]', 'rules[2]']);
    expect(profile.phases[1]!.rules.map((r) => r.origin)).toEqual(['rules[1]', 'rules[2]', 'phases[1].rules[0]']);
    expect(profile.phases[1]!.rules[2]!.rollback).toMatchObject({ threshold: 0.01 });
  });

  it('puts the go/no-go checklist first in the first phase only', () => {
    expect(profile.phases[0]!.checklist).toEqual(['On-call paged in', 'Feature flag owner present', 'Dashboards open']);
    expect(profile.phases[1]!.checklist).toEqual([]);
  });

  it('fills phase defaults: title, hold, check-ins', () => {
    expect(profile.phases.map((p) => [p.index, p.name, p.title, p.traffic, p.holdMs, p.durationMs])).toEqual([
      [0, 'canary', 'canary', 10, 20 * 60_000, 48 * 3_600_000],
      [1, 'ramp-50', 'ramp-50', 50, 4 * 3_600_000, 24 * 3_600_000],
      [2, 'full', 'full', 100, 20 * 60_000, undefined],
    ]);
    expect(profile.phases[0]!.checkins).toEqual([{ everyMs: 15 * 60_000, forMs: 8 * 3_600_000 }, { everyMs: 30 * 60_000 }]);
  });

  it('resolves rollbackTo to the named phase and its traffic', () => {
    expect(profile.rollbackTo).toEqual({ phase: 0, traffic: 10 });
  });

  it('gives actions their default keys, effects, confirmations and timeouts', () => {
    expect(profile.actions.promote).toMatchObject({ key: 'p', effect: 'promote', confirm: 'yes', shell: false, timeoutMs: 300_000, title: 'promote' });
    expect(profile.actions.rollback).toMatchObject({ key: 'r', effect: 'rollback', confirm: 'typed', then: 'announce' });
    expect(profile.actions.announce).toMatchObject({ key: 'n', effect: 'none', confirm: 'none', env: {} });
  });

  it('notifies on hold, rollback and action unless told otherwise', () => {
    expect(profile.notify).toEqual([{ type: 'webhook', url: 'http://127.0.0.1:9999/hook', on: ['hold', 'rollback', 'action'] }]);
  });

  it('sizes each ring buffer for the longest window that reads it', () => {
    // history 2h / 30s, or a phase hold of 4h on error_rate, or the 3h count window at 1m.
    expect(profile.metrics.p95_latency!.capacity).toBe(240 + 2);
    expect(profile.metrics.error_rate!.capacity).toBe(480 + 2);
    expect(profile.metrics.failed_jobs!.capacity).toBe(180 + 2);
  });

  it('caps a ring buffer at 20,000 samples', async () => {
    const text = `name: long
sources: { app: { type: exec, run: [./n.sh] } }
metrics: { n: { source: app, query: "$", interval: 1s } }
defaults: { history: 7d }
phases: [{ name: only, traffic: 100 }]
`;
    const { profile: long } = await loadProfileFile(await write('long.yaml', text), { env: {} });
    expect(long.metrics.n!.capacity).toBe(20_000);
  });

  it('reads rollbackTo as a traffic share when it is a number, and as 0 when absent', async () => {
    const base = 'name: x\nsources: { a: { type: exec, run: [x] } }\nmetrics: {}\nphases: [{ name: one, traffic: 10 }]\n';
    const { profile: share } = await loadProfileFile(await write('share.yaml', `${base}rollbackTo: 5\n`), { env: {} });
    expect(share.rollbackTo).toEqual({ phase: null, traffic: 5 });
    const { profile: none } = await loadProfileFile(await write('none.yaml', base), { env: {} });
    expect(none.rollbackTo).toEqual({ phase: null, traffic: 0 });
  });
});

describe('rules that say only what no data or source errors mean', () => {
  const text = `name: cache
sources: { redis: { type: http, url: "http://127.0.0.1:9" } }
metrics:
  redis_ping: { source: redis, path: /ping, query: "@duration", unit: milliseconds }
  hit_rate: { source: redis, query: $.hit_rate, unit: ratio }
rules:
  - { metric: redis_ping, title: Redis unavailable, onError: rollback, errorLimit: 3, auto: true, grace: 30s }
  - { metric: hit_rate, nodata: breach }
phases: [{ name: canary, traffic: 10 }]
actions:
  rollback: { run: [flagctl, off] }
`;

  it('loads a rule without a condition when it sets onError or nodata, with no issues', async () => {
    const { profile, warnings } = await loadProfileFile(await write('no-condition.yaml', text), { env: {} });
    expect(warnings).toEqual([]);
    const [ping, hits] = profile.phases[0]!.rules;
    expect(ping).toEqual({
      metric: 'redis_ping',
      title: 'Redis unavailable',
      forMs: 0,
      nodata: 'warn',
      errorLimit: 3,
      onError: 'rollback',
      auto: true,
      graceMs: 30_000,
      origin: 'rules[0]',
    });
    expect(hits).toMatchObject({ metric: 'hit_rate', nodata: 'breach', onError: 'hold', auto: false });
    for (const rule of [ping, hits]) {
      expect(rule!.info ?? rule!.warn ?? rule!.rollback).toBeUndefined();
    }
  });

  it('sizes the ring buffer of a metric whose only rule has no condition by the history alone', async () => {
    const { profile } = await loadProfileFile(await write('no-condition-capacity.yaml', text), { env: {} });
    // history 2h at the default 15s interval.
    expect(profile.metrics.redis_ping!.capacity).toBe(480 + 2);
  });
});

describe('problems with the file itself', () => {
  it('reports a missing file', async () => {
    const file = join(dir, 'absent.yaml');
    expect(await failure(file)).toEqual([`${file}: no such file`]);
  });

  it('reports a directory', async () => {
    const sub = join(dir, 'profiles.yaml');
    await mkdir(sub, { recursive: true });
    expect(await failure(sub)).toEqual([`${sub}: is a directory`]);
  });

  it('reports an empty file at 1:1', async () => {
    const file = await write('empty.yaml', '');
    expect(await failure(file)).toEqual([`${file}:1:1: the file is empty`]);
  });

  it('reports malformed YAML at its line and column', async () => {
    const file = await write('malformed.yaml', 'name: x\nphases:\n  - name: "unclosed\n');
    const [line] = await failure(file);
    expect(line).toMatch(new RegExp(`^${file}:4:1: YAML: Missing closing "quote`));
  });
});

describe('loadProfileOrReport', () => {
  it('prints every issue as file:line:col: path: message and returns exit code 3', async () => {
    const file = await write('two-errors.yaml', 'name: x\nsources: {}\nmetrics: {}\nphases: [{ name: one, traffic: 10 }]\nrollbackTo: two\ncolour: red\n');
    const printed: string[] = [];
    const result = await loadProfileOrReport(file, { env: {}, stderr: (t) => printed.push(t) });
    expect(result).toEqual({ exitCode: 3 });
    expect(printed.join('')).toBe(
      `${file}:5:13: rollbackTo: unknown phase "two"; phases: one, or a traffic share such as 0\n` +
        `${file}:6:1: colour: unknown key "colour"; allowed here: $schema, name, title, description, owner, links, defaults, sources, metrics, rules, phases, rollbackTo, checklist, rollbackChecklist, actions, notify, state\n`,
    );
  });

  it('returns the profile and prints its warnings', async () => {
    const file = await write('warned.yaml', 'name: x\nsources: {}\nmetrics: {}\nphases: [{ name: one, traffic: 50 }, { name: two, traffic: 10 }]\n');
    const printed: string[] = [];
    const result = await loadProfileOrReport(file, { env: {}, stderr: (t) => printed.push(t) });
    expect('profile' in result && result.profile.name).toBe('x');
    expect(printed).toEqual([`${file}:4:60: phases[1].traffic: warning: traffic goes down from 50% in "one" to 10% in "two"\n`]);
  });

  it('returns warnings alongside the profile', async () => {
    const file = await write('warned-too.yaml', 'name: x\nsources: {}\nmetrics: {}\nphases: [{ name: one, traffic: 50 }, { name: two, traffic: 10 }]\n');
    const { warnings } = await loadProfileFile(file, { env: {} });
    expect(warnings.map((w) => [w.path, w.severity])).toEqual([['phases[1].traffic', 'warning']]);
  });
});
