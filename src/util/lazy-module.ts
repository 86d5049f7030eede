// A dependency evaluated the first time it is used rather than when rollcall starts, for packages
// that cost start-up time and that many runs never call: string-width (its Unicode expressions and
// grapheme segmenter), the PromQL grammar (its parse tables), jsonpath-plus. Their callers are
// synchronous (a width, a check at load time), so an `await import()` will not do.
//
// The caller passes `() => require('name')` written out: in the bundle, esbuild sees that literal
// `require` and makes the bundled package a module initialised on that call (nothing to install
// beside the bundle). Unbundled (tests, dist/src), an ES module has no `require`, and Node's own
// (22.12 and later load ES modules synchronously) takes the package from node_modules.

import { createRequire } from 'node:module';

/** Not `require`: the bundle's banner declares that name at the top of every chunk. */
const nodeRequire = createRequire(import.meta.url);

/**
 * The package `name`, loaded on the first call of the function returned and kept. `bundled` must be
 * `() => require(name)`, spelled out, so that esbuild bundles the package.
 */
export function lazyModule<T>(name: string, bundled: () => unknown): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= (typeof require === 'function' ? bundled() : nodeRequire(name)) as T);
}
