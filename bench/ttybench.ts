// Running shared/tools/ttybench from a benchmark: the console and the naive `watch` loop are
// measured by the same tool, the same way.

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (benchmarks run from dist/bench). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TTYBENCH = resolve(ROOT, '..', 'shared', 'tools', 'ttybench');

/** The part of ttybench's JSON report the benchmarks read. */
export interface TtyReport {
  ttff_s: number | null;
  peak_rss_kb: number;
  peak_tree_rss_kb: number;
  steady: {
    updates: number;
    bytes_per_update_mean: number;
    cpu_ms_per_update: number;
    escapes: Record<string, number>;
  };
  exit: { code: number | null; signal: string | null };
}

/** Runs ttybench with these arguments and returns its report. */
export async function ttybench(args: string[]): Promise<TtyReport> {
  const out = await exec('python3', [TTYBENCH, ...args]);
  if (out.code !== 0 && out.code !== 1) throw new Error(`ttybench failed (${out.code}): ${out.stderr.trim().split('\n').pop()}`);
  return JSON.parse(out.stdout) as TtyReport;
}

/** Runs a command without blocking this process's event loop (the server under test lives in it). */
export function exec(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => resolveRun({ code: 127, stdout, stderr: error.message }));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}
