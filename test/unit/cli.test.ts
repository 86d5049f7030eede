// `rollcall validate` and `rollcall schema` as an operator or CI runs them: the built CLI in a
// child process, its exit code and what it prints.

import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, onlyEnv, runCli, type CliResult } from '../support/cli.js';

/** The built CLI with nothing but PATH (and NO_COLOR) in its environment. */
function rollcall(...args: string[]): Promise<CliResult> {
  return runCli(args, { env: onlyEnv({ PATH: process.env.PATH ?? '' }) });
}

let dir: string;
beforeAll(async () => {
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'rollcall-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rollcall validate', () => {
  it('prints a summary line per valid profile and exits 0', async () => {
    const run = await rollcall('validate', 'test/fixtures/profiles/checkout.yaml');
    expect(run).toEqual({ code: 0, stdout: 'ok test/fixtures/profiles/checkout.yaml: 4 metrics, 3 phases, 3 actions\n', stderr: '' });
  });

  it('prints every error as file:line:col: path: message and exits 3', async () => {
    const run = await rollcall('validate', 'test/fixtures/profiles/broken.yaml');
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    for (const line of lines) expect(line).toMatch(/^test\/fixtures\/profiles\/broken\.yaml:\d+:\d+: \S+: /);
    expect(lines).toContain('test/fixtures/profiles/broken.yaml:5:22: sources.web.urll: unknown key "urll" (did you mean "url"?)');
    expect(lines).toContain(
      'test/fixtures/profiles/broken.yaml:10:64: metrics.error_rate.query: PromQL syntax error: the query ends too early (an operand or a closing bracket is missing)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('checks every file it is given and exits 3 when any is invalid', async () => {
    const run = await rollcall('validate', 'test/fixtures/profiles/checkout.yaml', join(dir, 'missing.yaml'), dir);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('ok test/fixtures/profiles/checkout.yaml: 4 metrics, 3 phases, 3 actions\n');
    expect(run.stderr).toBe(`${join(dir, 'missing.yaml')}: no such file\n${dir}: is a directory\n`);
  });

  it('reports an empty file', async () => {
    const file = join(dir, 'empty.yaml');
    await writeFile(file, '');
    expect(await rollcall('validate', file)).toEqual({ code: 3, stdout: '', stderr: `${file}:1:1: the file is empty\n` });
  });

  it('treats a missing variable as a warning, so profiles validate in CI without secrets', async () => {
    const file = join(dir, 'env.yaml');
    await writeFile(
      file,
      'name: env\nsources:\n  prom: { type: prometheus, url: "${PROMETHEUS_URL}" }\nmetrics:\n  up: { source: prom, query: up }\nphases: [{ name: one, traffic: 100 }]\n',
    );
    const run = await rollcall('validate', file);
    expect(run).toEqual({
      code: 0,
      stdout: `ok ${file}: 1 metric, 1 phase, 0 actions\n`,
      stderr: `${file}:3:35: sources.prom.url: warning: environment variable PROMETHEUS_URL is not set\n`,
    });
  });

  const shipped = readdirSync('profiles').filter((f) => f.endsWith('.yaml')).map((f) => join('profiles', f));
  it.skipIf(shipped.length === 0)('validates every shipped profile', async () => {
    const files = shipped;
    const run = await rollcall('validate', ...files);
    expect(run.stdout.trimEnd().split('\n').filter(Boolean)).toHaveLength(files.length);
    expect(run.code).toBe(0);
  });

  it('is a usage error without a file', async () => {
    const run = await rollcall('validate');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("missing required argument 'profiles'");
  });
});

describe('rollcall schema', () => {
  it('prints the profile JSON Schema and exits 0', async () => {
    const run = await rollcall('schema');
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(schema).toMatchObject({ $id: 'urn:rollcall:profile', title: 'rollcall profile', type: 'object', additionalProperties: false });
    expect(Object.keys(schema.properties as object)).toEqual(expect.arrayContaining(['name', 'sources', 'metrics', 'rules', 'phases', 'actions']));
  });
});
