// A profile file loaded the way the commands load one (checkProfileFile), as a profile and its
// warnings, or a ProfileError carrying every issue: what most tests want in one call.

import { checkProfileFile, ProfileError, type LoadOptions, type LoadResult } from '../../src/profile/load.js';

export async function loadProfileFile(file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const checked = await checkProfileFile(file, opts);
  if (!checked.profile) throw new ProfileError(checked.issues);
  return { profile: checked.profile, warnings: checked.issues.filter((i) => i.severity === 'warning') };
}
