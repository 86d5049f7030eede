// The console's mode following the rollout state store's health: a shared store turns read-only
// while its database is unreachable (or its row unusable) and back again, and the header, the
// refusals and the event log follow it. Its own file because it is a pure rule over the store and
// the mode, apart from the session's wiring (session.ts).

import type { RolloutStore } from '../engine/state.js';
import type { ConsoleMode } from './console-state.js';
import type { LogLine } from './event-log.js';

/** The mode for the store's health now, and the line for the event log when read-only turned; undefined when nothing changed. */
export function modeForStore(rollout: RolloutStore, mode: ConsoleMode): { mode: ConsoleMode; line?: LogLine } | undefined {
  const readOnly = rollout.readOnly;
  const reason = readOnly ? rollout.notice : undefined;
  const retreatOnly = readOnly && rollout.unavailable !== undefined;
  if (readOnly === mode.readOnly && reason === mode.readOnlyReason && retreatOnly === (mode.retreatOnly === true)) return undefined;
  let line: LogLine | undefined;
  if (readOnly !== mode.readOnly) {
    const retreat = retreatOnly ? '; a rollback or reduction still runs, unsaved' : '';
    line = readOnly ? { text: `rollout state: ${reason ?? 'read-only'}${retreat}`, level: 'bad' } : { text: 'rollout state store back: changes to the rollout allowed again', level: 'ok' };
  }
  const { readOnlyReason: _, retreatOnly: __, ...rest } = mode;
  return {
    mode: { ...rest, readOnly, ...(reason !== undefined ? { readOnlyReason: reason } : {}), ...(retreatOnly ? { retreatOnly } : {}) },
    ...(line ? { line } : {}),
  };
}
