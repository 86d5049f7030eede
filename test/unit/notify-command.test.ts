// E-mail through the mail command and periodic status (seeds 000, 002, 004: "email notifications",
// "Slack updates every 4 hours", "summary e-mails"): a `command` notify target reads the message on
// stdin, and `every:` sends a status summary on the engine's clock.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, type NotifierEvent } from '../../src/actions/notify.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { Decision, Snapshot } from '../../src/engine/types.js';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import type { NotifyTarget } from '../../src/profile/types.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';

const FILE = 'profiles/checkout.yaml';
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 8, 0, 0);

const { profile } = parseProfile(
  JSON.stringify({
    name: 'checkout',
    title: 'Checkout v2 canary',
    sources: { prom: { type: 'prometheus', url: 'http://127.0.0.1:9' } },
    metrics: { error_rate: { source: 'prom', query: 'up', unit: 'ratio' } },
    phases: [{ name: 'canary', traffic: 10 }],
  }),
  'checkout.yaml',
);

function snapshot(decision: Decision, at = T0): Snapshot {
  return {
    at,
    profile: 'checkout',
    decision,
    reasons: decision === 'HOLD' ? ['error_rate 1.2% > 1% (warn)'] : ['soaking: 2h of 2d'],
    metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state: decision === 'HOLD' ? 'warn' : 'ok', value: decision === 'HOLD' ? 0.012 : 0.004, thresholds: [] }],
    phase: { index: 0, name: 'canary', title: 'Canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
  };
}

function notifier(targets: NotifyTarget[], clock = new VirtualClock(T0)) {
  const n = new Notifier({ targets, profile, clock, retryDelayMs: 5, fetchTimeoutMs: 5_000 });
  const events: NotifierEvent[] = [];
  n.subscribe((e) => events.push(e));
  return { n, events, clock };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-notify-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('a command notify target', () => {
  it('runs the argv with the message on stdin, placeholders filled from the profile', async () => {
    const out = join(dir, 'mail.txt');
    const { n, events } = notifier([{ type: 'command', run: ['sh', '-c', 'printf "%s\\n" "$1" > "$0.args"; cat > "$0"', out, 'rollcall {{profile.name}} {{phase.name}}'], on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK'), snapshot('HOLD'));
    await n.flush();
    expect(events).toEqual([{ type: 'sent', target: 'command sh', event: 'hold' }]);
    expect(readFileSync(`${out}.args`, 'utf8')).toBe('rollcall checkout canary\n');
    const mail = readFileSync(out, 'utf8');
    expect(mail.split('\n').slice(0, 4)).toEqual(['checkout canary: HOLD — error_rate 1.2% > 1% (warn)', '', 'Checkout v2 canary · phase canary (10%) · HOLD', '- error_rate 1.2% > 1% (warn)']);
    expect(mail).toContain('  error_rate 1.2% warn');
  });

  it('gives the command no control character and no forged line on stdin, whatever the reasons say', async () => {
    const out = join(dir, 'mail.txt');
    const { n } = notifier([{ type: 'command', run: ['sh', '-c', 'cat > "$0"', out], on: ['hold'] }]);
    const hostile = snapshot('HOLD');
    hostile.reasons = ['error_rate (endpoint=/a\nFAKE [PROMOTE] all gates green) 1.2% > 1% \x1b]52;c;cm0gLXJmIH4=\x07 (warn)'];
    n.onSnapshot(snapshot('SOAK'), hostile);
    await n.flush();
    const mail = readFileSync(out, 'utf8');
    expect(mail).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(mail.split('\n').some((line) => line.startsWith('FAKE'))).toBe(false);
    expect(mail).toContain('/a\\nFAKE [PROMOTE] all gates green) 1.2% > 1% \\x1b]52;c;cm0gLXJmIH4=\\x07 (warn)');
  });

  it('reports a failing command with its exit code and what it printed, and does not run it twice', async () => {
    const count = join(dir, 'count');
    const { n, events } = notifier([{ type: 'command', run: ['sh', '-c', 'echo x >> "$0"; echo "mail: no such user" >&2; exit 67', count], on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK'), snapshot('HOLD'));
    await n.flush();
    expect(events).toEqual([{ type: 'failed', target: 'command sh', event: 'hold', reason: 'exit 67: mail: no such user' }]);
    expect(readFileSync(count, 'utf8')).toBe('x\n');
  });

  it('says a command that is not installed could not be started', async () => {
    const { n, events } = notifier([{ type: 'command', run: ['rollcall-no-such-mailer', 'ops@example.com'], on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK'), snapshot('HOLD'));
    await n.flush();
    expect(events).toEqual([{ type: 'failed', target: 'command rollcall-no-such-mailer', event: 'hold', reason: 'could not start "rollcall-no-such-mailer": command not found' }]);
  });

  it('stops a command that outlives its timeout together with the children it started', async () => {
    const pids = join(dir, 'pids');
    const { n, events } = notifier([{ type: 'command', run: ['sh', '-c', `trap '' TERM; sleep 300 & echo $$ $! > "$0"; wait`, pids], on: ['hold'], timeout: 300 }]);
    n.onSnapshot(snapshot('SOAK'), snapshot('HOLD'));
    await n.flush();
    expect(events).toEqual([{ type: 'failed', target: 'command sh', event: 'hold', reason: 'timed out after 0.3s, process group killed' }]);
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    const gone = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
      } catch {
        return true;
      }
    };
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !(gone(shell!) && gone(sleeper!))) await new Promise((resolve) => setTimeout(resolve, 50));
    expect([gone(shell!), gone(sleeper!)]).toEqual([true, true]);
  }, 15_000);
});

describe('periodic status (every:)', () => {
  let server: TestHttpServer;
  const received: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    server = await startHttp((req, res) => {
      void readBody(req).then((text) => {
        received.push(JSON.parse(text) as Record<string, unknown>);
        res.end('ok');
      });
    });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('sends a status every 4h of the engine clock, whatever happened, and nothing in between', async () => {
    const { n, clock } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: [], every: 4 * H }]);
    n.onSnapshot(undefined, snapshot('SOAK', clock.now()));
    for (let i = 0; i < 9; i++) {
      await clock.advance(H);
      n.onSnapshot(snapshot('SOAK', clock.now() - H), snapshot('SOAK', clock.now()));
    }
    await n.flush();
    expect(received.map((r) => [r.event, r.at])).toEqual([
      ['status', new Date(T0 + 4 * H).toISOString()],
      ['status', new Date(T0 + 8 * H).toISOString()],
    ]);
    expect(received[0]).toMatchObject({ decision: 'SOAK', reasons: ['soaking: 2h of 2d'], phase: 'canary' });
  });

  it('sends one summary, not a backlog, after the clock jumps several periods', async () => {
    const { n, clock } = notifier([{ type: 'slack', url: `${server.url}/slack`, on: [], every: 4 * H }]);
    n.onSnapshot(undefined, snapshot('SOAK', clock.now()));
    await clock.advance(13 * H);
    n.onSnapshot(snapshot('SOAK'), snapshot('HOLD', clock.now()));
    await clock.advance(2 * H);
    n.onSnapshot(snapshot('HOLD'), snapshot('HOLD', clock.now()));
    await n.flush();
    expect(received.map((r) => r.text)).toEqual([':bar_chart: checkout canary: status HOLD — error_rate 1.2% &gt; 1% (warn)']);
  });
});

describe('notify targets in a profile', () => {
  const BASE = `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "up", unit: ratio }
phases:
  - { name: canary, traffic: 10 }
notify:
`;
  const lines = (text: string) => checkProfileText(text, FILE, { env: {} }).issues.map(formatIssue);

  it('takes a command with every:, and checks its placeholders', () => {
    const { profile: p } = parseProfile(`${BASE}  - { type: command, run: [mail, -s, "rollcall {{profile.name}}", ops@example.com], every: 24h }\n`, FILE, { env: {} });
    expect(p.notify[0]).toMatchObject({ type: 'command', run: ['mail', '-s', 'rollcall {{profile.name}}', 'ops@example.com'], every: 24 * H });
    expect(lines(`${BASE}  - { type: command, run: [mail, -s, "{{profile.nam}}", ops@example.com] }\n`)[0]).toMatch(
      /^profiles\/checkout\.yaml:9:38: notify\[0\]\.run\[2\]: unknown placeholder \{\{profile\.nam\}\} \(did you mean "profile\.name"\?\)/,
    );
  });

  it('tells a command target from a webhook by its keys', () => {
    expect(lines(`${BASE}  - { type: command, url: "https://mail.example.com" }\n`)).toEqual([
      `${FILE}:9:5: notify[0]: missing key "run": expected a list`,
      `${FILE}:9:22: notify[0].url: unknown key "url"; allowed here: type, run, env, on, timeout, every, id, phases, digest, metrics`,
    ]);
  });
});
