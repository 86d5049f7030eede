// Node's compile cache is code that will run: it must live where only its user can write, and a
// directory that is not safe means no cache, never a failed start.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCacheDir, privateDir } from '../../src/util/compile-cache.js';
import { ensureBuilt, ROOT } from '../support/cli.js';

let dir: string;
const uid = process.getuid?.();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-compile-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the compile cache directory', () => {
  it('is under $XDG_CACHE_HOME when that is an absolute path', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/home/oncall/.cache' }, 1000, '/tmp')).toBe('/home/oncall/.cache/rollcall/compile-cache');
  });

  it("is the user's own name under the temporary directory otherwise (a relative XDG_CACHE_HOME is ignored)", () => {
    expect(compileCacheDir({}, 1000, '/tmp')).toBe('/tmp/rollcall-1000-compile-cache');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'cache' }, 1000, '/tmp')).toBe('/tmp/rollcall-1000-compile-cache');
  });

  it('is made private: only its user may read or write it', () => {
    const made = join(dir, 'made', 'compile-cache');
    expect(privateDir(made, uid)).toBe(true);
    expect(statSync(made).mode & 0o777).toBe(0o700);
  });

  it('is refused when others may write to it', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(privateDir(open, uid)).toBe(false);
  });

  it('is refused when it belongs to another user', () => {
    const mine = join(dir, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    expect(privateDir(mine, (uid ?? 0) + 1)).toBe(uid === undefined);
  });

  it('is refused when it is a symbolic link, even to a private directory', () => {
    const target = join(dir, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect(privateDir(link, uid)).toBe(false);
  });

  it('is refused, without an error, when it cannot be made', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(privateDir(join(file, 'compile-cache'), uid)).toBe(false);
  });
});

describe('a start of rollcall', () => {
  beforeAll(() => ensureBuilt());

  function start(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
    const { NODE_COMPILE_CACHE: _cache, NODE_DISABLE_COMPILE_CACHE: _disabled, XDG_CACHE_HOME: _xdg, ...rest } = process.env;
    return spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'main.js'), '--version'], { env: { ...rest, ...env }, encoding: 'utf8' });
  }

  it('fills the cache in its private directory', () => {
    const cache = join(dir, 'xdg');
    const run = start({ XDG_CACHE_HOME: cache });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const made = join(cache, 'rollcall', 'compile-cache');
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(readdirSync(made).length).toBeGreaterThan(0);
  });

  it('goes on without a cache when its directory is not safe', () => {
    const cache = join(dir, 'xdg-open');
    const open = join(cache, 'rollcall', 'compile-cache');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    const run = start({ XDG_CACHE_HOME: cache });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(readdirSync(open)).toEqual([]);
  });
});
