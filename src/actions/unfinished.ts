// Actions whose outcome nobody saw. The runner writes (and syncs) `action-start` before it spawns
// a command and `action` when the command ends; a start without its end means rollcall was killed
// while the command ran, and nobody knows whether the rollback (or restart, or promote) happened.
// The next console to open the log says so, in its event log and as an entry of its own, so the
// review after the incident finds it in `history` instead of finding nothing.

import type { AuditEntry } from './audit.js';

/** Every `action-start` without an `action` of the same run after it, oldest first. */
export function unfinishedActions(entries: readonly AuditEntry[]): AuditEntry[] {
  const ended = new Set<string>();
  for (const e of entries) if (e.event === 'action' && e.run !== undefined) ended.add(e.run);
  return entries.filter((e) => e.event === 'action-start' && e.run !== undefined && !ended.has(e.run));
}

/**
 * Whether the console that started it may still be running it: the same host and its process
 * alive. Another console on this machine (a shared store lets two act) must not have its running
 * action declared lost.
 */
export function mayStillRun(start: AuditEntry, host: string): boolean {
  if (start.pid === undefined || start.host !== host) return false;
  if (start.pid === process.pid) return true;
  try {
    process.kill(start.pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The entry that closes a lost run: everything the start said, the outcome unknown, when it was noticed and by whom. */
export function outcomeUnknownEntry(start: AuditEntry, noticed: { at: number; by: string }): AuditEntry {
  const { pid: _, ...rest } = start;
  return {
    ...rest,
    time: new Date(noticed.at).toISOString(),
    event: 'action',
    ok: false,
    outcomeUnknown: true,
    exitCode: null,
    signal: null,
    note: `${start.action ?? 'action'} started ${start.time.replace(/\.\d+Z$/, 'Z')} by ${start.user}@${start.host}: OUTCOME UNKNOWN, rollcall stopped before it ended (noticed by ${noticed.by}); check what it did before acting again`,
  };
}

/**
 * At open: closes every lost run in the log with an outcome-unknown entry and returns those
 * entries, for the event log. A log that cannot be written still gets them said (returned).
 */
export async function closeLostActions(
  audit: { append(entry: AuditEntry): Promise<void> },
  entries: readonly AuditEntry[],
  me: { host: string; by: string; at: number },
): Promise<AuditEntry[]> {
  const lost = unfinishedActions(entries).filter((start) => !mayStillRun(start, me.host));
  const closing = lost.map((start) => outcomeUnknownEntry(start, { at: me.at, by: me.by }));
  await Promise.allSettled(closing.map((entry) => audit.append(entry)));
  return closing;
}
