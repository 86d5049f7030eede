// The built CLI, run as a child process the way a user or cron runs it.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

/** Builds dist/ when any source is newer than the built CLI, so a test runs the code in the tree. */
export function ensureBuilt(): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const path = join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(path) : e.name.endsWith('.ts') || e.name.endsWith('.tsx') ? statSync(path).mtimeMs : 0);
    }, 0);
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore' });
  if (!existsSync(CLI)) throw new Error('the CLI was not built: run npx tsc -p tsconfig.build.json');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * For runCli's `env`: exactly these variables (runCli adds NO_COLOR), none inherited from the
 * environment the tests run in, so a PROMETHEUS_URL or XDG_STATE_HOME there changes nothing.
 */
export function onlyEnv(vars: Record<string, string>): Record<string, string | undefined> {
  return { ...Object.fromEntries(Object.keys(process.env).map((name) => [name, undefined])), ...vars };
}

export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...opts.env }, cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}
