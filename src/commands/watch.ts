// `rollcall watch <profile>`: loads the profile and opens the console on it (src/console/).

import { loadProfileOrReport } from '../profile/load.js';
import { openConsole, type ConsoleOptions } from '../console/open-console.js';
import { ExitCode } from './exit.js';

/** The command line's options: the console's, less what only the demo sets. */
export type WatchOptions = Omit<ConsoleOptions, 'banner' | 'env' | 'clock'>;

export async function watch(file: string, opts: WatchOptions): Promise<number> {
  if (opts.speed !== undefined && opts.replay === undefined) {
    process.stderr.write('rollcall watch: --speed applies to --replay only\n');
    return ExitCode.usage;
  }
  const loaded = await loadProfileOrReport(file);
  if ('exitCode' in loaded) return loaded.exitCode;
  return openConsole(loaded.profile, opts);
}
