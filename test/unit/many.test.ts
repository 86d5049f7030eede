// Several rollouts in one command: which files the arguments name, and which exit code is the worst.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eachLimited, resolveRollouts, worstExitCode } from '../../src/commands/many.js';

describe('the worst exit code of several rollouts', () => {
  it('ranks ROLLBACK over rolled back over unreachable over a profile error over HOLD over green', () => {
    const order = [2, 5, 4, 3, 1, 0];
    for (let i = 0; i < order.length; i++) {
      for (let j = i; j < order.length; j++) expect(worstExitCode([order[j]!, order[i]!])).toBe(order[i]);
    }
  });

  it('is green for no rollouts and a usage error for a code it does not know', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 1, 99])).toBe(3);
    expect(worstExitCode([2, 99])).toBe(2);
  });
});

describe('which rollouts the arguments name', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rollcall-many-unit-'));
    await mkdir(join(dir, 'set'));
    await mkdir(join(dir, 'set', 'nested.yaml'));
    await mkdir(join(dir, 'empty'));
    for (const name of ['b.yaml', 'a.yml', 'notes.txt']) await writeFile(join(dir, 'set', name), 'name: x\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes one file as the single, detailed rollout, even one that does not exist (its loader says so)', async () => {
    expect(await resolveRollouts([join(dir, 'set', 'b.yaml')])).toEqual({ single: join(dir, 'set', 'b.yaml') });
    expect(await resolveRollouts([join(dir, 'missing.yaml')])).toEqual({ single: join(dir, 'missing.yaml') });
  });

  it('reads a directory as its YAML files by name, never its subdirectories, and always as several', async () => {
    expect(await resolveRollouts([join(dir, 'set')])).toEqual({ files: [join(dir, 'set', 'a.yml'), join(dir, 'set', 'b.yaml')] });
  });

  it('keeps argument order and drops a file named twice', async () => {
    const b = join(dir, 'set', 'b.yaml');
    expect(await resolveRollouts([b, join(dir, 'set'), b])).toEqual({ files: [b, join(dir, 'set', 'a.yml')] });
  });

  it('refuses no arguments and a directory without profiles', async () => {
    // With no default set configured (a home without ~/.config/rollcall/config.yaml).
    expect(await resolveRollouts([], { HOME: dir })).toEqual({ error: `name a profile or a directory, or list the default set in ${join(dir, '.config/rollcall/config.yaml')} (profiles: [~/rollouts])` });
    expect(await resolveRollouts([join(dir, 'empty')])).toEqual({ error: `${join(dir, 'empty')}: no profiles (*.yaml) in this directory` });
  });
});

describe('judging several rollouts at once', () => {
  it('keeps the results in argument order with never more than the limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 10, 2, 15];
    const results = await eachLimited(delays, 3, async (ms) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return ms * 2;
    });
    expect(results).toEqual(delays.map((ms) => ms * 2));
    expect(most).toBe(3);
  });
});
