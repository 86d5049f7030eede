// One digest for every rollout an agent leads: rollouts whose digests go to one place at one time
// send one message together (actions/digest-hub.ts), to a real loopback HTTP sink on a virtual
// clock; a rollout at another place, or alone, sends its own as before.

import { describe, expect, it } from 'vitest';
import { DigestHub, digestPlace } from '../../src/actions/digest-hub.js';
import { Notifier } from '../../src/actions/notify.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { Decision, MetricState, Snapshot } from '../../src/engine/types.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { sinkForTests } from '../support/http.js';

const HOUR = 3_600_000;
/** 08:00 UTC; the digests are at 09:00 UTC. */
const START = Date.UTC(2026, 11, 3, 8, 0);

const sink = sinkForTests();

function profile(name: string, title: string, path: string, secret = ''): Profile {
  return parseProfile(
    `name: ${name}
title: ${title}
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9"${secret ? `, headers: { Authorization: "Bearer \${TOKEN}" }` : ''} }
metrics:
  error_rate: { source: prom, query: up, unit: ratio }
phases:
  - { name: canary, traffic: 10 }
notify:
  - { type: webhook, url: "\${SINK}${path}", on: [], digest: { at: ["09:00"], zone: UTC } }
`,
    `${name}.yaml`,
    { env: { SINK: sink.url, TOKEN: secret } },
  ).profile;
}

function snapshot(name: string, clock: VirtualClock, decision: Decision, state: MetricState): Snapshot {
  const reason = state === 'breach' ? 'error_rate 2.4% > 2% (rollback)' : undefined;
  return {
    at: clock.now(),
    profile: name,
    decision,
    reasons: reason ? [reason] : [],
    metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state, value: 0.024, thresholds: [], ...(reason ? { reason } : {}) }],
    phase: { index: 0, name: 'canary', title: 'canary', traffic: 10, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
  };
}

/** A rollout as an agent leading it runs its notifier: registered with the hub, fed snapshots. */
function leader(p: Profile, hub: DigestHub, clock: VirtualClock) {
  for (const t of p.notify) {
    const place = digestPlace(t);
    if (place) hub.expect(place, p.name);
  }
  const n = new Notifier({ targets: p.notify, profile: p, clock, retryDelayMs: 5, digests: hub });
  const ok = () => snapshot(p.name, clock, 'SOAK', 'ok');
  n.onSnapshot(undefined, ok());
  return { n, ok, breach: () => snapshot(p.name, clock, 'ROLLBACK', 'breach') };
}

describe('one digest for every rollout at one place', () => {
  it('sends the rollouts that share a webhook and a schedule as one message, and a rollout elsewhere on its own', async () => {
    const clock = new VirtualClock(START);
    const hub = new DigestHub({ clock });
    const checkout = leader(profile('checkout', 'Checkout v2', '/team'), hub, clock);
    const search = leader(profile('search', 'Search reindex', '/team'), hub, clock);
    const billing = leader(profile('billing', 'Billing', '/billing'), hub, clock);
    await clock.advance(HOUR / 2);
    checkout.n.onSnapshot(checkout.ok(), checkout.breach());
    await clock.advance(HOUR / 2);
    // 09:00: checkout judges first; its part waits for search's, which comes with search's next poll.
    checkout.n.onSnapshot(checkout.breach(), checkout.breach());
    billing.n.onSnapshot(billing.ok(), billing.ok());
    await Promise.all([checkout.n.flush(), billing.n.flush()]);
    expect(sink.received.map((r) => r.path)).toEqual(['/billing']);
    await clock.advance(15_000);
    search.n.onSnapshot(search.ok(), search.ok());
    await Promise.all([checkout.n.flush(), search.n.flush()]);
    expect(sink.received.map((r) => r.path)).toEqual(['/billing', '/team']);
    const team = sink.received[1]!.body as { event: string; digest: { rollouts: unknown[]; entries: { rollout?: string; kind: string }[]; since: string; until: string } };
    expect(team.event).toBe('digest');
    expect(team.digest.rollouts).toEqual([
      { profile: 'checkout', title: 'Checkout v2', status: 'phase canary (10%) · ROLLBACK' },
      { profile: 'search', title: 'Search reindex', status: 'phase canary (10%) · SOAK' },
    ]);
    expect(team.digest.entries.map((e) => `${e.rollout} ${e.kind}`)).toEqual(['checkout decision', 'checkout breach']);
    expect(team.digest.since).toBe('2026-12-03T08:00:00.000Z');
    // The lone rollout's digest is exactly what it was without the hub: no rollouts list, no tags.
    expect((sink.received[0]!.body as { digest: Record<string, unknown> }).digest).not.toHaveProperty('rollouts');
  });

  it('sends what it has after two minutes when a rollout never judges (its source stalled), and sends one message, not two', async () => {
    const clock = new VirtualClock(START);
    const hub = new DigestHub({ clock });
    const checkout = leader(profile('checkout', 'Checkout v2', '/team'), hub, clock);
    leader(profile('search', 'Search reindex', '/team'), hub, clock);
    await clock.advance(HOUR);
    checkout.n.onSnapshot(checkout.ok(), checkout.ok());
    await checkout.n.flush();
    expect(sink.received).toEqual([]);
    await clock.advance(120_000);
    await checkout.n.flush();
    expect(sink.received).toHaveLength(1);
    expect((sink.received[0]!.body as { digest: Record<string, unknown> }).digest).not.toHaveProperty('rollouts');
  });

  it('waits for nobody once a rollout has stepped down or stopped', async () => {
    const clock = new VirtualClock(START);
    const hub = new DigestHub({ clock });
    const checkout = leader(profile('checkout', 'Checkout v2', '/team'), hub, clock);
    leader(profile('search', 'Search reindex', '/team'), hub, clock);
    hub.forget('search');
    await clock.advance(HOUR);
    checkout.n.onSnapshot(checkout.ok(), checkout.ok());
    await checkout.n.flush();
    expect(sink.received).toHaveLength(1);
  });

  it('keeps one profile’s secrets out of the message another rollout’s notifier sends', async () => {
    const clock = new VirtualClock(START);
    const hub = new DigestHub({ clock });
    const a = leader(profile('alpha', 'Alpha', '/team'), hub, clock);
    const b = leader(profile('beta', 'Beta s3cr3t-token', '/team', 's3cr3t-token'), hub, clock);
    await clock.advance(HOUR);
    a.n.onSnapshot(a.ok(), a.ok());
    b.n.onSnapshot(b.ok(), b.ok());
    await Promise.all([a.n.flush(), b.n.flush()]);
    expect(sink.received).toHaveLength(1);
    expect(JSON.stringify(sink.received[0]!.body)).not.toContain('s3cr3t-token');
  });
});
