// What a console's keys leave in the audit log: a real session (loopback /metrics server, state
// directory and audit log on disk, real clock) driven through the real controller.

import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readAudit } from '../../src/actions/audit.js';
import { formatEntry } from '../../src/commands/history.js';
import { openSession } from '../../src/console/open-session.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { ConsoleController } from '../../src/console/controller.js';
import { frameText } from '../../src/view/model.js';
import { startHttp, type TestHttpServer } from '../support/http.js';
import { until } from '../support/session.js';

let server: TestHttpServer;
let errorRatio = 0.004;

beforeAll(async () => {
  server = await startHttp((_req, res) => {
    res.end([`app_error_ratio{track="canary"} ${errorRatio}`, 'app_error_ratio{track="stable"} 0.003', 'app_latency_p95_seconds 0.18', 'app_requests_per_second 400', 'app_queue_depth 12', ''].join('\n'));
  });
});

afterAll(async () => {
  await server.close();
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  errorRatio = 0.004;
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function profile(rule?: string): Promise<Profile> {
  let text = await readFile('test/fixtures/console/console.yaml', 'utf8');
  if (rule) text = text.replace('- { metric: error_rate, warn: "> 1%", rollback: "> 2%" }', rule);
  return parseProfile(text, 'console.yaml', { env: { ROLLCALL_CONSOLE_METRICS: server.url } }).profile;
}

async function console_(on: Profile, opts: Parameters<typeof openSession>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-console-audit-'));
  const session = await openSession(on, { identity: { user: 'alice', host: 'bastion' }, stateDir: dir, ...opts });
  session.start();
  const onQuit = vi.fn();
  const controller = new ConsoleController(session, { size: { columns: 100, rows: 30 }, color: false, onQuit });
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => session.close(), () => controller.dispose());
  const audit = async () => (await readAudit(join(dir, `${on.name}.audit.jsonl`))).entries;
  const screen = () => frameText(controller.getSnapshot()).join('\n');
  return { session, controller, onQuit, audit, screen };
}


async function eventually<T>(read: () => Promise<T>, test: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (test(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  return read();
}

describe('the audit log of a console', () => {
  it('records a refusal in a read-only console, as every refusal is', { timeout: 20_000 }, async () => {
    const { controller, audit, screen } = await console_(await profile(), { readOnly: true });
    controller.press('r');
    expect(screen()).toContain('read-only (--read-only): rollback not run');
    const entries = await eventually(audit, (e) => e.length > 0);
    expect(entries).toMatchObject([{ event: 'refused', action: 'rollback', user: 'alice', note: 'read-only: actions are disabled (--read-only)' }]);
    expect(formatEntry(entries[0]!)).toMatch(/alice@bastion rollback canary → refused: read-only: actions are disabled \(--read-only\)$/);
  });

  it('asks before quitting during an automatic rollback countdown, and records each answer', { timeout: 20_000 }, async () => {
    errorRatio = 0.03;
    const { session, controller, onQuit, audit, screen } = await console_(
      await profile('- { metric: error_rate, warn: "> 1%", rollback: "> 2%", auto: true, grace: 5m }'),
    );
    await until(session, (s) => s.countdown !== undefined);
    controller.press('q');
    expect(onQuit).not.toHaveBeenCalled();
    expect(screen()).toContain('Quit? the automatic rollback for error_rate runs only while this console is open');
    controller.press('n');
    expect(onQuit).not.toHaveBeenCalled();
    expect(session.getSnapshot().countdown).toBeDefined();
    controller.press('q');
    controller.press('y');
    expect(onQuit).toHaveBeenCalledTimes(1);

    const quits = (await eventually(audit, (e) => e.filter((x) => x.event === 'quit').length === 2)).filter((e) => e.event === 'quit');
    expect(quits.map((e) => [e.metric, e.note])).toEqual([
      ['error_rate', expect.stringMatching(/^asked to quit during the auto-rollback countdown \(error_rate 3% > 2%, \d+s left\): stayed$/)],
      ['error_rate', expect.stringMatching(/^quit during the auto-rollback countdown \(error_rate 3% > 2%, \d+s left\): the rollback will not run from this console$/)],
    ]);
    expect(formatEntry(quits[1]!)).toMatch(/alice@bastion console canary → quit during the auto-rollback countdown/);
  });
});
