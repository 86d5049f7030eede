// The rollout state: which phase is current and since when, checklist ticks, rollback.
// Persisted by actions/state-store.ts; read by evaluate.

import type { Action } from '../profile/types.js';

export interface PhaseMove {
  at: number;
  from: number | null;
  to: number | null;
  by: string;
  /** promote, rollback, set (--phase), reset … */
  reason: string;
}

export interface RolloutState {
  profile: string;
  /** Index into profile.phases. */
  phase: number;
  phaseStartedAt: number;
  /** phase name → checklist item → who ticked it and when. */
  checklist: Record<string, Record<string, { by: string; at: number }>>;
  /** Set by a rollback; its checklist holds the ticks of the profile's rollbackChecklist for this rollback. */
  rolledBack: null | RolledBack;
  paused: boolean;
  history: PhaseMove[];
  /** Set by an action with `effect: { traffic }`: the share now on the new version, within the phase. */
  traffic?: TrafficSet | null;
}

export interface TrafficSet {
  share: number;
  /** The share before: the phase's, or the one an earlier traffic action set. */
  from: number;
  at: number;
  by: string;
  action: string;
}

export interface RolledBack {
  at: number;
  by: string;
  phase: number | null;
  traffic: number;
  /** rollbackChecklist item → who ticked it and when. */
  checklist?: Record<string, { by: string; at: number }>;
}

export function initialState(profile: string, now: number): RolloutState {
  return { profile, phase: 0, phaseStartedAt: now, checklist: {}, rolledBack: null, paused: false, history: [] };
}

/**
 * Where rollout state lives. The JSON file (the default): only the holder of the lock may change
 * it; a second console opens it read-only and says so. A shared database: every console may
 * change it, one change at a time, and each hears the others'.
 */
export interface RolloutStore {
  read(): RolloutState;
  /**
   * Applies fn to the latest state atomically and persists the result; throws when read-only.
   * fn may run on a state newer than read() returned (another console's change): derive from it.
   */
  update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState>;
  /** May change while open: a shared store is read-only while its database is unreachable. */
  readonly readOnly: boolean;
  /** Why the store is read-only, e.g. `locked by alice@bastion-1 (pid 4242)`. */
  readonly notice?: string;
  /**
   * Set while the store cannot be written because it is failing (a shared database that went
   * away), not because it was opened read-only or another console holds it. The rollout must still
   * be able to retreat then: a rollback or a traffic reduction runs, and says its state was not saved.
   */
  readonly unavailable?: string;
  /**
   * Set while the latest change is held in memory only, with why (the disk is full): it is in
   * effect and judged on, and saved when the store can write again. Heard through subscribe.
   */
  readonly unsaved?: string;
  /** Where the state lives and who shares it, for the event log at open (not a warning). */
  readonly about?: string;
  /** Hears every change of the state, and of readOnly/notice. */
  subscribe(listener: (state: RolloutState) => void): () => void;
  close(): Promise<void>;
}

/** The state after a successful promote: the next phase, starting now. */
export function promoted(state: RolloutState, at: number, by: string, phaseCount: number): RolloutState {
  const to = Math.min(state.phase + 1, phaseCount - 1);
  return {
    ...state,
    phase: to,
    phaseStartedAt: at,
    rolledBack: null,
    traffic: null,
    history: [...state.history, { at, from: state.phase, to, by, reason: 'promote' }],
  };
}

/**
 * The state after a successful rollback: marked rolled back, at the rollback target. The phase
 * start stays where it was: a rollback enters no phase, and a `start` baseline re-taken now would
 * be the incident's peak.
 */
export function rolledBack(
  state: RolloutState,
  at: number,
  by: string,
  target: { phase: number | null; traffic: number },
): RolloutState {
  return {
    ...state,
    phase: target.phase ?? state.phase,
    rolledBack: { at, by, phase: target.phase, traffic: target.traffic },
    traffic: null,
    history: [...state.history, { at, from: state.phase, to: target.phase, by, reason: 'rollback' }],
  };
}

/** The state after an operator sets the phase by hand (`--phase NAME`). */
export function phaseSet(state: RolloutState, phase: number, at: number, by: string): RolloutState {
  if (phase === state.phase && !state.rolledBack) return state;
  return {
    ...state,
    phase,
    phaseStartedAt: at,
    rolledBack: null,
    traffic: null,
    history: [...state.history, { at, from: state.phase, to: phase, by, reason: 'set' }],
  };
}

/** The share users get now: a rollback's, else a traffic action's, else the phase's. */
export function currentTraffic(state: RolloutState, phaseTraffic: number): number {
  return state.rolledBack?.traffic ?? state.traffic?.share ?? phaseTraffic;
}

/** `reduced from 15%`: what a traffic action (a partial rollback) did to the share, as every output says it. */
export function trafficChange(traffic: { share: number; from: number }): string {
  return traffic.share === traffic.from ? `unchanged from ${traffic.from}%` : `${traffic.share < traffic.from ? 'reduced' : 'raised'} from ${traffic.from}%`;
}

/** The state after an action set the traffic share (`effect: { traffic }`); the phase stays. */
export function trafficSet(state: RolloutState, share: number, phaseTraffic: number, at: number, by: string, action: string): RolloutState {
  return { ...state, traffic: { share, from: currentTraffic(state, phaseTraffic), at, by, action } };
}

/** An action that takes the rollout back (a rollback, a traffic reduction): it may run while a shared store is down. */
export function isRetreat(action: Pick<Action, 'effect'>): boolean {
  return action.effect === 'rollback' || action.effect === 'traffic';
}

/**
 * Phases that were rolled back and then promoted past (a forced promote out of the rolled-back
 * state): they never completed, whatever the timeline shows after them. A later promote out of
 * the same phase that follows no rollback completes it again.
 */
export function abandonedPhases(history: readonly PhaseMove[]): Set<number> {
  const out = new Set<number>();
  history.forEach((move, i) => {
    if (move.reason !== 'promote' || move.from === null) return;
    const before = history[i - 1];
    if (before?.reason === 'rollback' && before.from !== null) out.add(before.from);
    else out.delete(move.from);
  });
  return out;
}
