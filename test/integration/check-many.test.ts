// `rollcall check <dir>`: every rollout in a directory judged in one call, against real loopback
// /metrics servers — one healthy, one warning (HOLD), one breaching (ROLLBACK), one broken profile.
// One row per rollout in text, a table in markdown, an array in JSON, and the worst exit code.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutCheck } from '../../src/commands/many.js';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';
import { startHttp, type TestHttpServer } from '../support/http.js';

/** The canary's error ratio each rollout's service reports. */
const VALUES: Record<string, number> = { '/healthy': 0.002, '/hold': 0.02, '/rollback': 0.05 };

let server: TestHttpServer;
let dir: string;
let profiles: string;

function profileText(name: string, url: string): string {
  return `name: ${name}
title: ${name} canary
sources:
  svc: { type: scrape, url: "${url}" }
metrics:
  error_rate: { source: svc, unit: ratio, query: { series: app_value } }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 3%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
  - { name: full, traffic: 100 }
`;
}

beforeAll(async () => {
  ensureBuilt();
  server = await startHttp((req, res) => {
    const value = VALUES[req.url ?? ''];
    res.writeHead(value === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(value === undefined ? 'not found\n' : `app_value ${value}\n`);
  });
  dir = await mkdtemp(join(tmpdir(), 'rollcall-many-'));
  profiles = join(dir, 'profiles');
  await mkdir(profiles);
  for (const name of ['healthy', 'hold', 'rollback']) await writeFile(join(profiles, `${name}.yaml`), profileText(name, `${server.url}/${name}`));
  await writeFile(join(profiles, 'README.txt'), 'not a profile');
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { env: onlyEnv({}) });

describe('check over a directory of rollouts', () => {
  it('prints one line per rollout in name order and exits 2, the worst (ROLLBACK)', async () => {
    const { code, stdout } = await run(['check', profiles]);
    expect(code).toBe(2);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^SOAK +healthy +phase 1\/2 canary 10% +/);
    expect(lines[1]).toMatch(/^HOLD +hold +phase 1\/2 canary 10% +.*error_rate.*2(\.0)?%/);
    expect(lines[2]).toMatch(/^ROLLBACK +rollback +phase 1\/2 canary 10% +.*error_rate.*5(\.0)?%/);
  });

  it('makes a table to paste into a channel, a row per rollout with its exit code', async () => {
    const { code, stdout } = await run(['check', profiles, '--format', 'markdown']);
    expect(code).toBe(2);
    const rows = stdout.split('\n').filter((l) => l.startsWith('| '));
    expect(rows[0]).toBe('| rollout | status | phase | traffic | reason | exit |');
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(/^\| healthy canary \(healthy\) \| \*\*SOAK\*\* \| 1\/2 canary \| 10% \| soaking: \d+s of 1h \| 0 \|$/),
      '| hold canary (hold) | **HOLD** | 1/2 canary | 10% | error_rate 2% > 1% (warn) | 1 |',
      '| rollback canary (rollback) | **ROLLBACK** | 1/2 canary | 10% | error_rate 5% > 3% (rollback) | 2 |',
    ]);
    expect(stdout).toMatch(/Checked \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  });

  it('prints an array of rollouts, each with its file, exit code, status and full check report', async () => {
    const { code, stdout } = await run(['check', profiles, '--format', 'json']);
    expect(code).toBe(2);
    const rows = JSON.parse(stdout) as RolloutCheck[];
    expect(rows.map((r) => [r.file, r.exitCode, r.status, r.report?.decision])).toEqual([
      [join(profiles, 'healthy.yaml'), 0, 'SOAK', 'SOAK'],
      [join(profiles, 'hold.yaml'), 1, 'HOLD', 'HOLD'],
      [join(profiles, 'rollback.yaml'), 2, 'ROLLBACK', 'ROLLBACK'],
    ]);
    expect(rows[2]!.report!.metrics[0]).toMatchObject({ id: 'error_rate', value: 0.05, state: 'breach' });
  });

  it('exits with HOLD when no rollout breaches, and green when every one is', async () => {
    expect((await run(['check', join(profiles, 'healthy.yaml'), join(profiles, 'hold.yaml')])).code).toBe(1);
    const green = await run(['check', join(profiles, 'healthy.yaml'), join(profiles, 'healthy.yaml'), '--format', 'json']);
    expect(green.code).toBe(0);
  });

  it('lists a broken profile and a rollout whose source is down as rows of their own, ranked above HOLD', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'name: broken\nphases: []\n');
    const down = join(dir, 'down.yaml');
    await writeFile(down, profileText('down', 'http://127.0.0.1:9/metrics'));
    const withBroken = await run(['check', join(profiles, 'hold.yaml'), broken]);
    expect(withBroken.code).toBe(3);
    expect(withBroken.stdout).toMatch(/^ERROR +.*broken\.yaml +not judged +.*broken\.yaml:/m);
    expect(withBroken.stderr).toContain('broken.yaml');
    const withDown = await run(['check', broken, down, '--format', 'json']);
    expect(withDown.code).toBe(4);
    const rows = JSON.parse(withDown.stdout) as RolloutCheck[];
    expect(rows.map((r) => [r.exitCode, r.status])).toEqual([[3, 'ERROR'], [4, 'HOLD']]);
    expect(rows[0]!.error).toContain('broken.yaml');
    expect((await run(['check', profiles, down])).code).toBe(2);
  });

  it('keeps the detailed report for one profile, and refuses --phase for several', async () => {
    const one = await run(['check', join(profiles, 'hold.yaml')]);
    expect(one.code).toBe(1);
    expect(one.stdout.split('\n').length).toBeGreaterThan(4);
    expect(one.stdout).toContain('hold canary');
    const phase = await run(['check', profiles, '--phase', 'full']);
    expect(phase.code).toBe(3);
    expect(phase.stderr).toContain('--phase judges one rollout');
    const empty = await run(['check', join(dir, 'state-none')]);
    expect(empty.code).toBe(3);
  });
});

describe('report over a directory of rollouts', () => {
  it('prints a summary table first, then each rollout\'s report one after another', async () => {
    const { code, stdout } = await run(['report', profiles, '--since', '1h']);
    expect(code).toBe(0);
    const [summary, ...reports] = stdout.split('\n---\n\n');
    const rows = summary!.split('\n').filter((l) => l.startsWith('| '));
    expect(rows[0]).toBe('| rollout | now | phase | traffic | breaches | actions | exit |');
    // A /metrics scrape has no history to review, so each says what its own report says now.
    expect(reports).toHaveLength(3);
    const now = reports.map((r) => /^Now: \*\*(\w+)\*\*/m.exec(r)?.[1]);
    expect(rows.slice(1).map((r) => r.split(' | ').slice(0, 2))).toEqual([
      ['| healthy canary (healthy)', `**${now[0]}**`],
      ['| hold canary (hold)', `**${now[1]}**`],
      ['| rollback canary (rollback)', `**${now[2]}**`],
    ]);
    expect(now.every((d) => d !== undefined)).toBe(true);
    expect(reports.map((r) => /review\*\* — (.+?) \(/.exec(r)?.[1])).toEqual(['healthy canary', 'hold canary', 'rollback canary']);
  });

  it('exits with the worst code, a rollout whose sources are all down (4), and gives an array in JSON', async () => {
    const down = join(dir, 'down.yaml');
    await writeFile(down, profileText('down', 'http://127.0.0.1:9/metrics'));
    const { code, stdout } = await run(['report', join(profiles, 'healthy.yaml'), down, '--format', 'json']);
    expect(code).toBe(4);
    const rows = JSON.parse(stdout) as Array<{ file: string; exitCode: number; review?: { profile: { name: string } } }>;
    expect(rows.map((r) => [r.exitCode, r.review?.profile.name])).toEqual([[0, 'healthy'], [4, 'down']]);
  });

  it('refuses one --audit-log for several rollouts', async () => {
    const { code, stderr } = await run(['report', profiles, '--audit-log', join(dir, 'a.jsonl')]);
    expect(code).toBe(3);
    expect(stderr).toContain('--audit-log');
  });
});
