// Several rollouts in one command (`rollcall check profiles/`, `rollcall report a.yaml b.yaml`):
// which files the arguments name, which exit code is the worst, and one row per rollout in text,
// markdown or JSON. An on-call engineer's check-in is "how are all of them?".

import { stat } from 'node:fs/promises';
import { profilesIn } from '../profile/files.js';
import type { CheckReport } from './check-format.js';
import { markdownSafe, utc } from './check-format.js';
import { ExitCode } from './exit.js';
import { readDefaultSet } from './default-set.js';
import { jsonSafe, sanitizeLine } from '../util/sanitize.js';
import { truncate } from '../view/format.js';

/**
 * Exit codes from the one that most needs a human to the one that needs nobody. ROLLBACK first:
 * something is breaking now. Rolled back next: safe, but nothing moves until someone acts.
 * Unreachable sources and a profile that cannot be judged come before HOLD because their verdict
 * is unknown — one of them may hide a ROLLBACK, and a cron job reading 1 as "wait" must not miss
 * them; unreachable (an outage, perhaps the incident itself) before a profile error (a mistake in
 * a file). HOLD then green.
 */
export const SEVERITY: readonly number[] = [ExitCode.rollback, ExitCode.rolledBack, ExitCode.unreachable, ExitCode.usage, ExitCode.hold, ExitCode.green];

/** The worst of the codes by SEVERITY; an unknown code counts as a usage error. */
export function worstExitCode(codes: readonly number[]): number {
  let worst: number = ExitCode.green;
  const rank = (c: number): number => {
    const i = SEVERITY.indexOf(c);
    return i < 0 ? SEVERITY.indexOf(ExitCode.usage) : i;
  };
  for (const c of codes) if (rank(c) < rank(worst)) worst = SEVERITY.includes(c) ? c : ExitCode.usage;
  return worst;
}

/** What the arguments name: one file (the detailed output of today) or several (one row each). */
export type Rollouts = { single: string } | { files: string[] } | { error: string };

/**
 * A directory means every `*.yaml` / `*.yml` directly in it, by name; a file is taken as given
 * (its loader says what is wrong with it). One file argument keeps the single-rollout output; a
 * directory is always several, so scripts see one shape for it however many it holds.
 */
export async function resolveRollouts(args: readonly string[], env: Record<string, string | undefined> = process.env): Promise<Rollouts> {
  if (args.length === 0) {
    // None named: the default set of the user's config file (default-set.ts), or how to write one.
    const set = await readDefaultSet(env);
    return 'error' in set ? set : resolveRollouts(set.paths);
  }
  const files: string[] = [];
  let sawDir = false;
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(arg);
      continue;
    }
    sawDir = true;
    let found: string[];
    try {
      found = profilesIn(arg);
    } catch (error) {
      return { error: `${arg}: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (found.length === 0) return { error: `${arg}: no profiles (*.yaml) in this directory` };
    files.push(...found);
  }
  const unique = [...new Set(files)];
  return !sawDir && unique.length === 1 ? { single: unique[0]! } : { files: unique };
}

/**
 * `work` on every item, at most `limit` at a time, results in item order. A check mostly waits (on
 * a second scrape, on a backfill), so rollouts overlap; the limit keeps a directory of fifty from
 * opening every source at once.
 */
export async function eachLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One rollout's check as the several-rollout output lists it: its report, or why there is none. */
export interface RolloutCheck {
  file: string;
  exitCode: number;
  /** The report's status; `ERROR` when the profile or its state could not be judged at all. */
  status: CheckReport['status'] | 'ERROR';
  report?: CheckReport;
  /** Why there is no report (a profile error, a state store that cannot be read). */
  error?: string;
}

const REASON_COLUMNS = 100;

function statusWord(r: RolloutCheck): string {
  return r.exitCode === ExitCode.unreachable ? 'UNREACHABLE' : r.status;
}

function phaseText(report: CheckReport): string {
  const p = report.phase;
  return `phase ${p.index + 1}/${p.count} ${p.name} ${p.traffic}%`;
}

function reasonText(r: RolloutCheck): string {
  return truncate(sanitizeLine(r.report?.reasons[0] ?? r.error ?? ''), REASON_COLUMNS);
}

/** `ROLLBACK     checkout  phase 2/4 canary 25%  error_rate 4.1% > 3% …`, one line a rollout. */
export function formatManyText(rows: readonly RolloutCheck[]): string {
  const names = rows.map((r) => sanitizeLine(r.report?.profile.name ?? r.file));
  const width = Math.max(...names.map((n) => n.length));
  const lines = rows.map((r, i) => {
    const phase = r.report ? phaseText(r.report) : 'not judged';
    return `${statusWord(r).padEnd(11)}  ${names[i]!.padEnd(width)}  ${phase}  ${reasonText(r)}`.trimEnd();
  });
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return markdownSafe(sanitizeLine(text)).replace(/\|/g, '\\|');
}

/** A table to paste into a channel: one row a rollout, its exit code, and when it was judged. */
export function formatManyMarkdown(rows: readonly RolloutCheck[]): string {
  const out = ['| rollout | status | phase | traffic | reason | exit |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const p = r.report?.phase;
    const name = r.report ? `${r.report.profile.title} (${r.report.profile.name})` : r.file;
    out.push(
      `| ${cell(name)} | **${statusWord(r)}** | ${p ? cell(`${p.index + 1}/${p.count} ${p.name}`) : '—'} | ${p ? `${p.traffic}%` : '—'} | ${cell(reasonText(r))} | ${r.exitCode} |`,
    );
  }
  const at = rows.find((r) => r.report)?.report?.at;
  if (at) out.push('', `Checked ${utc(at)}.`);
  return `${out.join('\n')}\n`;
}

/** An array, one entry a rollout in argument order; `report` is the single check's CheckReport. */
export function formatManyJson(rows: readonly RolloutCheck[]): string {
  return `${jsonSafe(JSON.stringify(rows, null, 2))}\n`;
}
