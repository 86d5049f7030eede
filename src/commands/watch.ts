// `rollcall watch <profile>`: loads the profile and opens the console on it (src/console/).
// Several profiles, a directory, or none (the default set, commands/default-set.ts): the roll
// call, one overview of every rollout (console/open-rollcall.ts).

import { checkProfileFile, formatIssue, loadProfileOrReport } from '../profile/load.js';
import { openConsole, type ConsoleOptions } from '../console/open-console.js';
import { openRollcall, type RollcallProfile } from '../console/open-rollcall.js';
import { resolveRollouts } from './many.js';
import { ExitCode } from './exit.js';

/** The command line's options: the console's, less what only the demo sets. */
export type WatchOptions = Omit<ConsoleOptions, 'banner' | 'env' | 'clock'>;

/** Options that name one rollout's files or moves: they make no sense for several at once. */
const SINGLE_ONLY = { phase: '--phase', record: '--record', replay: '--replay', auditLog: '--audit-log' } as const;

export async function watch(args: readonly string[], opts: WatchOptions): Promise<number> {
  const fail = (text: string): number => {
    process.stderr.write(`rollcall watch: ${text}\n`);
    return ExitCode.usage;
  };
  if (opts.speed !== undefined && opts.replay === undefined) return fail('--speed applies to --replay only');
  const rollouts = await resolveRollouts(args);
  if ('error' in rollouts) return fail(rollouts.error);
  if ('single' in rollouts) {
    const loaded = await loadProfileOrReport(rollouts.single);
    if ('exitCode' in loaded) return loaded.exitCode;
    return openConsole(loaded.profile, opts);
  }
  for (const [option, flag] of Object.entries(SINGLE_ONLY)) {
    if (opts[option as keyof typeof SINGLE_ONLY] !== undefined) return fail(`${flag} applies to one profile, not to a roll call of ${rollouts.files.length}`);
  }
  // A profile with a mistake is a row that says so: the other rollouts still need watching.
  const profiles: RollcallProfile[] = await Promise.all(
    rollouts.files.map(async (file): Promise<RollcallProfile> => {
      const checked = await checkProfileFile(file);
      if (checked.profile) return { file, profile: checked.profile };
      const first = checked.issues.find((i) => i.severity === 'error');
      return { file, error: first ? formatIssue(first) : 'cannot be loaded' };
    }),
  );
  return openRollcall(profiles, { ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}), readOnly: opts.readOnly === true, dryRun: opts.dryRun === true });
}
