import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, RATE_LIMIT_MS, type NotifierEvent } from '../../src/actions/notify.js';
import type { ActionOutcome } from '../../src/actions/runner.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { Decision, MetricState, Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import type { NotifyTarget } from '../../src/profile/types.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';
import { freePort } from '../support/port.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

let server: TestHttpServer;
let received: Received[];
/** Status codes to answer with, one per request; 200 once they run out. */
let statuses: number[];

beforeAll(async () => {
  server = await startHttp((req, res) => {
    if (req.url === '/hang') return; // never answers
    void readBody(req).then((text) => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  received = [];
  statuses = [];
});

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

function snapshot(decision: Decision, state: MetricState, at = Date.UTC(2026, 10, 24, 3, 12, 9)): Snapshot {
  const reason = state === 'breach' ? 'error_rate 2.4% > 2% for 5m (rollback)' : undefined;
  return {
    at,
    profile: 'checkout',
    decision,
    reasons: reason ? [reason] : [],
    metrics: [
      { id: 'error_rate', title: 'Error rate', unit: 'ratio', state, value: state === 'breach' ? 0.024 : 0.004, thresholds: [], ...(reason ? { reason } : {}) },
    ],
    phase: { index: 0, name: 'canary', title: 'Canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
  };
}

function notifier(targets: NotifyTarget[], clock = new VirtualClock(Date.UTC(2026, 10, 24, 3, 12, 9)), extra = {}) {
  const n = new Notifier({ targets, profile, clock, retryDelayMs: 5, ...extra });
  const events: NotifierEvent[] = [];
  n.subscribe((e) => events.push(e));
  return { n, events, clock };
}

const outcome = (extra: Partial<ActionOutcome> = {}): ActionOutcome => ({
  action: 'rollback',
  argv: ['flagctl', 'set', 'checkout', '0'],
  exitCode: 0,
  signal: null,
  durationMs: 4200,
  ok: true,
  outputTail: ['done'],
  message: 'rollback → exit 0 (4.2s); rollout rolled back to 0% traffic',
  ...extra,
});

describe('notifications', () => {
  it('posts the webhook payload when the decision changes to ROLLBACK and a metric breaches', async () => {
    const { n, events } = notifier([
      { type: 'webhook', url: `${server.url}/hook`, headers: { Authorization: 'Bearer hook-key' }, on: ['rollback', 'breach'] },
    ]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('ROLLBACK', 'breach'));
    await n.flush();
    expect(received.map((r) => r.body.event)).toEqual(['rollback', 'breach']);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers.authorization).toBe('Bearer hook-key');
    expect(received[0]!.body).toEqual({
      event: 'rollback',
      profile: 'checkout',
      phase: 'canary',
      decision: 'ROLLBACK',
      reasons: ['error_rate 2.4% > 2% for 5m (rollback)'],
      metrics: [{ name: 'error_rate', state: 'breach', value: 0.024, unit: 'ratio' }],
      metric: 'error_rate',
      at: '2026-11-24T03:12:09.000Z',
    });
    expect(received[1]!.body.metric).toBe('error_rate');
    expect(events).toEqual([
      { type: 'sent', target: `webhook 127.0.0.1:${server.port}`, event: 'rollback' },
      { type: 'sent', target: `webhook 127.0.0.1:${server.port}`, event: 'breach' },
    ]);
  });

  it('posts a Slack message with text and blocks', async () => {
    const { n } = notifier([{ type: 'slack', url: `${server.url}/services/T0/B0/x`, on: ['rollback'] }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('ROLLBACK', 'breach'));
    await n.flush();
    expect(received).toHaveLength(1);
    expect(received[0]!.body.text).toBe(':rotating_light: checkout canary: ROLLBACK — error_rate 2.4% &gt; 2% for 5m (rollback)');
    expect(received[0]!.body.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: received[0]!.body.text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: '*Checkout v2 canary* · phase canary (10%) · ROLLBACK\nerror_rate 2.4% &gt; 2% for 5m (rollback)' }],
      },
    ]);
  });

  it('escapes what Slack would read as a mention, a hidden link or an entity in text a source wrote', async () => {
    const { n } = notifier([{ type: 'slack', url: `${server.url}/services/T0/B0/x`, on: ['rollback'] }]);
    const hostile = snapshot('ROLLBACK', 'breach');
    hostile.reasons = ['<!channel> <https://evil.example|dashboard> &amp; more'];
    n.onSnapshot(snapshot('SOAK', 'ok'), hostile);
    await n.flush();
    const body = JSON.stringify(received[0]!.body);
    expect(body).not.toMatch(/<!channel>|<https:/);
    expect(body).toContain('&lt;!channel&gt; &lt;https://evil.example|dashboard&gt; &amp;amp; more');
  });

  it('sends a decision change to HOLD or ROLLBACK and every action to a target that lists no events', async () => {
    const { n } = notifier([{ type: 'webhook', url: `${server.url}/hook` }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    n.onSnapshot(snapshot('HOLD', 'warn'), snapshot('ROLLBACK', 'breach'));
    n.onAction(outcome());
    await n.flush();
    expect(received.map((r) => r.body.event).sort()).toEqual(['action', 'hold', 'rollback']);
  });

  it('sends nothing for the first snapshot: it only sets the starting point', async () => {
    const { n, events } = notifier([{ type: 'webhook', url: `${server.url}/hook` }]);
    n.onSnapshot(undefined, snapshot('ROLLBACK', 'breach'));
    await n.flush();
    expect(received).toEqual([]);
    expect(events).toEqual([]);
  });

  it('retries after a 500 and then reports it sent', async () => {
    statuses = [500];
    const { n, events } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    await n.flush();
    expect(received.map((r) => r.body.event)).toEqual(['hold', 'hold']);
    expect(events).toEqual([{ type: 'sent', target: `webhook 127.0.0.1:${server.port}`, event: 'hold' }]);
  });

  it('gives up after three retries and reports the failure without throwing', async () => {
    statuses = [500, 502, 503, 500, 500];
    const { n, events } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: ['hold'] }]);
    expect(() => n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'))).not.toThrow();
    await n.flush();
    expect(received).toHaveLength(4);
    expect(events).toEqual([
      { type: 'failed', target: `webhook 127.0.0.1:${server.port}`, event: 'hold', reason: 'HTTP 500 (4 attempts)' },
    ]);
  });

  it('does not retry a request the target rejects', async () => {
    statuses = [404];
    const { n, events } = notifier([{ type: 'webhook', url: `${server.url}/gone`, on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    await n.flush();
    expect(received).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'failed', reason: 'HTTP 404' });
  });

  it('sends the same breach to a target at most once per ten minutes', async () => {
    const { n, clock } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: ['breach', 'recovered'] }]);
    const flap = async (advanceMs: number) => {
      await clock.advance(advanceMs);
      n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('ROLLBACK', 'breach'));
      n.onSnapshot(snapshot('ROLLBACK', 'breach'), snapshot('ROLLBACK', 'breach'));
      n.onSnapshot(snapshot('ROLLBACK', 'breach'), snapshot('SOAK', 'ok'));
      await n.flush();
    };
    await flap(0);
    await flap(60_000);
    await flap(RATE_LIMIT_MS - 120_000);
    expect(received.map((r) => r.body.event)).toEqual(['breach', 'recovered']);
    await flap(60_000);
    expect(received.map((r) => r.body.event)).toEqual(['breach', 'recovered', 'breach', 'recovered']);
  });

  it('rate-limits each target on its own', async () => {
    const { n } = notifier([
      { type: 'webhook', url: `${server.url}/a`, on: ['breach'] },
      { type: 'webhook', url: `${server.url}/b`, on: ['breach'] },
    ]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('ROLLBACK', 'breach'));
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('ROLLBACK', 'breach'));
    await n.flush();
    expect(received.map((r) => r.path).sort()).toEqual(['/a', '/b']);
  });

  it('sends only the events a target lists', async () => {
    const { n } = notifier([
      { type: 'webhook', url: `${server.url}/actions`, on: ['action'] },
      { type: 'webhook', url: `${server.url}/holds`, on: ['hold'] },
    ]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    n.onAction(outcome());
    await n.flush();
    expect(received.map((r) => [r.path, r.body.event])).toEqual(
      expect.arrayContaining([
        ['/holds', 'hold'],
        ['/actions', 'action'],
      ]),
    );
    expect(received).toHaveLength(2);
  });

  it('sends every action that ran, and no refusal or dry run', async () => {
    const { n } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: ['action'] }]);
    n.onSnapshot(undefined, snapshot('ROLLBACK', 'breach'));
    n.onAction(outcome());
    n.onAction(outcome({ ok: false, exitCode: 1, message: 'rollback FAILED: exit 1 after 0.2s; rollout state unchanged' }));
    n.onAction(outcome({ refused: true, ok: false, message: 'busy: "promote" is running; one action at a time' }));
    n.onAction(outcome({ dryRun: true, message: 'dry run: rollback would run: flagctl set checkout 0' }));
    await n.flush();
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toMatchObject({
      event: 'action',
      decision: 'ROLLBACK',
      action: { name: 'rollback', argv: ['flagctl', 'set', 'checkout', '0'], ok: true, exitCode: 0, durationMs: 4200, forced: false, auto: false },
    });
    expect(received[1]!.body).toMatchObject({ action: { ok: false, exitCode: 1 } });
  });

  it('reports an unreachable target as failed, naming its host and never its URL', async () => {
    const port = await freePort();
    const { n, events } = notifier([{ type: 'slack', url: `http://127.0.0.1:${port}/services/T0/B0/hooksecret`, on: ['hold'] }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    await n.flush();
    expect(events).toEqual([
      { type: 'failed', target: `slack 127.0.0.1:${port}`, event: 'hold', reason: 'connection refused (4 attempts)' },
    ]);
    expect(JSON.stringify(events)).not.toContain('hooksecret');
  });

  it('gives up on a target that does not answer within its timeout', async () => {
    const { n, events } = notifier([{ type: 'webhook', url: `${server.url}/hang`, on: ['hold'] }], undefined, { fetchTimeoutMs: 150 });
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    await n.flush();
    expect(events).toEqual([
      { type: 'failed', target: `webhook 127.0.0.1:${server.port}`, event: 'hold', reason: 'timed out after 0.15s (4 attempts)' },
    ]);
  });

  it('says a metric recovered when it leaves warn or breach for ok', async () => {
    const { n } = notifier([{ type: 'webhook', url: `${server.url}/hook`, on: ['recovered', 'warn'] }]);
    n.onSnapshot(snapshot('SOAK', 'ok'), snapshot('HOLD', 'warn'));
    n.onSnapshot(snapshot('HOLD', 'warn'), snapshot('SOAK', 'ok'));
    await n.flush();
    expect(received.map((r) => [r.body.event, r.body.metric])).toEqual([
      ['warn', 'error_rate'],
      ['recovered', 'error_rate'],
    ]);
  });
});
