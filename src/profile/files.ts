// Which files in a directory are profiles: every `*.yaml` / `*.yml` directly in it (not in its
// subdirectories), by name. `check`, `report`, `watch` and the agent all read a directory this way.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The profiles in `dir`, sorted by name; throws what readdir throws. */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.isDirectory() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => join(dir, name));
}
