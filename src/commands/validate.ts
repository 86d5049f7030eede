// `rollcall validate <profile...>`: every issue of every file, for editors and CI. Variables are
// not required here (CI validates profiles from git without the secrets), only reported.

import { formatIssue } from '../profile/issues.js';
import { checkProfileFile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { ExitCode } from './exit.js';

export interface ValidateIO {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** 0 when every file is valid (warnings allowed), 3 otherwise. */
export async function validate(files: string[], io: ValidateIO = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  let valid = true;
  for (const file of files) {
    const checked = await checkProfileFile(file, { envMode: 'lenient' });
    if (checked.profile) out(`ok ${file}: ${summary(checked.profile)}\n`);
    else valid = false;
    for (const issue of checked.issues) err(`${formatIssue(issue)}\n`);
  }
  return valid ? ExitCode.green : ExitCode.usage;
}

/** `7 metrics, 4 phases, 3 actions` */
export function summary(profile: Profile): string {
  return [
    count(profile.metricIds.length, 'metric'),
    count(profile.phases.length, 'phase'),
    count(Object.keys(profile.actions).length, 'action'),
  ].join(', ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
