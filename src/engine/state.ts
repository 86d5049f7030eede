// The rollout state: which phase is current and since when, checklist ticks, rollback.
// Persisted by actions/state-store.ts; read by evaluate.

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
 * Where rollout state lives (a JSON file by default). Only the holder of the lock may change it;
 * a second console opens it read-only and says so.
 */
export interface RolloutStore {
  read(): RolloutState;
  /** Applies fn atomically and persists the result; throws when read-only. */
  update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState>;
  readonly readOnly: boolean;
  /** Why the store is read-only, e.g. `locked by alice@bastion-1 (pid 4242)`. */
  readonly notice?: string;
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

/** The state after a successful rollback: marked rolled back, at the rollback target. */
export function rolledBack(
  state: RolloutState,
  at: number,
  by: string,
  target: { phase: number | null; traffic: number },
): RolloutState {
  return {
    ...state,
    phase: target.phase ?? state.phase,
    phaseStartedAt: at,
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
