// The demo profile (profiles/demo.yaml) and the variables it is read with. The bundle embeds the
// file's text at build time (src/build/bundle.ts defines __ROLLCALL_DEMO_PROFILE__), so
// `node rollcall.mjs demo` needs no file beside it; the built tree reads the file itself.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProfile, type LoadResult } from '../profile/load.js';

declare const __ROLLCALL_DEMO_PROFILE__: string | undefined;

/** Where the profile lives in the repository and the package; also the name its issues carry. */
export const DEMO_PROFILE_PATH = 'profiles/demo.yaml';

export interface DemoEnvironment {
  /** The simulator's base URL. */
  url: string;
  /** The script that runs rollcall (dist/src/cli.js, or the bundle), for the control actions. */
  cli: string;
  /** The node that runs it (default: this one). */
  node?: string;
}

/** The variables the demo profile reads: DEMO_URL, ROLLCALL_NODE, ROLLCALL_CLI. */
function demoVariables(env: DemoEnvironment): Record<string, string> {
  return { DEMO_URL: env.url, ROLLCALL_NODE: env.node ?? process.execPath, ROLLCALL_CLI: env.cli };
}

async function demoProfileText(): Promise<string> {
  if (typeof __ROLLCALL_DEMO_PROFILE__ === 'string') return __ROLLCALL_DEMO_PROFILE__;
  return readFile(locateProfile(), 'utf8');
}

/** The compiled demo profile for a simulator; throws ProfileError if the profile is broken. */
export async function loadDemoProfile(env: DemoEnvironment): Promise<LoadResult> {
  return parseProfile(await demoProfileText(), DEMO_PROFILE_PATH, { env: demoVariables(env) });
}

/** The file from src/demo (tests), dist/src/demo (the built tree) or an installed package. */
function locateProfile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, DEMO_PROFILE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${DEMO_PROFILE_PATH} is missing from this installation`);
    dir = parent;
  }
}
