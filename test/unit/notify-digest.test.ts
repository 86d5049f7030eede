import { describe, expect, it } from 'vitest';
import { Notifier } from '../../src/actions/notify.js';
import type { ActionOutcome } from '../../src/actions/runner.js';
import { VirtualClock } from '../../src/engine/clock.js';
import type { Decision, MetricState, Snapshot } from '../../src/engine/types.js';
import { formatIssue } from '../../src/profile/issues.js';
import { checkProfileText, parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/types.js';
import { sinkForTests } from '../support/http.js';

const HOUR = 3_600_000;
const FILE = 'profiles/checkout.yaml';
/** Saturday 24 October 2026, 08:00 in Berlin (CEST, UTC+2); clocks go back to CET that night. */
const START = Date.UTC(2026, 9, 24, 6, 0);

const sink = sinkForTests();

function profileWith(notify: string): Profile {
  return parseProfile(
    `name: checkout
title: Checkout v2 canary
sources:
  prom: { type: prometheus, url: "http://127.0.0.1:9" }
metrics:
  error_rate: { source: prom, query: up, unit: ratio }
phases:
  - { name: canary, traffic: 10 }
  - { name: ramp, traffic: 50 }
notify:
${notify}`,
    FILE,
    { env: { SINK: sink.url } },
  ).profile;
}

function snapshot(clock: VirtualClock, decision: Decision, state: MetricState, phase = 'canary'): Snapshot {
  const reason = state === 'breach' ? 'error_rate 2.4% > 2% for 5m (rollback)' : undefined;
  const index = phase === 'canary' ? 0 : 1;
  return {
    at: clock.now(),
    profile: 'checkout',
    decision,
    reasons: reason ? [reason] : [],
    metrics: [{ id: 'error_rate', title: 'Error rate', unit: 'ratio', state, value: 0.02, thresholds: [], ...(reason ? { reason } : {}) }],
    phase: { index, name: phase, title: phase, traffic: index === 0 ? 10 : 50, startedAt: 0, elapsedMs: 0, criteria: [], checklist: [] },
  };
}

const action: ActionOutcome = {
  action: 'rollback',
  argv: ['flagctl', 'set', 'checkout', '0'],
  exitCode: 0,
  signal: null,
  durationMs: 1200,
  outputTail: [],
  ok: true,
  message: 'rollback succeeded',
};

describe('a daily digest', () => {
  it('sends decisions, moves, breaches and actions since the last one at 09:00 Berlin time, before and after the clocks go back', async () => {
    const profile = profileWith(`  - { type: webhook, url: "\${SINK}/digest", on: [], digest: { at: ["09:00"], zone: Europe/Berlin } }\n`);
    const clock = new VirtualClock(START);
    const n = new Notifier({ targets: profile.notify, profile, clock, retryDelayMs: 5 });
    const ok = () => snapshot(clock, 'SOAK', 'ok');
    n.onSnapshot(undefined, ok());
    await clock.advance(HOUR / 2);
    n.onSnapshot(ok(), snapshot(clock, 'ROLLBACK', 'breach'));
    n.onAction(action);
    await clock.advance(HOUR / 2 - 1);
    n.onSnapshot(ok(), ok());
    await n.flush();
    expect(sink.received).toEqual([]);
    await clock.advance(1);
    n.onSnapshot(ok(), ok());
    await n.flush();
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.body).toMatchObject({
      event: 'digest',
      at: '2026-10-24T07:00:00.000Z',
      digest: {
        since: '2026-10-24T06:00:00.000Z',
        until: '2026-10-24T07:00:00.000Z',
        entries: [
          { at: '2026-10-24T06:30:00.000Z', kind: 'decision', text: 'checkout canary: ROLLBACK — error_rate 2.4% > 2% for 5m (rollback)' },
          { at: '2026-10-24T06:30:00.000Z', kind: 'breach', text: 'checkout canary: error_rate breach — error_rate 2.4% > 2% for 5m (rollback)' },
          { at: '2026-10-24T06:30:00.000Z', kind: 'action', text: 'rollback: rollback succeeded' },
        ],
      },
    });

    // The next day is on CET (UTC+1): 09:00 in Berlin is 08:00 UTC, not 07:00.
    const ramp = () => snapshot(clock, 'SOAK', 'ok', 'ramp');
    await clock.advance(3 * HOUR);
    n.onSnapshot(ok(), ramp());
    await clock.advance(21 * HOUR);
    n.onSnapshot(ramp(), ramp());
    await n.flush();
    expect(sink.received).toHaveLength(1);
    await clock.advance(HOUR);
    n.onSnapshot(ramp(), ramp());
    await n.flush();
    expect(sink.received).toHaveLength(2);
    expect(sink.received[1]!.body).toMatchObject({
      at: '2026-10-25T08:00:00.000Z',
      digest: { since: '2026-10-24T07:00:00.000Z', entries: [{ at: '2026-10-24T10:00:00.000Z', kind: 'move', text: 'canary → ramp (50%)' }] },
    });
  });

  it('sends one digest after sleeping through several, and says so when nothing happened', async () => {
    const profile = profileWith(`  - { type: slack, url: "\${SINK}/slack", on: [], digest: { at: ["09:00", "17:00"], zone: UTC } }\n`);
    const clock = new VirtualClock(Date.UTC(2026, 9, 24, 8, 0));
    const n = new Notifier({ targets: profile.notify, profile, clock, retryDelayMs: 5 });
    n.onSnapshot(undefined, snapshot(clock, 'SOAK', 'ok'));
    await clock.advance(30 * HOUR);
    n.onSnapshot(snapshot(clock, 'SOAK', 'ok'), snapshot(clock, 'SOAK', 'ok'));
    await n.flush();
    expect(sink.received).toHaveLength(1);
    const body = sink.received[0]!.body as { text: string; blocks: { text: { text: string } }[] };
    expect(body.text).toBe(':newspaper: *Checkout v2 canary* — digest 2026-10-24T08:00Z to 2026-10-25T14:00Z');
    expect(body.blocks[0]!.text.text.split('\n')).toEqual([
      ':newspaper: *Checkout v2 canary* — digest 2026-10-24T08:00Z to 2026-10-25T14:00Z',
      'Now: phase canary (10%) · SOAK',
      '- nothing happened: no decision, move, breach or action',
    ]);
  });

  it('says where a digest names an unknown time zone or a bad time', () => {
    const issues = (target: string) =>
      checkProfileText(
        `name: c\nsources: { p: { type: prometheus, url: "http://127.0.0.1:9090" } }\nmetrics: { m: { source: p, query: up } }\nphases: [{ name: a, traffic: 1 }]\nnotify:\n  - ${target}\n`,
        FILE,
      ).issues.map(formatIssue);
    expect(issues('{ type: webhook, url: "https://h.example.com", digest: { at: ["09:00"], zone: Europe/Berln } }')).toEqual([
      expect.stringMatching(/^profiles\/checkout\.yaml:6:83: notify\[0\]\.digest\.zone: unknown time zone "Europe\/Berln" \(did you mean "Europe\/Berlin"\?\)/),
    ]);
    expect(issues('{ type: webhook, url: "https://h.example.com", digest: { at: "9am" } }')).toEqual([
      `${FILE}:6:66: notify[0].digest.at: "9am" is not valid here: use a time of day as 24-hour HH:MM, e.g. "09:00"`,
    ]);
  });
});
