// A change of the rollout state relayed to the agent that holds the state file's lock: what a
// console beside a leading agent sends on the agent's unix socket, what the agent answers, and the
// rules both sides read it by. A change is a compare-and-swap: the whole next state, and the
// revision of the state it was derived from; the agent applies it only when its state still has
// that revision, else it answers with the state it has, and the console derives again. The agent
// reads a request as hostile (the socket is the user's own, but a request is still only input):
// bounded, the state document's schema, this profile, phases in range, history only appended to.

import * as z from 'zod';
import type { Profile } from '../profile/types.js';
import type { RolloutState } from '../engine/state.js';
import type { ActionOutcome } from './outcome.js';
import { parseStateDocument, toStateDocument, type StateDocument } from './state-document.js';

/** A relayed state (its JSON) larger than this is refused: years of phase moves fit in far less. */
export const MAX_RELAYED_BYTES = 256 * 1024;
/** How long a console waits for the agent's answer; the agent applies nothing asked longer ago. */
export const RELAY_TIMEOUT_MS = 3_000;

export interface UpdateRequest {
  type: 'update';
  id: string;
  /** The revision (stateRevision) of the state `next` was derived from. */
  base: string;
  next: StateDocument;
  /** The operator, `alice@bastion-1`: the agent's log names who changed the rollout. */
  by: string;
  /** Epoch ms (one host, one clock): past it the console has given up, so the agent applies nothing. */
  deadline: number;
}

/** `unsaved`: the agent holds its state in memory only (its disk refused it; RolloutStore.unsaved). */
export type UpdateReply =
  | { type: 'applied'; id: string; revision: string; state: StateDocument; unsaved?: string }
  | { type: 'conflict'; id: string; revision: string; state: StateDocument; unsaved?: string }
  | { type: 'refused'; id: string; reason: string };

/**
 * An action's outcome in a console beside the agent, told to the agent (no answer): the agent,
 * the one process that notifies while it leads, sends it on as the console would have alone.
 */
export interface ActionNews {
  type: 'action';
  by: string;
  outcome: ActionOutcome;
}

/** A reply as the console uses it: the state already checked against the profile. */
export type ReadReply =
  | { type: 'applied' | 'conflict'; id: string; revision: string; state: RolloutState; unsaved?: string }
  | { type: 'refused'; id: string; reason: string };

/**
 * What identifies a state's content, the same on both sides: a hash of its document with keys
 * sorted, so neither key order nor an absent-versus-null field makes two equal states differ.
 */
export function stateRevision(state: RolloutState, profile: Profile): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(stable(toStateDocument(state, profile))).digest('hex').slice(0, 20);
}

/** A request read by the agent: the request, or why it is refused (with its id when it had one). */
export function readUpdate(m: unknown, profile: Profile): { request: UpdateRequest; state: RolloutState } | { id: string; reason: string } {
  if (!isObj(m)) return { id: '', reason: 'not an update request' };
  const id = typeof m.id === 'string' && /^[\w-]{1,64}$/.test(m.id) ? m.id : '';
  if (id === '') return { id, reason: 'the request has no id (1-64 letters, digits, - or _)' };
  if (typeof m.base !== 'string' || m.base.length > 64) return { id, reason: 'the request has no base revision' };
  if (!isOperator(m.by)) return { id, reason: 'the request does not name its operator (by: 1-200 printable characters)' };
  if (typeof m.deadline !== 'number' || !Number.isFinite(m.deadline)) return { id, reason: 'the request has no deadline' };
  const size = JSON.stringify(m.next ?? null).length;
  if (size > MAX_RELAYED_BYTES) return { id, reason: `the state sent is ${size} bytes; at most ${MAX_RELAYED_BYTES} are taken` };
  const loaded = parseStateDocument(m.next, 'the state sent', profile);
  if ('problem' in loaded) return { id, reason: loaded.problem };
  const next = m.next as StateDocument;
  const state = loaded.state;
  if (next.phase !== state.phase) return { id, reason: `the state sent has phase ${next.phase}, but ${profile.name}'s phase "${next.phaseName}" is ${state.phase}` };
  const phases = profile.phases.length;
  const inRange = (p: number | null) => p === null || (p >= 0 && p < phases);
  if (state.rolledBack && !inRange(state.rolledBack.phase)) return { id, reason: `the state sent is rolled back to phase ${state.rolledBack.phase}; ${profile.name} has ${phases}` };
  if (!state.history.every((move) => inRange(move.from) && inRange(move.to))) return { id, reason: `the state sent moves to a phase ${profile.name} does not have (it has ${phases})` };
  return { request: { type: 'update', id, base: m.base, next, by: m.by, deadline: m.deadline }, state };
}

/**
 * Why `next` cannot follow `current` (the state it was derived from, so checked only on a matching
 * revision): the history is the rollout's record, a change adds to it and never rewrites it.
 */
export function refusedChange(current: RolloutState, next: RolloutState): string | undefined {
  const kept = next.history.slice(0, current.history.length);
  if (next.history.length < current.history.length || stable(kept) !== stable(current.history)) return 'the state sent rewrites the phase history; a change may only add to it';
  return undefined;
}

const text = z.string().max(4_000);
const outcomeSchema = z.object({
  action: z.string().max(200),
  argv: z.array(text).max(1_000),
  exitCode: z.number().int().nullable(),
  signal: z.string().max(20).nullable(),
  durationMs: z.number().min(0),
  ok: z.boolean(),
  refused: z.boolean().optional(),
  timedOut: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  forced: z.boolean().optional(),
  auto: z.boolean().optional(),
  error: text.optional(),
  outputTail: z.array(text).max(100),
  message: text,
  traffic: z.object({ share: z.number(), from: z.number() }).optional(),
});

/** Action news read by the agent: the operator and the outcome (strings made printable), or why not. */
export function readActionNews(m: unknown, profile: Profile): { by: string; outcome: ActionOutcome } | { reason: string } {
  if (!isObj(m) || !isOperator(m.by)) return { reason: 'the action news does not name its operator' };
  const parsed = outcomeSchema.safeParse(m.outcome);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { reason: `the action news is not an outcome (${issue.path.join('.') || 'outcome'}: ${issue.message})` };
  }
  const o = parsed.data;
  if (!Object.hasOwn(profile.actions, o.action)) return { reason: `${profile.name} has no action "${printable(o.action)}"` };
  const outcome: ActionOutcome = {
    ...o,
    signal: o.signal as NodeJS.Signals | null,
    argv: o.argv.map(printable),
    outputTail: o.outputTail.map(printable),
    message: printable(o.message),
    ...(o.error !== undefined ? { error: printable(o.error) } : {}),
  };
  return { by: m.by, outcome };
}

/** An agent's reply read by the console; undefined when it is not one (a view, an event). */
export function readReply(m: unknown, profile: Profile): ReadReply | undefined {
  if (!isObj(m) || typeof m.id !== 'string') return undefined;
  if (m.type === 'refused') return { type: 'refused', id: m.id, reason: typeof m.reason === 'string' ? printable(m.reason) : 'no reason given' };
  if ((m.type !== 'applied' && m.type !== 'conflict') || typeof m.revision !== 'string') return undefined;
  const loaded = parseStateDocument(m.state, "the agent's state", profile);
  if ('problem' in loaded) return { type: 'refused', id: m.id, reason: printable(loaded.problem) };
  return { type: m.type, id: m.id, revision: m.revision, state: loaded.state, ...(typeof m.unsaved === 'string' ? { unsaved: printable(m.unsaved) } : {}) };
}

/** What a change did, for the agent's log: the last phase move it added, else what else changed. */
export function describeChange(before: RolloutState, after: RolloutState, profile: Profile): string {
  const name = (p: number | null) => (p === null ? 'none' : (profile.phases[p]?.name ?? String(p)));
  const move = after.history.length > before.history.length ? after.history[after.history.length - 1] : undefined;
  if (move) return `${move.reason} ${name(move.from)} → ${name(move.to)}`;
  if (stable(after.traffic ?? null) !== stable(before.traffic ?? null)) return `traffic ${after.traffic ? `${after.traffic.share}%` : 'back to the phase'}`;
  if (stable(after.checklist) !== stable(before.checklist) || stable(after.rolledBack) !== stable(before.rolledBack)) return 'checklist';
  return 'state';
}

/** JSON with every object's keys sorted; undefined members left out, as JSON.stringify does. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stable(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 500);
}

/** `alice@bastion-1`: 1-200 printable characters. */
function isOperator(by: unknown): by is string {
  return typeof by === 'string' && /^[^\u0000-\u001f\u007f-\u009f]{1,200}$/.test(by);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
