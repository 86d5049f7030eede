// The leading agent's side of a console's relayed change (actions/state-relay.ts): a console
// beside the agent cannot take the state file's lock, which the agent holds, so it sends the state
// its operator's action made, with the revision it was derived from. Applied to the agent's own
// store when that revision is still the current one — inside the store's update, so two consoles'
// changes land one after the other and neither is lost — else answered with the current state to
// derive again. Only on the local socket, only while this agent leads; the change is logged
// naming the operator, and the store's change makes the loop judge again at once.

import type { Profile } from '../profile/types.js';
import type { RolloutState, RolloutStore } from '../engine/state.js';
import type { ActionOutcome } from '../actions/outcome.js';
import { describeChange, readActionNews, readUpdate, refusedChange, stateRevision, type UpdateReply } from '../actions/state-relay.js';
import { toStateDocument } from '../actions/state-document.js';

export interface RelayTarget {
  profile: Profile;
  store: RolloutStore;
  /** False once the lease is lost: a fenced leader applies nothing. */
  leading(): boolean;
  /** One JSON log line per change applied or refused, naming the operator when the request did. */
  log(level: 'info' | 'warn', by: string | undefined, text: string): void;
  /** An operator's action, as the leader's notifier sends it. */
  notify(outcome: ActionOutcome): void;
}

/** A console's action news (hostile until read): logged, and sent on by the notifier while this agent leads. */
export function relayAction(target: RelayTarget, m: unknown): void {
  const news = readActionNews(m, target.profile);
  if ('reason' in news) return target.log('warn', undefined, `action news from a console was refused: ${news.reason}`);
  if (!target.leading()) return;
  const { by, outcome } = news;
  target.log(outcome.ok ? 'info' : 'warn', by, `${outcome.action} run by ${by} in a console: ${outcome.message}`);
  // Who ran it is part of the news: the agent is not the operator.
  target.notify({ ...outcome, message: `${outcome.message} (by ${by})` });
}

/** A console's request (hostile until read) to its reply; a refusal is logged too. Never throws. */
export async function relayUpdate(target: RelayTarget, m: unknown): Promise<UpdateReply> {
  const reply = await answer(target, m);
  if (reply.type === 'refused') {
    const by = typeof (m as { by?: unknown }).by === 'string' && 'request' in readUpdate(m, target.profile) ? (m as { by: string }).by : undefined;
    target.log('warn', by, `a change of the rollout state from a console was refused: ${reply.reason}`);
  }
  return reply;
}

async function answer(target: RelayTarget, m: unknown): Promise<UpdateReply> {
  const { profile, store } = target;
  const read = readUpdate(m, profile);
  if ('reason' in read) return { type: 'refused', id: read.id, reason: read.reason };
  const { request, state } = read;
  if (!target.leading() || store.readOnly) return { type: 'refused', id: request.id, reason: 'this agent does not lead the rollout now; nothing was applied' };
  if (Date.now() > request.deadline) return { type: 'refused', id: request.id, reason: 'the request came after the console stopped waiting; nothing was applied' };
  let before: RolloutState | undefined;
  let refused: string | undefined;
  try {
    const now = await store.update((current) => {
      // Compared inside the store's own queue: no change can land between the check and the write.
      if (stateRevision(current, profile) !== request.base) return current;
      refused = refusedChange(current, state);
      if (refused === undefined) before = current;
      return refused === undefined ? state : current;
    });
    if (refused !== undefined) return { type: 'refused', id: request.id, reason: refused };
    const reply = { id: request.id, revision: stateRevision(now, profile), state: toStateDocument(now, profile), ...(store.unsaved !== undefined ? { unsaved: store.unsaved } : {}) };
    if (before === undefined) return { type: 'conflict', ...reply };
    target.log('info', request.by, `rollout state changed by ${request.by} from a console: ${describeChange(before!, now, profile)}`);
    return { type: 'applied', ...reply };
  } catch (error) {
    return { type: 'refused', id: request.id, reason: `the agent could not save the state: ${error instanceof Error ? error.message : String(error)}` };
  }
}
