// Opens a console session on a profile: the rollout state store (or, for a replay, one in memory),
// the audit log and the shared one, the recorder and the sources, then the Session over them. On
// any failure what was opened is closed again, and the error says what in one line.

import { existsSync } from 'node:fs';
import type { Profile } from '../profile/types.js';
import { ScaledClock, realClock, type Clock } from '../engine/clock.js';
import { MemoryRolloutStore } from '../engine/memory-rollout.js';
import { Recorder, readRecording } from '../engine/record.js';
import { initialState, phaseSet, type RolloutState, type RolloutStore } from '../engine/state.js';
import { createSources } from '../sources/registry.js';
import { AuditLog, auditPath, readAudit, type AuditEntry } from '../actions/audit.js';
import { closeLostActions } from '../actions/unfinished.js';
import { operatorName, whoAmI, type Identity } from '../actions/identity.js';
import { readStoredHistory } from '../actions/history-load.js';
import { openLeaseLookout } from '../actions/lease-open.js';
import type { SeriesStore } from '../engine/series.js';
import { defaultStateDir, openStateStore, phaseIndex } from '../actions/state-store.js';
import { moveTo } from '../actions/state-document.js';
import { Session } from './session.js';
import { agentSocketPath } from '../agent/socket.js';
import { attach, attachHttp, type AgentLink } from './agent-link.js';
import { relayedStore } from './relayed-store.js';

/** History fetched at open, at most (the profile's history may be longer). */
const MAX_BACKFILL_MS = 6 * 3_600_000;

export interface SessionOptions {
  stateDir?: string;
  auditLog?: string;
  /** `--phase NAME`: move the rollout there on open (recorded). */
  phase?: string;
  readOnly?: boolean;
  /** Why the console is read-only, when it is for a reason other than `--read-only`. */
  readOnlyReason?: string;
  dryRun?: boolean;
  /** `--record FILE`: append every sample and error to a recording. */
  record?: string;
  /** `--replay FILE`: play a recording back instead of polling; read-only, state kept in memory. */
  replay?: string;
  speed?: number;
  clock?: Clock;
  identity?: Identity;
  /** History fetched at open so the charts are full at once (default: the profile's history, at most 6h). */
  backfillMs?: number;
  /** `--agent URL`: the agent to attach to over HTTP, in place of the one on this host's socket. */
  agentUrl?: string;
}


/** Opens everything a console needs on a profile. Throws (with a one-line message) when it cannot. */
export async function openSession(profile: Profile, opts: SessionOptions = {}): Promise<Session> {
  const identity = opts.identity ?? whoAmI();
  const openedAt = (opts.clock ?? realClock).now();
  const user = operatorName(identity);
  const replay = opts.replay;
  const recording = replay ? await readRecording(replay) : undefined;
  const clock = opts.clock ?? (recording ? new ScaledClock(recording.startedAt, opts.speed ?? 1) : realClock);
  const readOnly = opts.readOnly === true || replay !== undefined;
  const readOnlyReason = replay ? `replaying ${replay}` : (opts.readOnlyReason ?? (opts.readOnly ? '--read-only' : undefined));

  // `--phase` beside a leading agent is relayed to it like any other change, once attached.
  const phaseLater = opts.phase !== undefined && !replay && !readOnly && !profile.state && existsSync(agentSocketPath(opts.stateDir ?? defaultStateDir(), profile.name));
  if (phaseLater) phaseIndex(profile, opts.phase!);
  // A replay never touches the live rollout: its state starts fresh and lives in memory.
  let rollout: RolloutStore = replay
    ? new MemoryRolloutStore(atPhase(initialState(profile.name, clock.now()), profile, opts.phase, clock.now(), user))
    : await openStateStore(profile, { dir: opts.stateDir, clock, user, phase: phaseLater ? undefined : opts.phase, readOnly: opts.readOnly === true });
  const opened: { close(): Promise<void> }[] = [rollout];
  try {
    const auditFile = auditPath(profile, { stateDir: opts.stateDir, auditLog: opts.auditLog });
    const late = { sink: (_text: string, _level: 'bad' | 'ok') => {} };
    const audit = await AuditLog.open(auditFile, { secrets: profile.secrets, onProblem: (problem) => late.sink(problem ?? 'the audit lines kept in memory are written', problem ? 'bad' : 'ok') });
    opened.push(audit);
    // A shared store shares the audit log too (never in a replay, which touches nothing live).
    // Loaded only for a shared store: pg stays off the start-up path of every other console.
    const shared =
      profile.state && !replay ? new (await import('../actions/shared-audit.js')).SharedAudit(profile, profile.state, { readOnly: opts.readOnly === true }) : undefined;
    if (shared) {
      opened.push(shared);
      audit.mirror = (entry) => shared.share(entry);
      // The state store has just reached the same database, so this is quick (bounded by its timeout).
      await shared.start();
    }
    const history = await readAudit(auditFile).catch((error: unknown) => ({ entries: [] as AuditEntry[], problems: [message(error)] }));
    if (!replay) history.entries.push(...(await closeLostActions(audit, history.entries, { host: identity.host, by: user, at: clock.now() })));
    const recorder = opts.record
      ? await Recorder.open(opts.record, { profile: profile.name, startedAt: clock.now() }, { onProblem: (text) => late.sink(text, 'bad') })
      : undefined;
    if (recorder) opened.push(recorder);
    const sources = createSources(profile, { clock, ...(replay ? { replay } : {}) });
    // An agent serving this rollout (on this host's socket, or at --agent URL): show its judgement rather than poll the sources too.
    const socketPath = agentSocketPath(opts.stateDir ?? defaultStateDir(), profile.name);
    const agentUrl = opts.agentUrl;
    const reattach = replay
      ? undefined
      : agentUrl !== undefined
        ? async (): Promise<AgentLink | undefined> => {
            const found = await attachHttp(agentUrl, profile);
            return 'error' in found ? undefined : found;
          }
        : () => attach(socketPath, profile);
    const found = replay ? undefined : agentUrl !== undefined ? await attachHttp(agentUrl, profile) : await attach(socketPath, profile);
    const link = found && !('error' in found) ? found : undefined;
    const notAttached = found && 'error' in found ? found.error : undefined;
    if (link) opened.push({ close: async () => void link.stream.destroy() });
    // Beside a leading agent this console's changes go to the agent (over HTTP: none at all).
    const relayed = relayedStore(rollout, link, { profile, by: user, shared: profile.state !== undefined, off: readOnly || opts.dryRun === true, openWritable: () => openStateStore(profile, { dir: opts.stateDir, clock, user }) });
    if (relayed) rollout = relayed;
    const relayPhase = phaseLater && relayed !== undefined && !relayed.readOnly;
    if (phaseLater && !relayPhase) await moveTo(rollout, profile, opts.phase!, rollout.notice, user, clock);
    // The agent's lease and history are read before the session is built, so its first judgement
    // already knows whether an agent leads and has what the agent stored (shared state: in PostgreSQL).
    const stateDir = opts.stateDir ?? defaultStateDir();
    const historyFrom = () => clock.now() - profile.defaults.historyMs;
    const lookout = replay ? undefined : await openLeaseLookout(profile, stateDir);
    if (lookout) opened.push(lookout);
    // Attached, the agent's judgement is shown: the history is read only if a loop of its own is ever made.
    const stored = replay || link ? undefined : await readStoredHistory(profile, stateDir, historyFrom(), clock.now());
    let preloaded = stored;
    const session = new Session({
      profile,
      clock,
      identity,
      rollout,
      audit,
      shared,
      sources,
      recorder,
      mode: {
        readOnly: readOnly || rollout.readOnly,
        ...(readOnly ? { readOnlyReason } : rollout.readOnly ? { readOnlyReason: rollout.notice } : {}),
        dryRun: opts.dryRun === true,
        ...(opts.record ? { recording: opts.record } : {}),
        ...(replay ? { replay, ...(recording ? { replayEndsAt: recordingEnd(recording) } : {}) } : {}),
        user: identity.user,
        ...(link ? { attached: { host: link.hello.host } } : {}),
      },
      attach: link,
      reattach: relayed && reattach ? relayed.following(reattach) : reattach,
      actionsOff: readOnly,
      ...(lookout
        ? {
            agent: {
              lease: lookout,
              // What an agent stored goes into the charts and windows first; a loop made later (the
              // agent this console was attached to went away) gets it read then, merged in when it comes.
              seed: (series: SeriesStore) => {
                if (preloaded) preloaded.put(series);
                else if (link) void readStoredHistory(profile, stateDir, historyFrom(), clock.now()).then((again) => again?.put(series), () => undefined);
                preloaded = undefined;
              },
              close: () => lookout.close(),
            },
          }
        : {}),
      pace: replay ? (opts.speed ?? 1) : 1,
      backfillMs: opts.backfillMs ?? Math.min(profile.defaults.historyMs, MAX_BACKFILL_MS),
      openedAt: replay ? clock.now() : openedAt,
    });
    late.sink = (text, level) => session.note(text, level);
    if (stored?.problem) session.note(stored.problem, 'warn');
    else if (stored && stored.points > 0) session.note(`${stored.points} samples from the agent's history`, 'info');
    session.replayAudit(history.entries, history.problems);
    if (link) session.note(`attached to agent on ${link.hello.host} (pid ${link.hello.pid}, ${link.where}): its judgement is shown, this console polls no source`, 'info');
    // Heard once the session reads the agent's answers, after its first frame.
    if (relayPhase) void moveTo(rollout, profile, opts.phase!, undefined, user, clock).catch((error: unknown) => session.note(`--phase ${opts.phase!}: the rollout state was not saved: ${message(error)}`, 'bad'));
    if (notAttached) session.note(`${notAttached}: standalone, this console polls the sources itself`, 'warn');
    if (rollout.about) session.note(rollout.about, 'info');
    if (rollout.notice) session.note(rollout.notice, 'warn');
    return session;
  } catch (error) {
    await Promise.allSettled(opened.map((o) => o.close()));
    throw error;
  }
}


/** A replay's rollout starts at the first phase, or where `--phase` says. */
function atPhase(state: RolloutState, profile: Profile, phase: string | undefined, now: number, by: string): RolloutState {
  return phase === undefined ? state : phaseSet(state, phaseIndex(profile, phase), now, by);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** When a recording's last entry was made: past it, a replay only repeats its last values. */
function recordingEnd(recording: { startedAt: number; entries: readonly { t: number }[] }): number {
  return recording.entries.reduce((end, e) => Math.max(end, e.t), recording.startedAt);
}
