// Which checklist the operator works through now: the current phase's, or — once the rollout is
// rolled back and the profile says what to do then — the rollback checklist. Space ticks the one
// this returns, the console shows it, and `check` prints it.

import type { ChecklistStatus, Snapshot } from './types.js';

export interface ActiveChecklist {
  kind: 'phase' | 'rollback';
  items: ChecklistStatus[];
}

export function activeChecklist(snapshot: Pick<Snapshot, 'phase' | 'rollbackChecklist'>): ActiveChecklist {
  return snapshot.rollbackChecklist ? { kind: 'rollback', items: snapshot.rollbackChecklist } : { kind: 'phase', items: snapshot.phase.checklist };
}

/** The state after ticking (or unticking) an item of the rollback checklist; unchanged when not rolled back. */
export function rollbackChecklistTicked<S extends { rolledBack: null | { checklist?: Record<string, { by: string; at: number }> } }>(
  state: S,
  item: string,
  tick: { by: string; at: number } | undefined,
): S {
  if (!state.rolledBack) return state;
  const ticks = { ...(state.rolledBack.checklist ?? {}) };
  if (tick) ticks[item] = tick;
  else delete ticks[item];
  return { ...state, rolledBack: { ...state.rolledBack, checklist: ticks } };
}
