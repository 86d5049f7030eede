import { describe, expect, it } from 'vitest';
import { parseListen, renderMetrics } from '../../src/agent/exporter.js';
import { MemoryRolloutStore } from '../../src/engine/memory-rollout.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { initialState } from '../../src/engine/state.js';
import { WatchLoop } from '../../src/engine/watch-loop.js';
import { parseProfile } from '../../src/profile/load.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const text = `name: pay-v2
sources: { svc: { type: http, url: "http://127.0.0.1:9" } }
metrics:
  error_rate: { source: svc, query: $.e, unit: ratio, baseline: 0.01 }
  p95: { source: svc, query: $.p, unit: seconds }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }
phases: [{ name: canary, traffic: 10 }, { name: full, traffic: 100 }]
`;

function judged(errorRate: number) {
  const { profile } = parseProfile(text, 'pay.yaml', { env: {} });
  const clock = new VirtualClock(T0);
  const loop = new WatchLoop({ profile, sources: new Map(), rollout: new MemoryRolloutStore(initialState(profile.name, T0)), clock });
  loop.series.putPoints('error_rate', 'canary', new Map([['', [{ t: T0, v: errorRate }]]]), T0, { source: 'svc' });
  loop.settle();
  return { profile, view: loop.view, leader: true, autoRollbackPending: false, historyOk: true };
}

describe('the /metrics page', () => {
  it('says the decision, state and values of a rollout as labelled gauges', () => {
    const page = renderMetrics([judged(0.05)]);
    const r = 'rollout="pay-v2"';
    expect(page).toContain(`rollcall_decision{${r},decision="ROLLBACK"} 1\n`);
    expect(page).toContain(`rollcall_decision{${r},decision="PROMOTE"} 0\n`);
    expect(page).toContain(`rollcall_phase_index{${r},phase="canary"} 0\n`);
    expect(page).toContain(`rollcall_traffic_percent{${r}} 10\n`);
    expect(page).toContain(`rollcall_metric_value{${r},metric="error_rate"} 0.05\n`);
    expect(page).toContain(`rollcall_metric_baseline{${r},metric="error_rate"} 0.01\n`);
    expect(page).toContain(`rollcall_metric_threshold{${r},metric="error_rate",severity="rollback",rule="> 2%"} 0.02\n`);
    expect(page).toContain(`rollcall_metric_state{${r},metric="error_rate",state="breach"} 1\n`);
    expect(page).toContain(`rollcall_metric_state{${r},metric="p95",state="nodata"} 1\n`);
    expect(page).toContain(`rollcall_source_up{${r},source="svc"} 0\n`);
    expect(page).toContain(`rollcall_leader{${r}} 1\n`);
    // No value yet: no sample line, never a made-up zero.
    expect(page).not.toMatch(/rollcall_metric_value\{[^}]*metric="p95"/);
    expect(page.match(/^# TYPE /gm)!.length).toBe(page.match(/^# HELP /gm)!.length);
  });

  it('follows the judgement', () => {
    expect(renderMetrics([judged(0.001)])).toMatch(/rollcall_metric_state\{[^}]*metric="error_rate",state="ok"\} 1\n/);
  });

  it('reads a listen address or says what it expects', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListen('9464')).toEqual({ error: '--listen 9464: expected HOST:PORT, e.g. 127.0.0.1:9464' });
    expect(parseListen('localhost:70000')).toHaveProperty('error');
  });
});
