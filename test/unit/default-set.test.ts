// The default set: the rollouts `rollcall`, `rollcall check` and `rollcall report` take when no
// profile is named, read from the user's config file; its mistakes at file:line:col.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFile, readDefaultSet } from '../../src/commands/default-set.js';
import { ensureBuilt, onlyEnv, runCli } from '../support/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(config?: string): { home: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-config-'));
  dirs.push(dir);
  const file = join(dir, '.config', 'rollcall', 'config.yaml');
  if (config !== undefined) {
    mkdirSync(join(dir, '.config', 'rollcall'), { recursive: true });
    writeFileSync(file, config);
  }
  return { home: dir, file };
}

describe('the default set of rollouts', () => {
  it('is read from $ROLLCALL_CONFIG, else $XDG_CONFIG_HOME/rollcall/config.yaml, else ~/.config/rollcall/config.yaml', () => {
    expect(configFile({ ROLLCALL_CONFIG: '/etc/rc.yaml', HOME: '/home/a' })).toBe('/etc/rc.yaml');
    expect(configFile({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/a' })).toBe('/xdg/rollcall/config.yaml');
    expect(configFile({ HOME: '/home/a' })).toBe('/home/a/.config/rollcall/config.yaml');
    // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    expect(configFile({ XDG_CONFIG_HOME: 'rel', HOME: '/home/a' })).toBe('/home/a/.config/rollcall/config.yaml');
  });

  it('expands ~ and reads relative paths from the config file’s directory', async () => {
    const { home: h, file } = home('profiles:\n  - ~/rollouts\n  - ../../team/checkout.yaml\n');
    const set = await readDefaultSet({ HOME: h });
    expect(set).toEqual({ file, paths: [join(h, 'rollouts'), join(h, 'team', 'checkout.yaml')] });
  });

  it('says how to write one when there is no config file', async () => {
    const { home: h, file } = home();
    const set = await readDefaultSet({ HOME: h });
    expect(set).toEqual({ error: `name a profile or a directory, or list the default set in ${file} (profiles: [~/rollouts])` });
  });

  it('reports a list that is not one, and an entry that is not a path, at file:line:col', async () => {
    const a = home('# mine\nprofiles: ~/rollouts\n');
    expect(await readDefaultSet({ HOME: a.home })).toEqual({ error: `${a.file}:2:11: profiles: expected a list of directories or profile files` });
    const b = home('profiles:\n  - ~/rollouts\n  - { dir: x }\n');
    expect(await readDefaultSet({ HOME: b.home })).toEqual({ error: `${b.file}:3:5: profiles: each entry is a path (a directory or a profile file)` });
    const c = home('other: 1\n');
    expect(await readDefaultSet({ HOME: c.home })).toEqual({ error: `${c.file}:1:1: profiles: missing; name a profile or a directory, or list the default set in it as a list, e.g. profiles: [~/rollouts]` });
    const d = home('profiles: [a\n');
    const bad = await readDefaultSet({ HOME: d.home });
    expect('error' in bad && bad.error).toMatch(new RegExp(`^${d.file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
  });

  it('is what `rollcall check` judges when no profile is named', async () => {
    ensureBuilt();
    const { home: h } = home(`profiles:\n  - ${join(process.cwd(), 'test/fixtures/profiles/broken.yaml')}\n  - ${join(process.cwd(), 'test/fixtures/profiles/checkout.yaml')}\n`);
    const result = await runCli(['check', '--format', 'json'], { env: onlyEnv({ HOME: h, PATH: process.env.PATH ?? '' }) });
    const rows = JSON.parse(result.stdout) as { file: string }[];
    expect(rows.map((r) => r.file)).toEqual([join(process.cwd(), 'test/fixtures/profiles/broken.yaml'), join(process.cwd(), 'test/fixtures/profiles/checkout.yaml')]);
    // checkout.yaml's Prometheus is not running here: unreachable (4) outranks the broken profile (3).
    expect(result.code).toBe(4);
  });

  it('leaves `rollcall` alone printing its help when there is no default set', async () => {
    ensureBuilt();
    const { home: h } = home();
    const result = await runCli([], { env: onlyEnv({ HOME: h, PATH: process.env.PATH ?? '' }) });
    expect(result.stderr + result.stdout).toContain('Usage: rollcall');
  });
});
