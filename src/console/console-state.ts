// What the live session publishes for the console: one immutable object per change, read by the
// controller and turned into lines by the view model (src/view/).

import type { Profile } from '../profile/types.js';
import type { RolloutState } from '../engine/state.js';
import type { SeriesSnapshot, Snapshot } from '../engine/types.js';
import type { EventLevel } from '../engine/watch-loop.js';

/** One scale for the engine's events and the console's own lines. */
export type { EventLevel };

/** One line of the event log. Repeats of the same text fold into one entry with a count. */
export interface ConsoleEvent {
  id: number;
  at: number;
  level: EventLevel;
  text: string;
  count: number;
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The running (or last) action: its argv and what it printed. */
export interface ActionOutput {
  action: string;
  argv: readonly string[];
  startedAt: number;
  running: boolean;
  dryRun: boolean;
  lines: readonly OutputLine[];
  endedAt?: number;
  /** Exit code; null when it was killed or never started. */
  exitCode?: number | null;
  /** Why it failed to start, timed out or was refused. */
  error?: string;
}

export interface AutoRollbackCountdown {
  metric: string;
  text: string;
  /** When the rollback action runs unless cancelled. */
  deadline: number;
}

export interface ConsoleMode {
  readOnly: boolean;
  /** Why: `--read-only`, `stdin is not a terminal`, `locked by alice@bastion (pid 42)`. */
  readOnlyReason?: string;
  /** Read-only only because the shared state store is down: a rollback or reduction still runs. */
  retreatOnly?: boolean;
  dryRun: boolean;
  /** The recording file when --record is on. */
  recording?: string;
  /** The recording being played back. */
  replay?: string;
  /** When the recording's last entry was made: after it the replay has ended. */
  replayEndsAt?: number;
  /** The agent whose judgement this console shows (it polls no source itself); absent: standalone. */
  attached?: { host: string };
  /** Who this console acts as, for placeholders and audit lines. */
  user: string;
}

export interface ConsoleState {
  profile: Profile;
  now: number;
  snapshot: Snapshot;
  series: SeriesSnapshot;
  /** Changes whenever `series` does: the key charts are memoised on. */
  seriesVersion: number;
  rollout: RolloutState;
  /** Oldest first, bounded. */
  events: readonly ConsoleEvent[];
  output?: ActionOutput;
  /** The action running now, if any. */
  busy?: string;
  countdown?: AutoRollbackCountdown;
  /** Milliseconds since each source last answered with data; undefined before it ever has. */
  sourceAges: Readonly<Record<string, number | undefined>>;
  mode: ConsoleMode;
}
