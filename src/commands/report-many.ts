// `rollcall report <dir|profile…>`: the daily review of several rollouts — a summary table first
// (one row a rollout: what it says now, its phase, breaches and actions in the window), then each
// rollout's report one after another. The exit code is the worst, as for `check` (many.ts).

import { DURATION_FORMS, parseDuration } from '../profile/duration.js';
import { jsonSafe, sanitizeLine } from '../util/sanitize.js';
import { markdownSafe } from './check-format.js';
import { ExitCode } from './exit.js';
import { worstExitCode } from './many.js';
import type { ReportOptions } from './report.js';
import type { Review } from './review.js';

/** One rollout's review: its text in the asked format (redacted) and the review itself, or why not. */
export interface Reviewed {
  exitCode: number;
  text?: string;
  review?: Review;
  error?: string;
}

interface Row {
  file: string;
  exitCode: number;
  status: Review['now']['status'] | 'ERROR';
  review?: Review;
  error?: string;
}

export async function reportMany(files: readonly string[], opts: ReportOptions, reviewOne: (file: string, opts: ReportOptions) => Promise<Reviewed>): Promise<number> {
  // Said once rather than once per rollout.
  const windowMs = parseDuration(opts.since);
  if (windowMs === undefined || windowMs <= 0) {
    process.stderr.write(`rollcall report: --since: "${opts.since}" is not a window to review; use ${DURATION_FORMS}, e.g. 24h\n`);
    return ExitCode.usage;
  }
  // One audit file cannot be every rollout's: each reads its own (<state-dir>/<profile>.audit.jsonl).
  if (opts.auditLog !== undefined) {
    process.stderr.write('rollcall report: --audit-log names one rollout\'s audit log; give one profile, or let each read its own\n');
    return ExitCode.usage;
  }
  const rows: Row[] = [];
  const texts: string[] = [];
  for (const file of files) {
    const one = await reviewOne(file, opts);
    rows.push({
      file,
      exitCode: one.exitCode,
      status: one.review?.now.status ?? 'ERROR',
      ...(one.review ? { review: one.review } : {}),
      ...(one.error !== undefined ? { error: one.error } : one.review ? {} : { error: 'profile error (see stderr)' }),
    });
    if (one.text !== undefined) texts.push(one.text);
  }
  if (opts.format === 'json') {
    process.stdout.write(`${jsonSafe(JSON.stringify(rows, null, 2))}\n`);
  } else {
    const summary = opts.format === 'markdown' ? summaryMarkdown(rows) : summaryText(rows);
    process.stdout.write([summary, ...texts].join(opts.format === 'markdown' ? '\n---\n\n' : '\n'));
  }
  return worstExitCode(rows.map((r) => r.exitCode));
}

function counts(review: Review): { breaches: number; actions: number } {
  return {
    breaches: review.metrics.reduce((n, m) => n + m.breaches.length, 0),
    actions: review.actions.filter((a) => a.action !== undefined && a.item === undefined).length,
  };
}

function summaryText(rows: readonly Row[]): string {
  const names = rows.map((r) => sanitizeLine(r.review?.profile.name ?? r.file));
  const width = Math.max(...names.map((n) => n.length));
  const lines = rows.map((r, i) => {
    if (!r.review) return `${'ERROR'.padEnd(11)}  ${names[i]!.padEnd(width)}  ${sanitizeLine(r.error ?? '')}`;
    const p = r.review.phase;
    const c = counts(r.review);
    return `${r.status.padEnd(11)}  ${names[i]!.padEnd(width)}  phase ${p.index + 1}/${p.count} ${p.name} ${p.traffic}%  ${c.breaches} breaches, ${c.actions} actions`;
  });
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return markdownSafe(sanitizeLine(text)).replace(/\|/g, '\\|');
}

function summaryMarkdown(rows: readonly Row[]): string {
  const out = ['| rollout | now | phase | traffic | breaches | actions | exit |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (!r.review) {
      out.push(`| ${cell(r.file)} | **ERROR** | — | — | — | — | ${r.exitCode} |`);
      continue;
    }
    const p = r.review.phase;
    const c = counts(r.review);
    out.push(`| ${cell(`${r.review.profile.title} (${r.review.profile.name})`)} | **${r.status}** | ${cell(`${p.index + 1}/${p.count} ${p.name}`)} | ${p.traffic}% | ${c.breaches} | ${c.actions} | ${r.exitCode} |`);
  }
  return `${out.join('\n')}\n`;
}
