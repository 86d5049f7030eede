// `rollcall validate <profile...>`: every issue of every file, for editors and CI. Variables are
// not required here (CI validates profiles from git without the secrets), only reported.
// Summaries go to stdout; issues, errors and warnings alike, to stderr.

import { formatIssue } from '../profile/issues.js';
import { checkProfileFile } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { ExitCode } from './exit.js';

/** 0 when every file is valid (warnings allowed), 3 otherwise. */
export async function validate(files: string[]): Promise<number> {
  let valid = true;
  for (const file of files) {
    const checked = await checkProfileFile(file, { envMode: 'lenient' });
    if (checked.profile) process.stdout.write(`ok ${file}: ${summary(checked.profile)}\n`);
    else valid = false;
    for (const issue of checked.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  }
  return valid ? ExitCode.green : ExitCode.usage;
}

/** `7 metrics, 4 phases, 3 actions` */
function summary(profile: Profile): string {
  return [
    count(profile.metricIds.length, 'metric'),
    count(profile.phases.length, 'phase'),
    count(Object.keys(profile.actions).length, 'action'),
  ].join(', ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
