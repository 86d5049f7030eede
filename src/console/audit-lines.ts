// Audit log entries as event-log lines: this console's own, replayed at open so a console reopened
// after an SSH drop has its history back, and other consoles' (through the shared audit log), said
// as this console says its own.

import type { Profile } from '../profile/types.js';
import type { AuditEntry } from '../actions/audit.js';
import { formatDuration } from '../profile/duration.js';
import type { EventLevel } from './console-state.js';

/** What quitting (or being stopped) during this console's automatic rollback countdown means, for the event and audit logs. */
export function quitNote(what: string, quit: boolean, countdown: { metric: string; text: string; remainingMs: number } | undefined): string {
  const about = countdown ? `${countdown.metric} ${countdown.text}, ${Math.ceil(countdown.remainingMs / 1_000)}s left` : 'it had ended by the answer';
  return `${what} during the auto-rollback countdown (${about}): ${quit ? 'the rollback will not run from this console' : 'stayed'}`;
}

/** Where a rollback checklist tick is said to belong, in the event log and the audit log's note. */
export const ROLLBACK_CHECKLIST_NOTE = 'after rollback';

export function describeAudit(entry: AuditEntry): { text: string; level: EventLevel } | undefined {
  const who = `by ${entry.user}`;
  switch (entry.event) {
    case 'action': {
      if (entry.outcomeUnknown) return { text: `${entry.note ?? `${entry.action ?? 'action'}: OUTCOME UNKNOWN`} [audit]`, level: 'bad' };
      const how = entry.dryRun ? 'dry run' : entry.ok ? `exit ${entry.exitCode ?? 0}` : `FAILED${entry.exitCode !== undefined && entry.exitCode !== null ? ` exit ${entry.exitCode}` : ''}`;
      const flags = `${entry.forced ? ' (forced)' : ''}${entry.auto ? ' (auto-rollback)' : ''}`;
      return { text: `${entry.action ?? 'action'} ${how}${flags} ${who} [audit]`, level: entry.ok ? 'ok' : 'bad' };
    }
    case 'refused':
      return { text: `${entry.action ?? 'action'} refused ${who}: ${entry.note ?? ''} [audit]`, level: 'warn' };
    case 'checklist':
      return { text: `checklist ${entry.checked ? '[x]' : '[ ]'} ${entry.item ?? ''} (${entry.note === ROLLBACK_CHECKLIST_NOTE ? entry.note : entry.phase}) ${who} [audit]`, level: entry.checked ? 'ok' : 'warn' };
    case 'auto-rollback-start':
      return { text: `auto-rollback countdown: ${entry.note ?? entry.metric ?? ''} [audit]`, level: 'bad' };
    case 'auto-rollback-cancel':
      return { text: `auto-rollback stopped: ${entry.note ?? entry.by ?? ''} [audit]`, level: 'warn' };
    case 'quit':
      return { text: `${entry.note ?? 'quit'} ${who} [audit]`, level: 'warn' };
  }
}

/** `bob@bastion-2 ran restart → exit 0 (1.2s)`: another console's entry, as this console says its own. */
export function describeShared(profile: Profile, entry: AuditEntry): { text: string; level: EventLevel } | undefined {
  const who = `${entry.user}@${entry.host}`;
  switch (entry.event) {
    case 'action': {
      const effect = profile.actions[entry.action ?? '']?.effect;
      if (entry.ok && !entry.dryRun && effect !== undefined && effect !== 'none') return undefined;
      const flags = `${entry.forced ? ' (forced)' : ''}${entry.auto ? ' (auto-rollback)' : ''}`;
      const took = entry.durationMs !== undefined ? ` (${formatDuration(entry.durationMs)})` : '';
      const how = entry.dryRun
        ? 'dry run'
        : entry.ok
          ? `exit ${entry.exitCode ?? 0}${took}`
          : `FAILED${entry.exitCode !== undefined && entry.exitCode !== null ? ` exit ${entry.exitCode}` : ''}${entry.error ? `: ${entry.error}` : entry.timedOut ? ': timed out' : ''}`;
      return { text: `${who} ran ${entry.action ?? 'action'} → ${how}${flags}`, level: entry.dryRun ? 'info' : entry.ok ? 'ok' : 'bad' };
    }
    case 'refused':
      return { text: `${entry.action ?? 'action'} refused on ${who}: ${entry.note ?? 'no reason recorded'}`, level: 'warn' };
    case 'checklist':
      return undefined;
    case 'auto-rollback-start':
      return { text: `auto-rollback countdown on ${who}: ${entry.note ?? entry.metric ?? ''}`, level: 'bad' };
    case 'auto-rollback-cancel':
      return { text: `auto-rollback on ${who} stopped: ${entry.note ?? entry.by ?? ''}`, level: 'warn' };
    case 'quit':
      return { text: `${who}: ${entry.note ?? 'quit'}`, level: 'warn' };
  }
}
