import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { demoControl } from '../../src/demo/control.js';
import type { ServiceStats } from '../../src/demo/model.js';
import type { Scenario } from '../../src/demo/scenario.js';
import { startSimulator, type Simulator, type SimulatorState } from '../../src/demo/simulator.js';
import { parseExposition, type ExpositionSample } from '../../src/sources/exposition.js';

// The simulator is a real HTTP server on 127.0.0.1; a virtual clock drives its simulated time.
let sim: Simulator | undefined;
let clock: VirtualClock;

async function start(scenario: Scenario, opts: { speed?: number; share?: number } = {}): Promise<Simulator> {
  clock = new VirtualClock();
  sim = await startSimulator({ scenario, clock, ...opts });
  return sim;
}

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const seconds = (s: number) => clock.advance(s * 1_000);

async function stats(s: Simulator): Promise<ServiceStats> {
  const res = await fetch(`${s.url}/stats`);
  expect(res.status).toBe(200);
  return (await res.json()) as ServiceStats;
}

async function metrics(s: Simulator) {
  const res = await fetch(`${s.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
}

function setShare(s: Simulator, body: unknown): Promise<Response> {
  return fetch(`${s.url}/control/canary`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

const sum = (samples: ExpositionSample[] | undefined, labels: Record<string, string>) =>
  (samples ?? []).filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0);

describe('the demo simulator', () => {
  it('exposes both tracks as a Prometheus exposition that parses without a malformed line', async () => {
    const s = await start('incident');
    await seconds(30);
    const exposition = await metrics(s);
    expect(exposition.malformed.count).toBe(0);
    expect(exposition.types.get('http_requests_total')).toBe('counter');
    expect(exposition.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(exposition.types.get('process_resident_memory_bytes')).toBe('gauge');

    for (const track of ['canary', 'stable']) {
      const requests = sum(exposition.byName.get('http_requests_total'), { track });
      expect(requests).toBeGreaterThan(0);
      const buckets = exposition.byName.get('http_request_duration_seconds_bucket')!.filter((b) => b.labels.track === track);
      // Cumulative buckets never fall, and +Inf counts every request, as _count does.
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(requests);
      expect(sum(exposition.byName.get('http_request_duration_seconds_count'), { track })).toBe(requests);
      expect(sum(exposition.byName.get('process_resident_memory_bytes'), { track })).toBeGreaterThan(100 * 1024 * 1024);
    }
    expect(sum(exposition.byName.get('canary_traffic_share_percent'), {})).toBe(10);
  });

  it('sends the canary its share of the traffic', async () => {
    const s = await start('healthy', { share: 10 });
    await seconds(60);
    const { served } = s.state();
    const canaryShare = served.canary / (served.canary + served.stable);
    expect(canaryShare).toBeGreaterThan(0.08);
    expect(canaryShare).toBeLessThan(0.12);
    const { canary, stable } = await stats(s);
    expect(canary.rps).toBeGreaterThan(15);
    expect(canary.rps).toBeLessThan(25);
    expect(stable.rps).toBeGreaterThan(160);
  });

  it('raises the canary errors and latency during the incident while the stable track stays put', async () => {
    const s = await start('incident');
    await seconds(15);
    const before = await stats(s);
    expect(before.canary.error_rate!).toBeLessThan(0.01);
    expect(before.canary.p95_ms! / before.stable.p95_ms!).toBeLessThan(1.5);

    await seconds(45);
    const during = await stats(s);
    expect(during.canary.error_rate!).toBeGreaterThan(0.05);
    expect(during.canary.p95_ms! / during.stable.p95_ms!).toBeGreaterThan(2);
    expect(during.canary.queue_depth).toBeGreaterThan(10);
    expect(during.canary.memory_mb).toBeGreaterThan(before.canary.memory_mb * 1.3);
    expect(during.stable.error_rate!).toBeLessThan(0.01);
    expect(during.stable.p95_ms!).toBeLessThan(before.stable.p95_ms! * 1.3);
    expect(s.state().canaryDefect).toBe(1);

    // The same story in the exposition's counters: the canary's 5xx climb, stable's do not.
    const exposition = await metrics(s);
    const canaryErrors = sum(exposition.byName.get('http_requests_total'), { track: 'canary', code: '500' }) + sum(exposition.byName.get('http_requests_total'), { track: 'canary', code: '503' });
    const canaryAll = sum(exposition.byName.get('http_requests_total'), { track: 'canary' });
    expect(canaryErrors / canaryAll).toBeGreaterThan(0.03);
  });

  it('stays healthy for ten minutes in the healthy scenario', async () => {
    const s = await start('healthy');
    await seconds(20);
    for (let i = 0; i < 120; i++) {
      await seconds(5);
      const { canary, stable } = await stats(s);
      expect(canary.error_rate!).toBeLessThan(0.01);
      expect(canary.p95_ms! / stable.p95_ms!).toBeLessThan(1.5);
      expect(canary.memory_mb).toBeLessThan(200);
      expect(canary.queue_depth).toBeLessThanOrEqual(10);
    }
  });

  it('moves canary traffic when the control API changes the share, and a share of 0 stops it', async () => {
    const s = await start('incident');
    await seconds(60);
    expect((await stats(s)).canary.rps).toBeLessThan(25);

    const moved = await setShare(s, { share: 50 });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ previous: 10, share: 50 });
    await seconds(20);
    const half = await stats(s);
    expect(half.canary.rps).toBeGreaterThan(85);
    expect(half.canary.share).toBe(50);

    expect((await setShare(s, { share: 0 })).status).toBe(200);
    const servedAtRollback = s.state().served.canary;
    await seconds(20);
    expect(s.state().served.canary).toBe(servedAtRollback);
    const healed = await stats(s);
    expect(healed.canary.rps).toBe(0);
    expect(healed.canary.error_rate).toBeNull();
    // What users see returns to the stable track's level once the canary has no traffic.
    expect(healed.all.error_rate!).toBeLessThan(0.01);
    const control = (await (await fetch(`${s.url}/control`)).json()) as SimulatorState;
    expect(control).toMatchObject({ scenario: 'incident', share: 0 });
  });

  it('refuses a share outside 0..100 with a one-line reason and keeps the old share', async () => {
    const s = await start('healthy');
    for (const body of [{ share: 150 }, { share: '25' }, {}, 'not json']) {
      const res = await setShare(s, body);
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: string };
      expect(error).toMatch(/share must be a number from 0 to 100|body is not JSON/);
      expect(error).not.toContain('\n');
    }
    expect(s.state().share).toBe(10);
    expect((await fetch(`${s.url}/control/canary`)).status).toBe(405);
    expect((await fetch(`${s.url}/nowhere`)).status).toBe(404);
  });

  it('lets /stats fail and then hang in the flaky-source scenario while /metrics keeps answering', async () => {
    const s = await start('flaky-source');
    await seconds(10);
    expect((await fetch(`${s.url}/stats`)).status).toBe(200);

    await seconds(20);
    const failing = await fetch(`${s.url}/stats`);
    expect(failing.status).toBe(503);
    expect(((await failing.json()) as { error: string }).error).toContain('unavailable');
    expect((await metrics(s)).malformed.count).toBe(0);

    await seconds(15);
    const hung = fetch(`${s.url}/stats`, { signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toThrow(/timeout|aborted/i);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);

    await seconds(15);
    expect((await fetch(`${s.url}/stats`)).status).toBe(200);
  });

  it('runs its clock N times faster at speed N', async () => {
    const s = await start('incident', { speed: 10 });
    await seconds(6);
    expect(s.state().simulatedS).toBe(60);
    expect(s.state().canaryDefect).toBe(1);
    expect((await stats(s)).canary.error_rate!).toBeGreaterThan(0.05);
  });

  it('repeats the same numbers on every run', async () => {
    const first = await start('incident');
    await seconds(45);
    const a = await (await fetch(`${first.url}/metrics`)).text();
    await first.close();
    const second = await start('incident');
    await seconds(45);
    expect(await (await fetch(`${second.url}/metrics`)).text()).toBe(a);
  });
});

describe('demo-ctl, the control client the demo actions run', () => {
  function capture() {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  }

  it('sets the canary share and says what changed', async () => {
    const s = await start('incident');
    await seconds(30);
    const { out, io } = capture();
    expect(await demoControl({ url: s.url, command: 'share', value: '25' }, io)).toBe(0);
    expect(out.stdout).toMatch(/^canary share 10% → 25% \(simulator 127\.0\.0\.1:\d+, 30s simulated\)\n$/);
    expect(s.state().share).toBe(25);

    const status = capture();
    expect(await demoControl({ url: s.url, command: 'status' }, status.io)).toBe(0);
    expect(status.out.stdout).toContain('scenario incident, canary share 25%');
  });

  it('refuses a bad share or command with a usage error and changes nothing', async () => {
    const s = await start('healthy');
    for (const [command, value, reason] of [
      ['share', 'lots', 'share needs a number from 0 to 100, got "lots"'],
      ['share', '101', 'got "101"'],
      ['share', undefined, 'got nothing'],
      ['promote', undefined, 'unknown command "promote"'],
    ] as const) {
      const { out, io } = capture();
      expect(await demoControl({ url: s.url, command, ...(value !== undefined ? { value } : {}) }, io)).toBe(3);
      expect(out.stderr).toContain(reason);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
    const { out, io } = capture();
    expect(await demoControl({ url: 'ftp://example', command: 'status' }, io)).toBe(3);
    expect(out.stderr).toContain('is not an http:// URL');
    expect(s.state().share).toBe(10);
  });

  it('reports a simulator that is gone as unreachable, with its address', async () => {
    const s = await start('healthy');
    const url = s.url;
    await s.close();
    sim = undefined;
    const { out, io } = capture();
    expect(await demoControl({ url, command: 'share', value: '0' }, io)).toBe(4);
    expect(out.stderr).toBe(`rollcall demo-ctl: cannot reach the simulator at ${new URL(url).host} (connection refused); is rollcall demo still running?\n`);
  });
});
