// `rollcall history <profile>`: the audit log, one line per entry (or JSON), for the review after
// the incident. Lines the log could not vouch for (a writer killed mid-line) go to stderr with
// their line numbers; they never hide the entries around them.

import { jsonSafe, sanitizeLine } from '../util/sanitize.js';
import type { CommonOptions } from './common-options.js';
import { checkProfileFile, formatIssue } from '../profile/load.js';
import { auditPath, readAudit, type AuditEntry } from '../actions/audit.js';
import { formatDuration } from '../profile/duration.js';
import { readSharedAudit } from '../actions/shared-audit.js';
import { unfinishedActions } from '../actions/unfinished.js';
import { ExitCode } from './exit.js';

export type HistoryOptions = CommonOptions & { format: 'text' | 'json' };

export async function history(file: string, opts: HistoryOptions): Promise<number> {
  // The log is found by the profile's name alone: a variable unset on this machine must neither
  // hide it nor clutter the output (that is `validate`'s business), so only errors are printed.
  const checked = await checkProfileFile(file, { envMode: 'lenient' });
  const errors = checked.issues.filter((issue) => issue.severity === 'error');
  for (const issue of errors) process.stderr.write(`${formatIssue(issue)}\n`);
  if (!checked.profile) return ExitCode.usage;
  const profile = checked.profile;
  const path = auditPath(profile, opts);

  let read: Awaited<ReturnType<typeof readAudit>> | undefined;
  let where = path;
  // A shared store keeps every console's entries: read those, or this console's file when it cannot.
  if (profile.state) {
    try {
      const shared = await readSharedAudit(profile, profile.state);
      read = shared;
      where = shared.where;
    } catch (error) {
      process.stderr.write(`rollcall history: ${error instanceof Error ? error.message : String(error)}; showing this console's audit log only (${path})\n`);
    }
  }
  try {
    read ??= await readAudit(path);
  } catch (error) {
    process.stderr.write(`rollcall history: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.usage;
  }
  for (const problem of read.problems) process.stderr.write(`${where}: ${problem}\n`);
  if (read.entries.length === 0 && read.problems.length === 0) {
    process.stderr.write(`rollcall history: nothing recorded yet for ${profile.name} (${where})\n`);
  }

  if (opts.format === 'json') {
    process.stdout.write(`${jsonSafe(JSON.stringify(read.entries, null, 2))}\n`);
  } else {
    // A start is news only when no end followed it: then nobody saw what the command did.
    // Entries carry command output and notes from outside: one safe line each.
    const lost = new Set(unfinishedActions(read.entries));
    for (const entry of read.entries) {
      if (entry.event === 'action-start' && !lost.has(entry)) continue;
      process.stdout.write(`${sanitizeLine(formatEntry(entry))}\n`);
    }
  }
  return ExitCode.green;
}

/** `2026-11-24T03:12:09Z alice@bastion rollback canary → exit 0 (4.2s) forced` */
export function formatEntry(entry: AuditEntry): string {
  const time = entry.time.replace(/\.\d+Z$/, 'Z');
  return `${time} ${entry.user}@${entry.host} ${describe(entry)}`;
}

function describe(e: AuditEntry): string {
  switch (e.event) {
    case 'action':
      return `${e.action ?? '?'} ${e.phase} → ${result(e)}${flags(e)}`;
    case 'action-start':
      return `${e.action ?? '?'} ${e.phase} → started, OUTCOME UNKNOWN: no end recorded (rollcall stopped while it ran?)${flags(e)}`;
    case 'refused':
      return `${e.action ?? '?'} ${e.phase} → refused: ${e.note ?? 'no reason recorded'}${flags(e)}`;
    case 'checklist':
      return `checklist ${e.phase} ${e.checked === false ? 'unticked' : 'ticked'} "${e.item ?? '?'}"`;
    case 'auto-rollback-start':
      return `auto-rollback ${e.phase} → countdown ${formatDuration(e.graceMs ?? 0)}${e.note ? `: ${e.note}` : ''}`;
    case 'quit':
      return `console ${e.phase} → ${e.note ?? 'quit'}`;
    case 'auto-rollback-cancel':
      return `auto-rollback ${e.phase} → ${e.by === 'recovered' || e.by === 'rolled back' ? `stopped: ${e.note ?? e.by}` : `cancelled by ${e.by ?? '?'}`}`;
  }
}

function result(e: AuditEntry): string {
  if (e.outcomeUnknown) return `OUTCOME UNKNOWN: ${e.note ?? 'rollcall stopped before it ended'}`;
  const took = ` (${formatDuration(e.durationMs ?? 0)})`;
  if (e.dryRun) return `dry run: ${(e.argv ?? []).join(' ')}`;
  if (e.timedOut) return `timed out${took}`;
  if (e.signal) return `${e.signal}${took}`;
  if (e.error) return e.error;
  if (e.exitCode === null || e.exitCode === undefined) return 'did not run';
  return `exit ${e.exitCode}${took}`;
}

function flags(e: AuditEntry): string {
  const out: string[] = [];
  if (e.forced) out.push('forced');
  if (e.auto) out.push('auto');
  if (e.event === 'action' && e.ok === false && !e.dryRun && !e.outcomeUnknown) out.push('FAILED');
  return out.length > 0 ? ` ${out.join(' ')}` : '';
}
