// The rollout state of a console attached to the agent that leads the rollout. With the state
// file, that agent holds the lock, so the file store this console opened only follows the file;
// an operator's change (promote, rollback, a checklist tick, a custom action's effect) is relayed
// instead to the agent on its unix socket (actions/state-relay.ts): `fn` applied to the state as
// the file has it, sent with that state's revision; applied there (saved, judged at once, seen by
// every console) or answered with the agent's newer state, on which `fn` runs again, a few times
// at most. The actions themselves, their output and their audit lines stay in this console,
// under its operator's name. Over HTTP (`--agent URL`) nothing is relayed: the store is read-only
// and says why. Once the agent is gone the change is made on the file directly when its lock can
// be taken (the agent died: its lock is stale), for that change only, so a standby agent taking
// the lease over is never kept out; while it cannot, the store says why and a retreat still runs.
// Each action's outcome is told to the agent too, which notifies for the rollout while it leads.

import type { Profile } from '../profile/types.js';
import type { RolloutState, RolloutStore } from '../engine/state.js';
import { StateStoreError, toStateDocument } from '../actions/state-document.js';
import type { ActionOutcome } from '../actions/outcome.js';
import { RELAY_TIMEOUT_MS, readReply, stateRevision, type ActionNews, type ReadReply, type UpdateRequest } from '../actions/state-relay.js';
import { encode } from '../agent/socket.js';
import type { AgentLink } from './agent-link.js';

/** Derivations on a newer state before a change gives up: more means two consoles racing without end. */
export const MAX_TRIES = 5;

export interface RelayOptions {
  profile: Profile;
  /** The operator, `alice@bastion-1`, named in the agent's log. */
  by: string;
  /** Opens the state file for writing (taking its lock when free): the way once the agent is gone. */
  openWritable: () => Promise<RolloutStore>;
  timeoutMs?: number;
}

interface Pending {
  resolve: (reply: ReadReply | { lost: string }) => void;
  timer: NodeJS.Timeout;
}

export class RelayedStore implements RolloutStore {
  private link: AgentLink | undefined;
  /** Why there is no agent to relay to (its connection closed). */
  private lost: string | undefined;
  /** Once the agent is gone: whether the file's lock could be taken when last tried, and if not, who holds it. */
  private locked: string | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private readonly offFollower: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private agentUnsaved: string | undefined;

  constructor(
    /** The file as the agent writes it, followed read-only: what every change is derived from. */
    private readonly follower: RolloutStore,
    link: AgentLink,
    private readonly opts: RelayOptions,
  ) {
    this.offFollower = follower.subscribe(() => this.emit());
    this.adopt(link);
  }

  get readOnly(): boolean {
    if (this.link) return this.link.send === undefined;
    return this.follower.readOnly && this.locked !== undefined;
  }

  get notice(): string | undefined {
    if (this.link) return this.link.send === undefined ? `attached to the agent on ${this.link.hello.host} over HTTP: the rollout is changed only from a console on the agent's host` : undefined;
    if (this.locked !== undefined) return `the agent went away (${this.lost ?? 'its connection closed'}) and the rollout state is ${this.locked}`;
    return undefined;
  }

  /** Set while the agent is gone and the file's lock is held by another: a retreat still runs, unsaved. */
  get unavailable(): string | undefined {
    return this.link === undefined && this.readOnly ? this.notice : undefined;
  }

  /** The agent's word with its last answer: the change is in effect but held in its memory only (its disk refused it). */
  get unsaved(): string | undefined {
    return this.link ? this.agentUnsaved : undefined;
  }

  /** Said at open: where this console's changes are saved. */
  get about(): string | undefined {
    if (!this.link?.send) return this.follower.about;
    return `actions run in this console; the changes they make to the rollout are saved by the agent (pid ${this.link.hello.pid}), which holds the state file`;
  }

  read(): RolloutState {
    return this.follower.read();
  }

  /** Relays to the agent now (attached again, to it or to the standby that took its place). */
  adopt(link: AgentLink): void {
    if (this.closed) return;
    this.link = link;
    this.lost = undefined;
    this.locked = undefined;
    link.onReply = (m) => this.hear(m);
    link.stream.once('close', () => this.drop(link));
    this.emit();
  }

  /** `reattach` that relays to the agent it finds again, and otherwise looks whether the lock can be taken now. */
  following(reattach: () => Promise<AgentLink | undefined>): () => Promise<AgentLink | undefined> {
    return async () => {
      const link = await reattach();
      if (link) this.adopt(link);
      else await this.probe();
      return link;
    };
  }

  /** While the agent is gone: can the file's lock be taken? Tried on each look for an agent again. */
  async probe(): Promise<void> {
    if (this.link || this.closed || !this.follower.readOnly) return;
    const before = this.locked;
    const store = await this.opts.openWritable().catch((error: unknown) => ({ readOnly: true, notice: message(error), close: async () => {} }));
    this.locked = store.readOnly ? (store.notice ?? 'locked') : undefined;
    await store.close();
    if (this.locked !== before) this.emit();
  }

  /**
   * An action's outcome, for the agent to notify: while it leads, this console sends nothing itself
   * (agent-gate.ts). Nothing once the agent is gone: this console's own notifier takes over then.
   */
  tell(outcome: ActionOutcome): void {
    if (outcome.refused || outcome.dryRun || !this.link?.send) return;
    const news: ActionNews = { type: 'action', by: this.opts.by, outcome };
    this.link.send(encode(news));
  }

  update(fn: (state: RolloutState) => RolloutState): Promise<RolloutState> {
    if (this.closed) return Promise.reject(new StateStoreError('the rollout state store is closed'));
    const next = this.queue.then(() => (this.link ? this.relay(fn, this.link) : this.direct(fn)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  subscribe(listener: (state: RolloutState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.offFollower();
    this.listeners.clear();
    await this.follower.close();
  }

  private async relay(fn: (state: RolloutState) => RolloutState, link: AgentLink): Promise<RolloutState> {
    const { profile } = this.opts;
    if (!link.send) throw new StateStoreError(this.notice ?? 'read-only');
    let current = this.follower.read();
    let revision = stateRevision(current, profile);
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const next = fn(current);
      if (next === current) return current;
      const reply = await this.ask(link, revision, next);
      if ('lost' in reply) {
        // Gone before it answered: the file says whether the change was made; it is never sent again.
        if (stateRevision(this.follower.read(), profile) === stateRevision(next, profile)) return this.follower.read();
        throw new StateStoreError(`${reply.lost}; nothing was sent again`);
      }
      if (reply.type === 'refused') throw new StateStoreError(`the agent refused the change: ${reply.reason}`);
      if (reply.type === 'applied') {
        this.agentUnsaved = reply.unsaved === undefined ? undefined : `the agent holds it: ${reply.unsaved}`;
        return reply.state;
      }
      current = reply.state;
      revision = reply.revision;
    }
    throw new StateStoreError(`the rollout state kept changing under this change (${MAX_TRIES} tries): not applied`);
  }

  /** One request, its reply; a timeout or a closed connection resolves as lost. */
  private ask(link: AgentLink, base: string, next: RolloutState): Promise<ReadReply | { lost: string }> {
    const timeoutMs = this.opts.timeoutMs ?? RELAY_TIMEOUT_MS;
    const id = crypto.randomUUID();
    // The agent applies nothing after the deadline; this console waits a little past it, so a
    // "not saved" it says is never contradicted by a late change.
    const request: UpdateRequest = { type: 'update', id, base, next: toStateDocument(next, this.opts.profile), by: this.opts.by, deadline: Date.now() + timeoutMs };
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, { lost: `the agent did not answer in ${timeoutMs / 1000}s` }), timeoutMs + 250);
      this.pending.set(id, { resolve, timer });
      if (!link.send!(encode(request))) this.settle(id, { lost: 'the connection to the agent is closed' });
    });
  }

  /** The agent gone: the file's lock, when it can be taken, for this change only. */
  private async direct(fn: (state: RolloutState) => RolloutState): Promise<RolloutState> {
    // Over HTTP this console may hold its own file's lock: it acts on it as a standalone console does.
    if (!this.follower.readOnly) return this.follower.update(fn);
    const store = await this.opts.openWritable();
    try {
      if (store.readOnly) {
        this.locked = store.notice ?? 'locked';
        throw new StateStoreError(this.notice!);
      }
      this.locked = undefined;
      return await store.update(fn);
    } finally {
      await store.close();
      this.emit();
    }
  }

  private hear(m: unknown): void {
    const reply = readReply(m, this.opts.profile);
    if (reply) this.settle(reply.id, reply);
  }

  private settle(id: string, outcome: ReadReply | { lost: string }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(outcome);
  }

  private drop(link: AgentLink): void {
    if (link !== this.link) return;
    this.link = undefined;
    this.lost = 'its connection closed';
    for (const id of [...this.pending.keys()]) this.settle(id, { lost: 'the agent went away before it answered' });
    // Not probed here: the lock is looked at on the next look for an agent (reattach), and by the
    // next change itself, never while the session closing this connection is letting go.
    this.emit();
  }

  private emit(): void {
    if (this.closed) return;
    const state = this.follower.read();
    for (const listener of this.listeners) listener(state);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The store a console attached to an agent acts through, or undefined where nothing changes:
 * relayed on this host's socket when the agent holds the state file's lock; read-only, saying why,
 * over HTTP. Never for a shared database (every console writes it), `--read-only` or `--dry-run`.
 */
export function relayedStore(store: RolloutStore, link: AgentLink | undefined, opts: RelayOptions & { shared: boolean; off: boolean }): RelayedStore | undefined {
  if (!link || opts.shared || opts.off) return undefined;
  if (link.send !== undefined && !store.readOnly) return undefined;
  return new RelayedStore(store, link, opts);
}
