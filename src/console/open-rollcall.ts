// The roll call on several profiles (`rollcall watch <dir>`, `rollcall watch a.yaml b.yaml`): one
// session per rollout, each exactly what `rollcall watch <profile>` would open (its own state
// store, audit log, sources or agent), under one overview (rollcall-controller.ts). A profile
// that cannot be opened is a row that says why, not the end of the others.

import type { Profile } from '../profile/types.js';
import { ExitCode } from '../commands/exit.js';
import { whyReadOnly } from './open-console.js';
import { runScreen } from './screen-loop.js';
import { openSession } from './open-session.js';
import { buildKeymap } from './keymap.js';
import { RollcallController, type RollcallMember } from './rollcall-controller.js';
import type { Session } from './session.js';

/** A profile of the roll call, loaded, or the one-line reason it could not be. */
export type RollcallProfile = { file: string; profile: Profile } | { file: string; error: string };

export interface RollcallConsoleOptions {
  stateDir?: string;
  readOnly?: boolean;
  dryRun?: boolean;
  /** Where NO_COLOR is read from (default: the process environment). */
  env?: Record<string, string | undefined>;
}

export async function openRollcall(profiles: readonly RollcallProfile[], opts: RollcallConsoleOptions): Promise<number> {
  const { stdout, stderr } = process;
  if (!stdout.isTTY) {
    stderr.write('rollcall watch: stdout is not a terminal; for scripts and cron use `rollcall check` with the same profiles\n');
    return ExitCode.usage;
  }
  const readOnlyReason = whyReadOnly(opts.readOnly);
  // Opened together: each mostly waits (its state store, a look for an agent's socket).
  const members: (RollcallMember & { opened?: Session })[] = await Promise.all(
    profiles.map(async (p): Promise<RollcallMember & { opened?: Session }> => {
      if ('error' in p) return { file: p.file, error: p.error };
      try {
        const session = await openSession(p.profile, {
          ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
          readOnly: readOnlyReason !== undefined,
          ...(readOnlyReason !== undefined ? { readOnlyReason } : {}),
          dryRun: opts.dryRun === true,
        });
        return { file: p.file, session, opened: session };
      } catch (error) {
        return { file: p.file, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const sessions = members.flatMap((m) => (m.opened ? [m.opened] : []));
  if (sessions.length === 0) {
    for (const m of members) stderr.write(`rollcall watch: ${m.file}: ${m.error ?? 'could not be opened'}\n`);
    return ExitCode.usage;
  }
  return runScreen({
    screen: (onQuit, look) => {
      const controller = new RollcallController(members, { ...look, onQuit });
      // Said now, in each rollout's event log: its console is made only when it is opened.
      for (const s of sessions) for (const conflict of buildKeymap(s.profile).conflicts) s.note(conflict, 'warn');
      return controller;
    },
    sessions,
    secrets: sessions.flatMap((s) => s.profile.secrets),
    ...(opts.env ? { env: opts.env } : {}),
  });
}
