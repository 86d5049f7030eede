// Every profile shipped in profiles/ loads as CI loads it: without the secrets it names, so a
// missing variable is a warning, never an error.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../support/profile-file.js';
import { formatIssue, isProfileError } from '../../src/profile/issues.js';

const files = readdirSync('profiles')
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => join('profiles', name));

async function load(file: string) {
  try {
    return await loadProfileFile(file, { env: {}, envMode: 'lenient' });
  } catch (error) {
    // Show the profile's own error lines rather than an object diff.
    if (isProfileError(error)) throw new Error(error.issues.map(formatIssue).join('\n'));
    throw error;
  }
}

describe('shipped profiles', () => {
  it.each(files)('%s loads with no errors', async (file) => {
    const { profile, warnings } = await load(file);
    expect(profile.phases.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.severity === 'warning')).toBe(true);
  });

  it('the demo validates without a warning: its variables are the demo command\'s own, with defaults', async () => {
    expect((await load('profiles/demo.yaml')).warnings.map(formatIssue)).toEqual([]);
  });

  it('each has its own name, since state and audit files are named after it', async () => {
    const names = await Promise.all(files.map(async (file) => (await load(file)).profile.name));
    expect(new Set(names).size).toBe(names.length);
  });
});
