#!/usr/bin/env node
// The program's front door, and the bundle's entry. It turns on Node's compile cache before
// anything else is loaded, then loads the CLI: every module after this one is compiled once and
// read back from the cache at the next start (V8 code for zod, yaml and our own ~1 MB is the
// larger part of a cold start). The cache lives in a directory only this user can write
// (util/compile-cache.ts); if it cannot be used, Node compiles as usual and says nothing.

import { applyNodeFlags } from './util/node-flags.js';
import { enableSafeCompileCache } from './util/compile-cache.js';

// The Node flags each command runs under (util/node-flags.ts): decided before anything else
// happens, as the agent's process may be replaced.
applyNodeFlags();

enableSafeCompileCache();

const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
