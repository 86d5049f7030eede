// What another console changed in the rollout state (through a shared store, or as the lock holder
// a read-only console follows): checklist ticks and traffic changes, as event-log lines. Phase
// moves are the watch loop's news; this console's own changes are said where it makes them.

import { trafficChange, type RolloutState } from '../engine/state.js';
import { ROLLBACK_CHECKLIST_NOTE } from './audit-lines.js';
import type { LogLine } from './event-log.js';

type Ticks = Record<string, { by: string; at: number }>;

export interface Me {
  /** Whether a `by` is this console's operator (`alice@bastion`, or `alice@bastion (auto-rollback)`). */
  mine(by: string): boolean;
  /** Items this console unticked (tickKey): an untick names no one, so these are remembered. */
  ownUnticks: Set<string>;
}

/** The key of an item in `where` (a phase name, or ROLLBACK_CHECKLIST_NOTE) for ownUnticks. */
export function tickKey(where: string, item: string): string {
  return `${where}\u0000${item}`;
}

/** Lines for the changes another console made between two states; takes its unticks off ownUnticks. */
export function othersChanges(before: RolloutState, after: RolloutState, me: Me): LogLine[] {
  if (before === after) return [];
  const lines: LogLine[] = [];
  for (const phase of new Set([...Object.keys(before.checklist), ...Object.keys(after.checklist)])) {
    lines.push(...tickChanges(before.checklist[phase] ?? {}, after.checklist[phase] ?? {}, phase, me));
  }
  // The same rollback on both sides: a new rollback (or a promote) starts its checklist afresh.
  if (before.rolledBack && after.rolledBack && before.rolledBack.at === after.rolledBack.at) {
    lines.push(...tickChanges(before.rolledBack.checklist ?? {}, after.rolledBack.checklist ?? {}, ROLLBACK_CHECKLIST_NOTE, me));
  }
  const traffic = after.traffic;
  if (traffic && (traffic.at !== before.traffic?.at || traffic.share !== before.traffic?.share) && !me.mine(traffic.by)) {
    lines.push({ text: `traffic now ${traffic.share}% (${trafficChange(traffic)}) by ${traffic.by} (${traffic.action})`, level: 'warn', at: traffic.at });
  }
  return lines;
}

function tickChanges(before: Ticks, after: Ticks, where: string, me: Me): LogLine[] {
  const lines: LogLine[] = [];
  for (const [item, tick] of Object.entries(after)) {
    if (!before[item] && !me.mine(tick.by)) lines.push({ text: `checklist [x] ${item} (${where}) by ${tick.by}`, level: 'ok', at: tick.at });
  }
  for (const item of Object.keys(before)) {
    if (!after[item] && !me.ownUnticks.delete(tickKey(where, item))) lines.push({ text: `checklist [ ] ${item} (${where}) unticked by another console`, level: 'warn' });
  }
  return lines;
}
