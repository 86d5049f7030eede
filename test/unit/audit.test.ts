import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditError, AuditLog, auditContext, auditPath, readAudit, type AuditEntry } from '../../src/actions/audit.js';
import type { Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-audit-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const { profile } = parseProfile(
  JSON.stringify({
    name: 'checkout',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
    phases: [{ name: 'canary', traffic: 10 }],
  }),
  'checkout.yaml',
);

const snapshot: Snapshot = {
  at: Date.UTC(2026, 10, 24, 3, 12, 9),
  profile: 'checkout',
  decision: 'ROLLBACK',
  reasons: ['error_rate 2.4% > 2% for 5m (rollback)'],
  metrics: [
    { id: 'error_rate', title: 'Error rate', unit: 'ratio', state: 'breach', value: 0.024, baseline: 0.003, thresholds: [] },
    { id: 'p95_latency', title: 'p95', unit: 'seconds', state: 'nodata', thresholds: [] },
  ],
  phase: { index: 0, name: 'canary', title: 'Canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
};

function entry(action: string, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ...auditContext(snapshot, { user: 'alice', host: 'bastion', ssh: '10.0.0.5' }, Date.UTC(2026, 10, 24, 3, 12, 9)),
    event: 'action',
    action,
    ...extra,
  };
}

describe('audit log', () => {
  it('writes one JSON line per entry with who, where, when, the decision and the metric values', async () => {
    const file = join(dir, 'one.audit.jsonl');
    const log = await AuditLog.open(file);
    await log.append(entry('rollback', { argv: ['flagctl', 'set', '0'], exitCode: 0, durationMs: 4200, forced: true }));
    await log.append(entry('promote'));
    await log.close();

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-24T03:12:09.000Z',
      user: 'alice',
      host: 'bastion',
      ssh: '10.0.0.5',
      profile: 'checkout',
      phase: 'canary',
      decision: 'ROLLBACK',
      metrics: [
        { name: 'error_rate', state: 'breach', value: 0.024, baseline: 0.003, unit: 'ratio' },
        { name: 'p95_latency', state: 'nodata', unit: 'seconds' },
      ],
      event: 'action',
      action: 'rollback',
      argv: ['flagctl', 'set', '0'],
      exitCode: 0,
      durationMs: 4200,
      forced: true,
    });
    const read = await readAudit(file);
    expect(read.problems).toEqual([]);
    expect(read.entries.map((e) => e.action)).toEqual(['rollback', 'promote']);
  });

  it('keeps appending to the log a previous run left', async () => {
    const file = join(dir, 'reopen.audit.jsonl');
    for (const name of ['first', 'second']) {
      const log = await AuditLog.open(file);
      await log.append(entry(name));
      await log.close();
    }
    expect((await readAudit(file)).entries.map((e) => e.action)).toEqual(['first', 'second']);
  });

  it('redacts secrets from every field it writes', async () => {
    const file = join(dir, 'secret.audit.jsonl');
    const log = await AuditLog.open(file, { secrets: ['s3cr3t-token'] });
    await log.append(entry('deploy', { argv: ['deploy', '--token=s3cr3t-token'], output: ['auth s3cr3t-token ok'], note: 's3cr3t-token' }));
    await log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('s3cr3t-token');
    expect((await readAudit(file)).entries[0]!.argv![0]).toBe('deploy');
  });

  it('keeps every line whole when two consoles append to the same log at once', async () => {
    const file = join(dir, 'shared.audit.jsonl');
    const [a, b] = await Promise.all([AuditLog.open(file), AuditLog.open(file)]);
    const big = ['y'.repeat(100_000)];
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).append(entry(`a${i}`, { output: big }))));
    await Promise.all([a!.close(), b!.close()]);
    const read = await readAudit(file);
    expect(read.problems).toEqual([]);
    expect(read.entries).toHaveLength(20);
  });

  it('reports a torn last line on its own and keeps the next entry whole', async () => {
    const file = join(dir, 'torn.audit.jsonl');
    const log = await AuditLog.open(file);
    await log.append(entry('before'));
    appendFileSync(file, '{"time":"2026-11-24T03:12:09.000Z","event":"act');
    await log.append(entry('after'));
    await log.close();
    const read = await readAudit(file);
    expect(read.entries.map((e) => e.action)).toEqual(['before', 'after']);
    expect(read.problems).toEqual([
      'line 2: not a complete entry (cut short by a crash?): {"time":"2026-11-24T03:12:09.000Z","event":"act',
    ]);
  });

  it('says so when the last line is incomplete', async () => {
    const file = join(dir, 'tail.audit.jsonl');
    writeFileSync(file, `${JSON.stringify(entry('whole'))}\n{"time":"2026-11`);
    const read = await readAudit(file);
    expect(read.entries.map((e) => e.action)).toEqual(['whole']);
    expect(read.problems).toEqual(['line 2: the last line is incomplete (cut short by a crash?): {"time":"2026-11']);
  });

  it('names a line that is JSON but not an audit entry', async () => {
    const file = join(dir, 'odd.audit.jsonl');
    writeFileSync(file, `${JSON.stringify(entry('whole'))}\n{"time":"2026-11-24T03:12:09Z","event":"launch"}\n`);
    const read = await readAudit(file);
    expect(read.entries).toHaveLength(1);
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]).toMatch(/^line 2: not an audit entry: event: /);
  });

  it('reads a log that does not exist yet as empty', async () => {
    expect(await readAudit(join(dir, 'never.audit.jsonl'))).toEqual({ entries: [], problems: [] });
  });

  it('says which file it cannot open and why', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const error = await AuditLog.open(join(blocker, 'x.audit.jsonl')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditError);
    expect((error as Error).message).toMatch(/^cannot open audit log .*not-a-dir\/x\.audit\.jsonl: /);
  });

  it('lives in the state directory under the profile name unless --audit-log says where', () => {
    expect(auditPath(profile, { stateDir: '/var/lib/rollcall' })).toBe('/var/lib/rollcall/checkout.audit.jsonl');
    expect(auditPath(profile, { stateDir: '/var/lib/rollcall', auditLog: '/tmp/mine.jsonl' })).toBe('/tmp/mine.jsonl');
    expect(auditPath(profile, {})).toMatch(/\/rollcall\/checkout\.audit\.jsonl$/);
  });

  describe('after kill -9 of a writer in the middle of an append', () => {
    let writer: string;

    beforeAll(async () => {
      // The real AuditLog, bundled so a plain `node` child can run it.
      writer = join(dir, 'audit-writer.mjs');
      await build({
        entryPoints: [resolve(import.meta.dirname, '../fixtures/scripts/audit-writer.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: writer,
        logLevel: 'error',
      });
    });

    async function killMidAppend(file: string): Promise<void> {
      const child = spawn(process.execPath, [writer, file, '128'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => child.stdout!.once('data', r));
      // Kill as soon as the file grows past a point: most often while a large write is under way.
      const target = statSync(file).size * (1.2 + Math.random() * 2);
      while (statSync(file).size < target) await new Promise((r) => setTimeout(r, 1));
      child.kill('SIGKILL');
      await exited;
    }

    it('reports the torn line and never merges it into the next entry', { timeout: 60_000 }, async () => {
      const file = join(dir, 'killed.audit.jsonl');
      let torn = 0;
      for (let round = 0; round < 12 && torn === 0; round++) {
        await killMidAppend(file);
        if (!readFileSync(file).subarray(-1).equals(Buffer.from('\n'))) torn++;
      }
      // The next start appends after the torn tail.
      const next = await AuditLog.open(file);
      await next.append(entry('next-start'));
      await next.close();

      const read = await readAudit(file);
      expect(read.problems).toHaveLength(torn);
      for (const problem of read.problems) expect(problem).toMatch(/^line \d+: not a complete entry \(cut short by a crash\?\): /);
      expect(read.entries.at(-1)!.action).toBe('next-start');
      for (const e of read.entries.slice(0, -1)) {
        expect(e.action).toMatch(/^write-\d+$/);
        expect(e.output).toHaveLength(128);
        expect(e.output!.every((chunk) => chunk.length === 64 * 1024)).toBe(true);
      }
      // The crash is unlikely to miss every write twelve times; if it did, the invariants above still held.
      expect(torn).toBe(1);
    });
  });
});
