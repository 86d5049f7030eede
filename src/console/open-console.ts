// The interactive console on a profile: opens the session and runs the screen (screen-loop.ts) on
// it until the operator quits or a signal says so. `rollcall watch` and `rollcall demo` both end
// here.

import type { Profile } from '../profile/types.js';
import type { Clock } from '../engine/clock.js';
import { ExitCode } from '../commands/exit.js';
import { ConsoleController } from './controller.js';
import { openSession } from './open-session.js';
import type { Session } from './session.js';
import { runScreen } from './screen-loop.js';

export interface ConsoleOptions {
  stateDir?: string;
  auditLog?: string;
  /** `--phase NAME`: move the rollout there on open (recorded). */
  phase?: string;
  readOnly?: boolean;
  dryRun?: boolean;
  /** `--record FILE`: append every sample and error to a recording. */
  record?: string;
  /** `--replay FILE`: play a recording back instead of polling. */
  replay?: string;
  speed?: number;
  /** `--agent URL`: attach to the agent serving this rollout there (rollcall agent --listen). */
  agent?: string;
  /** A line for the top of the event log, e.g. what the demo is simulating. */
  banner?: string;
  /** Where NO_COLOR is read from (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** What drives time (default the real clock; the demo runs a scaled one at --speed N). */
  clock?: Clock;
}

export async function openConsole(profile: Profile, opts: ConsoleOptions): Promise<number> {
  const { stdout, stderr } = process;
  if (!stdout.isTTY) {
    stderr.write(`rollcall watch: stdout is not a terminal; for scripts and cron use \`rollcall check ${profile.file ?? '<profile>'}\`\n`);
    return ExitCode.usage;
  }
  const readOnlyReason = whyReadOnly(opts.readOnly);

  let session: Session;
  try {
    session = await openSession(profile, {
      stateDir: opts.stateDir,
      auditLog: opts.auditLog,
      phase: opts.phase,
      readOnly: readOnlyReason !== undefined,
      readOnlyReason,
      dryRun: opts.dryRun,
      record: opts.record,
      replay: opts.replay,
      speed: opts.speed,
      ...(opts.agent !== undefined ? { agentUrl: opts.agent } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (error) {
    stderr.write(`rollcall watch: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.usage;
  }

  return runScreen({
    screen: (onQuit, look) => {
      const c = new ConsoleController(session, { ...look, onQuit });
      if (opts.banner) session.note(opts.banner, 'info');
      for (const conflict of c.keymap.conflicts) session.note(conflict, 'warn');
      return c;
    },
    sessions: [session],
    secrets: profile.secrets,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

/** Why a console is read-only before anything is opened: `--read-only`, or no keyboard on stdin. */
export function whyReadOnly(readOnly: boolean | undefined): string | undefined {
  return readOnly ? '--read-only' : process.stdin.isTTY === true ? undefined : 'stdin is not a terminal';
}

