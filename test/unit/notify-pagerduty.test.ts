import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, type NotifierEvent } from '../../src/actions/notify.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { Decision, MetricState, MetricStatus, Snapshot } from '../../src/engine/types.js';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import { formatIssue } from '../../src/profile/issues.js';
import type { Profile } from '../../src/profile/types.js';
import { readBody, startHttp, type TestHttpServer } from '../support/http.js';

const ROUTING_KEY = 'R0ut1ngKeyOfTheOnCallService';
const START = Date.UTC(2026, 10, 24, 3, 12, 9);
const FILE = 'profiles/checkout.yaml';

interface Received {
  path: string;
  body: Record<string, unknown>;
  raw: string;
}

let server: TestHttpServer;
let received: Received[];

beforeAll(async () => {
  server = await startHttp((req, res) => {
    void readBody(req).then((raw) => {
      received.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, raw });
      // What PagerDuty answers: 202 Accepted.
      res.statusCode = 202;
      res.end('{"status":"success","message":"Event processed"}');
    });
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  received = [];
});

function profileWith(notify: string): Profile {
  const text = `name: checkout
title: Checkout v2 canary
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9" }
metrics:
  error_rate: { source: prom, query: up, unit: ratio }
  latency: { source: prom, query: up, unit: milliseconds }
phases:
  - { name: shadow, traffic: 0 }
  - { name: canary, traffic: 10 }
notify:
${notify}`;
  return parseProfile(text, FILE, { env: { PD_ROUTING_KEY: ROUTING_KEY, SINK: server.url } }).profile;
}

type Metrics = Partial<Record<'error_rate' | 'latency', MetricState>>;

function snapshot(decision: Decision, states: Metrics, phase = 'canary', escalation?: MetricStatus['escalation']): Snapshot {
  const metrics: MetricStatus[] = (['error_rate', 'latency'] as const).map((id) => {
    const state = states[id] ?? 'ok';
    const reason = state === 'breach' ? `${id} over its rollback limit` : state === 'warn' ? `${id} over its warn limit` : undefined;
    return {
      id,
      title: id,
      unit: id === 'latency' ? 'milliseconds' : 'ratio',
      state,
      value: 1,
      thresholds: [],
      ...(reason ? { reason } : {}),
      ...(escalation && id === 'latency' ? { escalation } : {}),
    };
  });
  const index = phase === 'shadow' ? 0 : 1;
  return {
    at: START,
    profile: 'checkout',
    decision,
    reasons: metrics.flatMap((m) => (m.reason ? [m.reason] : [])),
    metrics,
    phase: { index, name: phase, title: phase, traffic: index * 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
  };
}

function notifier(profile: Profile) {
  const clock = new VirtualClock(START);
  const n = new Notifier({ targets: profile.notify, profile, clock, retryDelayMs: 5 });
  const events: NotifierEvent[] = [];
  n.subscribe((e) => events.push(e));
  return { n, events, clock };
}

const PAGER = `  - { type: pagerduty, routingKey: "\${PD_ROUTING_KEY}", url: "\${SINK}/v2/enqueue" }\n`;

describe('a PagerDuty target', () => {
  it('triggers an Events API v2 alert on ROLLBACK, keyed by the rollout and the metric behind it', async () => {
    const { n, events } = notifier(profileWith(PAGER));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('SOAK', {}));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('ROLLBACK', { error_rate: 'breach' }));
    await n.flush();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v2/enqueue');
    expect(received[0]!.body).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'rollcall/checkout/error_rate',
      payload: {
        summary: 'checkout canary: ROLLBACK — error_rate over its rollback limit',
        severity: 'critical',
        source: 'rollcall/checkout',
        component: 'error_rate',
        group: 'canary',
        class: 'rollback',
        timestamp: '2026-11-24T03:12:09.000Z',
        custom_details: { decision: 'ROLLBACK', phase: 'canary', traffic: 10 },
      },
    });
    expect(events).toEqual([{ type: 'sent', target: `pagerduty 127.0.0.1:${server.port}`, event: 'rollback' }]);
  });

  it('resolves the incident with the same dedup key once its metric is ok again, and only once', async () => {
    const { n, clock } = notifier(profileWith(PAGER));
    const rollback = snapshot('ROLLBACK', { error_rate: 'breach' });
    n.onSnapshot(undefined, snapshot('SOAK', {}));
    n.onSnapshot(snapshot('SOAK', {}), rollback);
    await clock.advance(60_000);
    // Still breaching: neither a second trigger nor a resolve.
    n.onSnapshot(rollback, snapshot('ROLLBACK', { error_rate: 'breach', latency: 'warn' }));
    await clock.advance(60_000);
    n.onSnapshot(rollback, snapshot('SOAK', {}));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('SOAK', {}));
    await n.flush();
    expect(received.map((r) => [r.body.event_action, r.body.dedup_key])).toEqual([
      ['trigger', 'rollcall/checkout/error_rate'],
      ['resolve', 'rollcall/checkout/error_rate'],
    ]);
    expect(received[1]!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'rollcall/checkout/error_rate' });
  });

  it('pages a breach and the ROLLBACK it leads to as one incident, and another metric as another', async () => {
    const { n } = notifier(profileWith(`  - { type: pagerduty, routingKey: "\${PD_ROUTING_KEY}", url: "\${SINK}", on: [breach, rollback] }\n`));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('HOLD', { error_rate: 'breach' }));
    n.onSnapshot(snapshot('HOLD', { error_rate: 'breach' }), snapshot('ROLLBACK', { error_rate: 'breach' }));
    n.onSnapshot(snapshot('ROLLBACK', { error_rate: 'breach' }), snapshot('ROLLBACK', { error_rate: 'ok', latency: 'breach' }));
    await n.flush();
    expect(received.map((r) => [r.body.event_action, r.body.dedup_key])).toEqual([
      ['trigger', 'rollcall/checkout/error_rate'],
      ['trigger', 'rollcall/checkout/latency'],
      ['resolve', 'rollcall/checkout/error_rate'],
    ]);
  });

  it('pages an automatic rollback\'s countdown under the dedup key of its metric', async () => {
    const { n } = notifier(profileWith(PAGER));
    n.onCountdown(snapshot('ROLLBACK', { latency: 'breach' }), { metric: 'latency', text: '> 500ms', startedAt: START, deadline: START + 60_000 });
    await n.flush();
    expect(received[0]!.body).toMatchObject({ event_action: 'trigger', dedup_key: 'rollcall/checkout/latency', payload: { class: 'auto-rollback', severity: 'critical' } });
  });

  it('sends the routing key only as routing_key, masked in every text it could appear in', async () => {
    const { n, events } = notifier(profileWith(`  - { type: pagerduty, routingKey: "\${PD_ROUTING_KEY}", url: "http://127.0.0.1:9/${ROUTING_KEY}" }\n`));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('ROLLBACK', { error_rate: 'breach' }));
    await n.flush();
    expect(events[0]).toMatchObject({ type: 'failed', target: 'pagerduty 127.0.0.1:9', event: 'rollback' });
    expect(JSON.stringify(events)).not.toContain(ROUTING_KEY);
  });

  it('masks the routing key when a reason carries it, and keeps it in routing_key', async () => {
    const profile = profileWith(PAGER);
    const { n } = notifier(profile);
    const leaky = snapshot('ROLLBACK', { error_rate: 'breach' });
    leaky.reasons = [`error_rate breach seen by ${ROUTING_KEY}`];
    n.onSnapshot(snapshot('SOAK', {}), leaky);
    await n.flush();
    expect(profile.secrets).toContain(ROUTING_KEY);
    expect(received[0]!.body.routing_key).toBe(ROUTING_KEY);
    expect(received[0]!.raw.split(ROUTING_KEY)).toHaveLength(2);
  });
});

describe('a phase-limited target', () => {
  it('is silent in the phases it does not list, and speaks in those it does', async () => {
    const profile = profileWith(`  - { type: webhook, url: "\${SINK}/shadow", phases: [shadow], on: [rollback] }\n${PAGER.replace(' }', ', phases: [canary] }')}`);
    const { n } = notifier(profile);
    n.onSnapshot(snapshot('SOAK', {}, 'shadow'), snapshot('ROLLBACK', { error_rate: 'breach' }, 'shadow'));
    n.onSnapshot(snapshot('SOAK', {}, 'canary'), snapshot('ROLLBACK', { latency: 'breach' }, 'canary'));
    await n.flush();
    expect(received.map((r) => [r.path, r.body.event ?? r.body.event_action, r.body.phase ?? r.body.dedup_key])).toEqual([
      ['/shadow', 'rollback', 'shadow'],
      ['/v2/enqueue', 'trigger', 'rollcall/checkout/latency'],
    ]);
  });

  it('sends its every: status summaries only while the rollout is in its phase', async () => {
    const { n, clock } = notifier(profileWith(`  - { type: webhook, url: "\${SINK}/status", phases: [shadow], every: 4h, on: [] }\n`));
    n.onSnapshot(undefined, snapshot('SOAK', {}, 'shadow'));
    await clock.advance(4 * 3_600_000);
    n.onSnapshot(snapshot('SOAK', {}, 'shadow'), snapshot('SOAK', {}, 'shadow'));
    await clock.advance(4 * 3_600_000);
    n.onSnapshot(snapshot('SOAK', {}, 'shadow'), snapshot('SOAK', {}, 'canary'));
    await clock.advance(8 * 3_600_000);
    n.onSnapshot(snapshot('SOAK', {}, 'canary'), snapshot('SOAK', {}, 'canary'));
    await n.flush();
    expect(received.map((r) => [r.body.event, r.body.phase])).toEqual([['status', 'shadow']]);
  });
});

describe('an escalation step with its own target', () => {
  const TEAM_LEAD = `  - { type: webhook, url: "\${SINK}/all", on: [rollback, action] }\n  - { id: team-lead, type: webhook, url: "\${SINK}/lead", on: [] }\n`;

  it('is heard by the target it names, once, and by no other', async () => {
    const { n } = notifier(profileWith(TEAM_LEAD));
    const before = snapshot('HOLD', { latency: 'warn' }, 'canary', { next: { to: 'rollback', at: START + 1_000, remainingMs: 1_000 } });
    const reached = snapshot('HOLD', { latency: 'warn' }, 'canary', { reached: { to: 'reduce', at: START + 1_000, notify: 'team-lead' } });
    n.onSnapshot(before, reached);
    n.onSnapshot(reached, reached);
    await n.flush();
    expect(received.map((r) => [r.path, r.body.event, r.body.metric])).toEqual([['/lead', 'escalation', 'latency']]);
  });

  it('tells the target it names of an escalation to rollback once, while the others hear the ROLLBACK', async () => {
    const { n } = notifier(profileWith(TEAM_LEAD.replace('on: [] }', 'on: [rollback] }')));
    const before = snapshot('HOLD', { latency: 'warn' }, 'canary', { next: { to: 'rollback', at: START + 1_000, remainingMs: 1_000 } });
    const reached = snapshot('ROLLBACK', { latency: 'warn' }, 'canary', { reached: { to: 'rollback', at: START + 1_000, notify: 'team-lead' } });
    n.onSnapshot(before, reached);
    await n.flush();
    expect(received.map((r) => [r.path, r.body.event]).sort()).toEqual([
      ['/all', 'rollback'],
      ['/lead', 'escalation'],
    ]);
  });
});

describe('a target limited to metrics', () => {
  it('hears only what those metrics cause', async () => {
    const { n } = notifier(profileWith(`  - { type: pagerduty, routingKey: "\${PD_ROUTING_KEY}", url: "\${SINK}", on: [warn], metrics: [error_rate] }\n`));
    n.onSnapshot(snapshot('SOAK', {}), snapshot('HOLD', { latency: 'warn' }));
    n.onSnapshot(snapshot('HOLD', { latency: 'warn' }), snapshot('HOLD', { latency: 'warn', error_rate: 'warn' }));
    await n.flush();
    expect(received.map((r) => r.body.dedup_key)).toEqual(['rollcall/checkout/error_rate']);
  });
});

describe('notify targets in a profile', () => {
  const lines = (notify: string, rules = '') =>
    checkProfileText(
      `name: checkout
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9090" }
metrics:
  error_rate: { source: prom, query: "up", unit: ratio }
${rules}phases:
  - { name: shadow, traffic: 0 }
  - { name: canary, traffic: 10 }
notify:
${notify}`,
      FILE,
      { env: { PD: ROUTING_KEY } },
    ).issues.map(formatIssue);

  it('says where a metrics: entry names no metric', () => {
    expect(lines(`  - { type: webhook, url: "https://hooks.example.com", metrics: [eror_rate] }\n`)).toEqual([
      `${FILE}:10:66: notify[0].metrics[0]: unknown metric "eror_rate" (did you mean "error_rate"?); metrics: error_rate`,
    ]);
  });

  it('says where a phases: entry names no phase', () => {
    expect(lines(`  - { type: webhook, url: "https://hooks.example.com", phases: [shadow, canery] }\n`)).toEqual([
      `${FILE}:10:73: notify[0].phases[1]: unknown phase "canery" (did you mean "canary"?); phases: shadow, canary`,
    ]);
  });

  it('says where an escalation step names no target, and where an id is taken twice', () => {
    const rules = `rules:\n  - { metric: error_rate, warn: "> 1%", escalate: [{ after: 1h, to: rollback, notify: team-laed }] }\n`;
    expect(
      lines(`  - { id: team-lead, type: webhook, url: "https://a.example.com" }\n  - { id: team-lead, type: webhook, url: "https://b.example.com" }\n`, rules),
    ).toEqual([
      `${FILE}:7:87: rules[0].escalate[0].notify: unknown notify target "team-laed" (did you mean "team-lead"?); notify targets with an id: team-lead`,
      `${FILE}:13:11: notify[1].id: "team-lead" is already the id of notify[0]; ids must be unique`,
    ]);
  });

  it('refuses a PagerDuty target hearing what opens no incident, and defaults it to rollback and the Events API', () => {
    expect(lines(`  - { type: pagerduty, routingKey: "\${PD}", on: [rollback, recovered] }\n`)).toEqual([
      `${FILE}:10:60: notify[0].on[1]: a pagerduty target pages on hold, rollback, breach, warn; a recovery resolves the incident by itself`,
    ]);
    const { profile } = parseProfile(
      `name: c\nsources: { p: { type: prometheus, url: "http://127.0.0.1:9090" } }\nmetrics: { m: { source: p, query: up } }\nphases: [{ name: a, traffic: 1 }]\nnotify: [{ type: pagerduty, routingKey: "\${PD}" }]\n`,
      FILE,
      { env: { PD: ROUTING_KEY } },
    );
    expect(profile?.notify[0]).toMatchObject({ type: 'pagerduty', on: ['rollback'] });
    expect(profile?.secrets).toContain(ROUTING_KEY);
  });

  it('counts a routing key written into the profile as a secret', () => {
    const { profile } = parseProfile(
      `name: c\nsources: { p: { type: prometheus, url: "http://127.0.0.1:9090" } }\nmetrics: { m: { source: p, query: up } }\nphases: [{ name: a, traffic: 1 }]\nnotify: [{ type: pagerduty, routingKey: literalRoutingKey123 }]\n`,
      FILE,
    );
    expect(profile?.secrets).toContain('literalRoutingKey123');
  });
});
