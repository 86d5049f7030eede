// Whether a module is the script node was started with (`node dist/src/cli.js`, npm's bin link to
// it, the one-file bundle) rather than a module imported by another one or by a test. Each caller
// passes its own import.meta.url, so the answer is right wherever this module ends up.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isEntryPoint(importMetaUrl: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(importMetaUrl));
  } catch {
    return false;
  }
}
