import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath, readAudit } from '../../src/actions/audit.js';
import { openSession } from '../../src/console/open-session.js';
import { loadProfileFile as loadProfile } from '../support/profile-file.js';
import { ensureBuilt, runCli } from '../support/cli.js';

let dir: string;
let victim: string;
let profileFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-action-crash-'));
  // The real runner, bundled so a plain `node` child can run it and be killed.
  victim = join(dir, 'action-victim.mjs');
  await build({
    entryPoints: [resolve(import.meta.dirname, '../fixtures/scripts/action-victim.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: victim,
    logLevel: 'error',
    // Bundled CommonJS packages (yaml) still require() node's own modules.
    banner: { js: "import { createRequire as __victimRequire } from 'node:module'; const require = __victimRequire(import.meta.url);" },
  });
  profileFile = join(dir, 'crash.yaml');
  writeFileSync(
    profileFile,
    [
      'name: crash',
      'sources: { prom: { type: prometheus, url: "http://127.0.0.1:9" } }',
      'metrics: { error_rate: { source: prom, query: up, unit: ratio } }',
      'phases: [{ name: canary, traffic: 10 }, { name: full, traffic: 100 }]',
      // Sleeps briefly: the command outlives its killed console, and then ends on its own.
      'actions: { restart: { run: [sleep, "2"], timeout: 30s } }',
      '',
    ].join('\n'),
  );
  ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an action in flight when rollcall is killed -9', () => {
  it('is reported as outcome unknown by history, and by the next console in its event log and audit log', { timeout: 60_000 }, async () => {
    const stateDir = join(dir, 'state');
    const child = spawn(process.execPath, [victim, profileFile, stateDir, 'restart'], { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => child.stdout!.once('data', r));
    child.kill('SIGKILL');
    await exited;

    // Nothing ended: history says the start was never followed by an end.
    const before = await runCli(['history', profileFile, '--state-dir', stateDir]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/alice@\S+ restart canary → started, OUTCOME UNKNOWN: no end recorded/);

    // The next console says so at once, and records it, so the review finds it.
    const { profile } = await loadProfile(profileFile);
    const session = await openSession(profile, { stateDir, identity: { user: 'bob', host: hostname() } });
    const events = session.getSnapshot().events.map((e) => e.text);
    await session.close();
    expect(events.some((t) => /^restart started \S+ by alice@\S+: OUTCOME UNKNOWN, rollcall stopped before it ended \(noticed by bob@/.test(t))).toBe(true);

    const { entries } = await readAudit(auditPath(profile, { stateDir }));
    expect(entries.map((e) => e.event)).toEqual(['action-start', 'action']);
    expect(entries[1]).toMatchObject({ action: 'restart', ok: false, outcomeUnknown: true, run: entries[0]!.run });

    const after = await runCli(['history', profileFile, '--state-dir', stateDir]);
    expect(after.stdout).not.toMatch(/no end recorded/);
    expect(after.stdout).toMatch(/restart canary → OUTCOME UNKNOWN: restart started .* by alice@/);

    // The daily review lists it once, as an outcome nobody saw.
    const review = await runCli(['report', profileFile, '--since', '1h', '--format', 'text', '--state-dir', stateDir]);
    expect(review.stdout.match(/restart by alice@\S+: OUTCOME UNKNOWN/g)).toHaveLength(1);

    // Reported once: a later console has nothing more to say about it.
    const again = await openSession(profile, { stateDir, identity: { user: 'carol', host: hostname() } });
    await again.close();
    expect((await readAudit(auditPath(profile, { stateDir }))).entries).toHaveLength(2);
  });

  it('is not declared lost while the console that started it is still running it', { timeout: 30_000 }, async () => {
    const stateDir = join(dir, 'state-alive');
    const child = spawn(process.execPath, [victim, profileFile, stateDir, 'restart'], { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const ended = new Promise((r) => child.once('exit', r));
    await new Promise((r) => child.stdout!.once('data', r));
    const { profile } = await loadProfile(profileFile);
    const session = await openSession(profile, { stateDir, identity: { user: 'bob', host: hostname() }, readOnly: true });
    const events = session.getSnapshot().events.map((e) => e.text);
    await session.close();
    await ended;
    expect(events.join('\n')).not.toMatch(/OUTCOME UNKNOWN/);
    const { entries } = await readAudit(auditPath(profile, { stateDir }));
    expect(entries.map((e) => [e.event, e.ok])).toEqual([['action-start', undefined], ['action', true]]);
  });
});
