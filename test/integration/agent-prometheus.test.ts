// The agent's /metrics scraped by the real Prometheus, which evaluates the README's alerting rule.

import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, startWatchedService, watchedProfile, type RunningAgent, type WatchedService } from '../support/agent.js';
import { freePort } from '../support/port.js';
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js';

/** The rule the README shows, word for word but for `for:` (a test cannot wait 2 minutes). */
const RULES = `groups:
  - name: rollcall
    rules:
      - alert: RolloutRollback
        expr: rollcall_decision{decision="ROLLBACK"} == 1
        for: 0s
        labels: { severity: page }
        annotations:
          summary: "{{ $labels.rollout }}: rollcall says ROLLBACK"
`;

let dir: string;
let service: WatchedService;
let agent: RunningAgent;
let prometheus: TestPrometheus | undefined;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollcall-agent-prom-'));
  service = await startWatchedService();
  const profile = join(dir, 'checkout.yaml');
  writeFileSync(profile, watchedProfile('checkout', service, join(dir, 'rollbacks.txt'), { auto: false }));
  port = await freePort();
  agent = startAgent([profile, '--state-dir', join(dir, 'state'), '--listen', `127.0.0.1:${port}`]);
  await agent.waitFor((l) => l.event === 'warm');
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], rules: RULES });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  agent?.child.kill('SIGTERM');
  await agent?.exited;
  await service?.server.close();
  await rm(dir, { recursive: true, force: true });
});

async function alerts(): Promise<{ state: string; labels: Record<string, string>; annotations: Record<string, string> }[]> {
  const res = await fetch(`${prometheus!.url}/api/v1/alerts`);
  return ((await res.json()) as { data: { alerts: { state: string; labels: Record<string, string>; annotations: Record<string, string> }[] } }).data.alerts;
}

async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the agent as a Prometheus target', () => {
  it('serves /healthz and a /metrics page Prometheus scrapes, with the decision, phase, traffic and metric values', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.text()).toBe('ok: 1 rollouts\n');
    if (!prometheus) return;
    const value = await eventually(async () => {
      const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent('rollcall_metric_value{metric="error_rate"}')}`);
      const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return body.data.result[0];
    });
    expect(value.metric).toMatchObject({ rollout: 'checkout', metric: 'error_rate' });
    expect(Number(value.value[1])).toBe(0.001);
    expect(await alerts()).toEqual([]);
  }, 30_000);

  it('fires the alerting rule once the agent judges ROLLBACK', async () => {
    if (!prometheus) return;
    service.rate = 0.05;
    const firing = await eventually(async () => (await alerts()).find((a) => a.state === 'firing'), 30_000);
    expect(firing.labels).toMatchObject({ alertname: 'RolloutRollback', rollout: 'checkout', decision: 'ROLLBACK', severity: 'page' });
    expect(firing.annotations.summary).toBe('checkout: rollcall says ROLLBACK');
  }, 40_000);
});
