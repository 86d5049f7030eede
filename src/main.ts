#!/usr/bin/env node
// The program's front door, and the bundle's entry. It turns on Node's compile cache before
// anything else is loaded, then loads the CLI: every module after this one is compiled once and
// read back from the cache at the next start (V8 code for zod, yaml and our own ~1 MB is the
// larger part of a cold start). The cache lives where NODE_COMPILE_CACHE says, else in the OS temp
// directory; if it cannot be used, Node compiles as usual and says nothing.

import { enableCompileCache } from 'node:module';
import { relaunchWithAgentFlags, tuneOptimisers } from './util/node-flags.js';

// `rollcall agent` runs under the flags that suit an idle service (util/node-flags.ts): decided
// before anything else happens, as the process may be replaced.
relaunchWithAgentFlags();
tuneOptimisers();

try {
  enableCompileCache();
} catch {
  // A Node without the cache, or a directory we may not write: start without it.
}

const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
