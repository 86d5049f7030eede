// What both rollout state stores share: the state document (on disk and in a shared database's
// row alike) and how it is checked against the profile, the options and errors of opening a store,
// and `--phase`. The stores are state-store.ts (the file, and openStateStore, which picks) and
// state-store-postgres.ts.

import * as z from 'zod';
import type { Profile } from '../profile/types.js';
import type { Clock } from '../engine/clock.js';
import { phaseSet, type RolloutState, type RolloutStore } from '../engine/state.js';

/** The state directory could not be used, or `--phase` named something the store cannot do. */
export class StateStoreError extends Error {
  override readonly name = 'StateStoreError';
}

export function isStateStoreError(error: unknown): error is StateStoreError {
  return error instanceof StateStoreError;
}

export interface StateStoreOptions {
  dir?: string;
  clock?: Clock;
  /** Who phase moves are recorded as (default: the operator, `alice@bastion-1`). */
  user?: string;
  /** `--phase NAME`: move to this phase on open, recorded in the history. */
  phase?: string;
  /** Follow the file without taking the lock (check, report, `--read-only`). */
  readOnly?: boolean;
}

const move = z.object({
  at: z.number(),
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  by: z.string(),
  reason: z.string(),
});

const tick = z.object({ by: z.string(), at: z.number() });

/** The format this build writes and reads; a document of a later one is never reinterpreted. */
export const STATE_FORMAT = 1;

/**
 * The state document, on disk and in a shared store's row alike: RolloutState plus the current
 * phase's name, so a reordered profile is noticed.
 */
export const stateDocument = z.object({
  version: z.literal(STATE_FORMAT),
  profile: z.string(),
  phase: z.number().int().min(0),
  phaseName: z.string(),
  phaseStartedAt: z.number(),
  checklist: z.record(z.string(), z.record(z.string(), tick)),
  rolledBack: z
    .object({
      at: z.number(),
      by: z.string(),
      phase: z.number().int().nullable(),
      traffic: z.number(),
      checklist: z.record(z.string(), tick).optional(),
    })
    .nullable(),
  paused: z.boolean(),
  history: z.array(move),
  // Written since partial rollbacks were recorded; older files have none.
  traffic: z
    .object({ share: z.number(), from: z.number(), at: z.number(), by: z.string(), action: z.string() })
    .nullable()
    .optional(),
});

export type StateDocument = z.infer<typeof stateDocument>;

/** A document read: the state, or why it was not used (a sentence for the operator). */
export type Loaded = { state: RolloutState } | { problem: string };

/** The index of the phase `--phase NAME` names; throws when the profile has no phase by that name. */
export function phaseIndex(profile: Profile, name: string): number {
  const index = profile.phases.findIndex((p) => p.name === name);
  if (index < 0) {
    throw new StateStoreError(`--phase: no phase named "${name}" in ${profile.name}; phases: ${profile.phases.map((p) => p.name).join(', ')}`);
  }
  return index;
}

/** `--phase NAME`: the move is recorded in the history like any other. */
export async function moveTo(store: RolloutStore, profile: Profile, name: string, why: string | undefined, by: string, clock: Clock): Promise<void> {
  const index = phaseIndex(profile, name);
  if (store.readOnly) throw new StateStoreError(`--phase ${name}: cannot change the rollout state: ${why ?? 'opened read-only'}`);
  await store.update((state) => phaseSet(state, index, clock.now(), by));
}

/** A state document (parsed JSON) checked against the profile; `what` names it in problems. */
export function parseStateDocument(json: unknown, what: string, profile: Profile): Loaded {
  // A later rollcall may have written fields this one would drop on its next write: keep off it.
  const format = typeof json === 'object' && json !== null ? (json as { version?: unknown }).version : undefined;
  if (typeof format === 'number' && format > STATE_FORMAT) {
    return { problem: `${what} was written by a newer rollcall (format ${format}; this one reads format ${STATE_FORMAT})` };
  }
  const parsed = stateDocument.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `${what} is corrupt (${issue.path.join('.') || 'file'}: ${issue.message})` };
  }
  const data = parsed.data;
  if (data.profile !== profile.name) {
    return { problem: `${what} belongs to profile "${data.profile}", not "${profile.name}"` };
  }
  // The name is the identity of a phase: a profile whose phases were reordered still finds it.
  const index = profile.phases.findIndex((p) => p.name === data.phaseName);
  if (index < 0) {
    return { problem: `${what} is at phase "${data.phaseName}", which ${profile.name} no longer has` };
  }
  return {
    state: {
      profile: data.profile,
      phase: index,
      phaseStartedAt: data.phaseStartedAt,
      checklist: data.checklist,
      rolledBack: data.rolledBack,
      paused: data.paused,
      history: data.history,
      traffic: data.traffic ?? null,
    },
  };
}

export function toStateDocument(state: RolloutState, profile: Profile): StateDocument {
  return {
    version: STATE_FORMAT,
    profile: state.profile,
    phase: state.phase,
    phaseName: profile.phases[state.phase]?.name ?? profile.phases[0]!.name,
    phaseStartedAt: state.phaseStartedAt,
    checklist: state.checklist,
    rolledBack: state.rolledBack,
    paused: state.paused,
    history: state.history,
    traffic: state.traffic ?? null,
  };
}
