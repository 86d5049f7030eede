import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog, auditContext, type AuditEntry } from '../../src/actions/audit.js';
import { history } from '../../src/commands/history.js';
import type { Snapshot } from '../../src/engine/types.js';

const PROFILE = `name: checkout
sources:
  prom: { type: prometheus, url: "\${ROLLCALL_TEST_UNSET_PROM_URL}" }
metrics:
  error_rate: { source: prom, query: "up", unit: ratio }
phases:
  - { name: canary, traffic: 10 }
  - { name: full, traffic: 100 }
`;

const snapshot: Snapshot = {
  at: 0,
  profile: 'checkout',
  decision: 'ROLLBACK',
  reasons: ['error_rate 2.4% > 2% for 5m (rollback)'],
  metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state: 'breach', value: 0.024, thresholds: [] }],
  phase: { index: 0, name: 'canary', title: 'canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
};

const at = (s: number) => Date.UTC(2026, 10, 24, 3, 12, s);
const base = (s: number, who = { user: 'alice', host: 'bastion' }) => auditContext(snapshot, who, at(s));

const ENTRIES: AuditEntry[] = [
  { ...base(0), event: 'auto-rollback-start', metric: 'error_rate', graceMs: 60_000, note: 'error_rate > 2%: rollback in 60s unless cancelled' },
  { ...base(5), event: 'auto-rollback-cancel', metric: 'error_rate', cancelled: true, by: 'alice@bastion' },
  { ...base(6), event: 'refused', action: 'promote', forced: false, note: 'promote needs the decision PROMOTE; it is ROLLBACK' },
  { ...base(7), event: 'action', action: 'rollback', argv: ['flagctl', 'set', 'checkout', '0'], dryRun: true, ok: true, exitCode: null },
  { ...base(8), event: 'action', action: 'rollback', argv: ['flagctl'], exitCode: 1, durationMs: 300, ok: false },
  { ...base(9), event: 'action', action: 'rollback', argv: ['flagctl'], exitCode: 0, durationMs: 4_200, ok: true, forced: true },
  { ...base(10, { user: 'bob', host: 'bastion-2' }), event: 'action', action: 'rollback', argv: ['flagctl'], exitCode: null, signal: 'SIGTERM', timedOut: true, durationMs: 30_000, ok: false, auto: true },
  { ...base(11), event: 'checklist', item: 'Dashboards reviewed', checked: true },
  { ...base(12), event: 'action', action: 'rollback', argv: ['flagctl'], exitCode: null, ok: false, error: 'could not start "flagctl": command not found' },
];

const LINES = [
  '2026-11-24T03:12:00Z alice@bastion auto-rollback canary → countdown 1m: error_rate > 2%: rollback in 60s unless cancelled',
  '2026-11-24T03:12:05Z alice@bastion auto-rollback canary → cancelled by alice@bastion',
  '2026-11-24T03:12:06Z alice@bastion promote canary → refused: promote needs the decision PROMOTE; it is ROLLBACK',
  '2026-11-24T03:12:07Z alice@bastion rollback canary → dry run: flagctl set checkout 0',
  '2026-11-24T03:12:08Z alice@bastion rollback canary → exit 1 (300ms) FAILED',
  '2026-11-24T03:12:09Z alice@bastion rollback canary → exit 0 (4s) forced',
  '2026-11-24T03:12:10Z bob@bastion-2 rollback canary → timed out (30s) auto FAILED',
  '2026-11-24T03:12:11Z alice@bastion checklist canary ticked "Dashboards reviewed"',
  '2026-11-24T03:12:12Z alice@bastion rollback canary → could not start "flagctl": command not found FAILED',
];

let dir: string;
let profileFile: string;
let stdout: string;
let stderr: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-history-'));
  profileFile = join(dir, 'checkout.yaml');
  writeFileSync(profileFile, PROFILE);
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function writeLog(file: string, entries: AuditEntry[]): Promise<void> {
  const log = await AuditLog.open(file);
  for (const e of entries) await log.append(e);
  await log.close();
}

describe('rollcall history', () => {
  it('prints one line per entry, oldest first, with who did what and how it ended', async () => {
    await writeLog(join(dir, 'checkout.audit.jsonl'), ENTRIES);
    expect(await history(profileFile, { stateDir: dir, format: 'text' })).toBe(0);
    expect(stdout.split('\n')).toEqual([...LINES, '']);
    expect(stderr).toBe('');
  });

  it('prints the entries as JSON with --format json', async () => {
    await writeLog(join(dir, 'checkout.audit.jsonl'), ENTRIES);
    expect(await history(profileFile, { stateDir: dir, format: 'json' })).toBe(0);
    expect(JSON.parse(stdout)).toEqual(ENTRIES);
  });

  it('reads the log --audit-log names', async () => {
    const file = join(dir, 'elsewhere', 'audit.jsonl');
    await writeLog(file, ENTRIES.slice(5, 6));
    expect(await history(profileFile, { stateDir: dir, auditLog: file, format: 'text' })).toBe(0);
    expect(stdout).toBe(`${LINES[5]}\n`);
  });

  it('reports a torn line on stderr with its line number and still prints the entries around it', async () => {
    const file = join(dir, 'checkout.audit.jsonl');
    await writeLog(file, ENTRIES.slice(4, 5));
    appendFileSync(file, '{"time":"2026-11-24T03:12:0');
    await writeLog(file, ENTRIES.slice(5, 6));
    expect(await history(profileFile, { stateDir: dir, format: 'text' })).toBe(0);
    expect(stdout).toBe(`${LINES[4]}\n${LINES[5]}\n`);
    expect(stderr).toBe(`${file}: line 2: not a complete entry (cut short by a crash?): {"time":"2026-11-24T03:12:0\n`);
  });

  it('says there is nothing yet when nothing has been recorded', async () => {
    expect(await history(profileFile, { stateDir: dir, format: 'text' })).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`rollcall history: nothing recorded yet for checkout (${join(dir, 'checkout.audit.jsonl')})\n`);
  });

  it('says which file it cannot read and exits 3', async () => {
    const file = join(dir, 'a-directory');
    mkdirSync(file);
    expect(await history(profileFile, { stateDir: dir, auditLog: file, format: 'text' })).toBe(3);
    expect(stderr).toMatch(/^rollcall history: cannot read audit log .*: is a directory\n$/);
  });

  it('exits 3 for a profile it cannot load', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: [unclosed\n');
    expect(await history(broken, { stateDir: dir, format: 'text' })).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('broken.yaml:');
  });
});
