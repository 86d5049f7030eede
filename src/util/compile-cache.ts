// Where Node's compile cache may live. With it, a start reads V8's code for the bundle back instead
// of compiling it (about 100 ms of a 370 ms first frame, measured on the anchors' profile). Node's
// own default, <tmp>/node-compile-cache, is one directory for every user of the machine: on a
// shared bastion the first user to run Node owns it, and the others either get no cache or read
// code another user could have written. A compile cache is code that will run, so it lives in a
// directory only its user can write: NODE_COMPILE_CACHE when set (the operator's choice, as Node
// documents it), else $XDG_CACHE_HOME/rollcall/compile-cache, else
// <tmp>/rollcall-<uid>-compile-cache, made private (0700) and used only if it is a real directory
// owned by this user and writable by no one else (another user who made that name first gets us
// no cache, never their code). Anything wrong and the start goes on without a cache: it is an
// optimisation, never a reason to fail.

import { lstatSync, mkdirSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

type Env = Record<string, string | undefined>;

/** This user's cache directory (NODE_COMPILE_CACHE aside, which Node reads itself). */
export function compileCacheDir(env: Env, uid: number | undefined, tmp: string = tmpdir()): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'rollcall', 'compile-cache');
  // Without a uid (Windows) the temporary directory is the user's own already.
  return join(tmp, uid === undefined ? 'rollcall-compile-cache' : `rollcall-${uid}-compile-cache`);
}

/**
 * Whether `dir` exists (made private if missing) as a directory, not a link, owned by `uid` and
 * writable by nobody else.
 */
export function privateDir(dir: string, uid: number | undefined): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return false;
    if (uid === undefined) return true;
    return st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Turns the compile cache on where it is safe to, and says where (undefined: off). */
export function enableSafeCompileCache(env: Env = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  try {
    if (env.NODE_COMPILE_CACHE !== undefined && env.NODE_COMPILE_CACHE !== '') return enableCompileCache().directory;
    const uid = process.getuid?.();
    const dir = compileCacheDir(env, uid);
    if (!privateDir(dir, uid)) return undefined;
    return enableCompileCache(dir).directory;
  } catch {
    // A Node without the cache: start without it.
    return undefined;
  }
}
