// What a new leader finds of its predecessor's actions: an `action-start` in the audit log with no
// end, from a process that is gone (the leader was killed with -9 while a rollback ran). Nobody
// knows whether it rolled back. The new leader closes each such run in the audit log as OUTCOME
// UNKNOWN, says so in its log and to the notification targets, and — for an automatic rollback —
// does not start another for the same breach: the command may still be running as an orphan or
// may have done its work, and a second automatic run is exactly the duplicate action the lease is
// there to prevent. The operator decides; a recovery and a new breach count down again as usual.

import { readAudit, type AuditEntry, type AuditLog } from '../actions/audit.js';
import { closeLostActions } from '../actions/unfinished.js';

/** Closes the dead runs in the log (writing their outcome-unknown lines) and returns those lines; none when the log cannot be read. */
export async function closeLostRuns(audit: AuditLog, me: { host: string; by: string; at: number }): Promise<{ lost: AuditEntry[]; problem?: string }> {
  let entries: AuditEntry[];
  try {
    entries = (await readAudit(audit.file)).entries;
  } catch (error) {
    return { lost: [], problem: `cannot look for interrupted actions: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { lost: await closeLostActions(audit, entries, me) };
}
