import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { render, templateValues } from '../../src/profile/template.js';
import { loadDemoProfile } from '../../src/demo/profile.js';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import type { Scenario } from '../../src/demo/scenario.js';
import { VirtualClock } from '../../src/engine/clock.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { Poller } from '../../src/engine/poller.js';
import { SeriesStore } from '../../src/engine/series.js';
import { initialState, rolledBack, type RolloutState } from '../../src/engine/state.js';
import type { MetricStatus, Snapshot } from '../../src/engine/types.js';
import type { Profile } from '../../src/profile/types.js';
import { closeSources, createSources } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/source.js';
import { CLI, ROOT, ensureBuilt, runCli, type CliResult } from '../support/cli.js';

// profiles/demo.yaml against the simulator, through the real scrape and http sources, the real
// poller and evaluate; the control command runs as a real child process of the built CLI.
const DEMO_PROFILE = join(ROOT, 'profiles', 'demo.yaml');

beforeAll(() => {
  ensureBuilt();
});

interface Rig {
  clock: VirtualClock;
  sim: Simulator;
  profile: Profile;
  sources: Map<string, Source>;
  store: SeriesStore;
  poller: Poller;
  state: RolloutState;
}

let rig: Rig | undefined;

async function open(scenario: Scenario): Promise<Rig> {
  const clock = new VirtualClock();
  const sim = await startSimulator({ scenario, clock });
  const { profile } = await loadDemoProfile({ url: sim.url, cli: CLI });
  const sources = createSources(profile, { clock });
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources, store, clock });
  rig = { clock, sim, profile, sources, store, poller, state: initialState(profile.name, clock.now()) };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  await rig.poller.stop();
  await closeSources(rig.sources);
  await rig.sim.close();
  rig = undefined;
});

/** Advances simulated time poll interval by poll interval, polling every metric each time. */
async function pollFor(r: Rig, seconds: number, until?: (s: Snapshot) => boolean): Promise<Snapshot> {
  let snapshot = judge(r);
  for (let t = 0; t < seconds; t += 5) {
    await r.clock.advance(5_000);
    await r.poller.pollOnce();
    snapshot = judge(r);
    if (until?.(snapshot)) break;
  }
  return snapshot;
}

const judge = (r: Rig) => evaluate(r.profile, r.state, r.store.snapshot(), r.clock.now());
const metric = (s: Snapshot, id: string): MetricStatus => s.metrics.find((m) => m.id === id)!;
const simulatedS = (r: Rig) => r.sim.state().simulatedS;

describe('profiles/demo.yaml polling the simulator', () => {
  it('judges the healthy canary green, with every metric answered by its source', async () => {
    const r = await open('healthy');
    const snapshot = await pollFor(r, 30);
    expect(snapshot.decision).toBe('SOAK');
    for (const m of snapshot.metrics) {
      expect(m.state, `${m.id}: ${m.reason ?? ''}`).toBe('ok');
      expect(m.value, m.id).toBeDefined();
    }
    // The scrape source reads the gauges straight from /metrics.
    expect(metric(snapshot, 'memory').value!).toBeGreaterThan(150 * 1024 * 1024);
    expect(metric(snapshot, 'error_rate').baseline).toBeDefined();
  });

  it('sees the canary error rate pass its rollback threshold in the incident, and recover after the real rollback command', async () => {
    const r = await open('incident');
    const threshold = r.profile.phases[0]!.rules.find((rule) => rule.metric === 'error_rate')!.rollback;
    expect(threshold?.kind).toBe('literal');

    const before = await pollFor(r, 15);
    expect(metric(before, 'error_rate').state).toBe('ok');

    const incident = await pollFor(r, 90, (s) => s.decision === 'ROLLBACK');
    expect(incident.decision).toBe('ROLLBACK');
    expect(simulatedS(r)).toBeLessThanOrEqual(60);
    const errors = metric(incident, 'error_rate');
    expect(errors.state).toBe('breach');
    expect(errors.value!).toBeGreaterThan(threshold!.kind === 'literal' ? threshold!.threshold : Infinity);
    expect(incident.reasons[0]).toContain('error_rate');
    expect(incident.autoRollback?.metric).toBe('error_rate');

    // The profile's rollback action, exactly as the console would run it.
    const argv = render(r.profile.actions.rollback!.run, templateValues(r.profile, r.state.phase, 'test'));
    expect(argv.slice(0, 3)).toEqual([process.execPath, CLI, 'demo-ctl']);
    const result = await runCli(argv.slice(2));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^canary share 10% → 0%/);
    expect(r.sim.state().share).toBe(0);
    r.state = rolledBack(r.state, r.clock.now(), 'test', r.profile.rollbackTo);

    const healed = await pollFor(r, 30);
    expect(healed.rolledBack?.traffic).toBe(0);
    expect(metric(healed, 'canary_rps').value).toBe(0);
    // No canary traffic, so no canary errors to count: said as no data, never as a pass.
    expect(metric(healed, 'error_rate').state).toBe('nodata');
    const users = metric(healed, 'user_error_rate');
    expect(users.state).toBe('ok');
    expect(users.value!).toBeLessThan(0.01);
  });

  it('shows a flaky /stats as a failing source with its reason while the scraped metrics stay fresh', async () => {
    const r = await open('flaky-source');
    const answering = await pollFor(r, 20);
    expect(metric(answering, 'error_rate').state).toBe('ok');

    // 25–40 s simulated: /stats answers 503; three failed polls reach the error limit.
    const failing = await pollFor(r, 15);
    const errors = metric(failing, 'error_rate');
    expect(errors.state).toBe('error');
    expect(errors.reason).toMatch(/source failing for 3 polls: HTTP 503 Service Unavailable \(127\.0\.0\.1:\d+\)/);
    expect(failing.decision).toBe('HOLD');
    expect(metric(failing, 'memory').state).toBe('ok');

    // 40–55 s: /stats stops answering; the source's own timeout says so.
    const hung = await pollFor(r, 5);
    expect(metric(hung, 'error_rate').error ?? metric(hung, 'error_rate').reason).toMatch(/timed out after 2s \(127\.0\.0\.1:\d+\)/);
    expect(metric(hung, 'queue_depth').state).toBe('ok');
  }, 60_000);
});

describe('rollcall check (the built CLI) on the demo profile', () => {
  async function check(scenario: Scenario, waitForS: number): Promise<CliResult> {
    const sim = await startSimulator({ scenario, speed: 20 });
    const stateDir = await mkdtemp(join(tmpdir(), 'rollcall-demo-check-'));
    try {
      while (sim.state().simulatedS < waitForS) await new Promise((resolve) => setTimeout(resolve, 100));
      return await runCli(['check', DEMO_PROFILE, '--state-dir', stateDir], {
        env: { DEMO_URL: sim.url, ROLLCALL_NODE: process.execPath, ROLLCALL_CLI: CLI },
      });
    } finally {
      await sim.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  }

  it('exits 0 on the healthy canary', async () => {
    const result = await check('healthy', 20);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SOAK');
    expect(result.code).toBe(0);
  });

  it('exits 2 once the incident has hit, naming the canary error rate', async () => {
    const result = await check('incident', 60);
    expect(result.stdout).toContain('ROLLBACK');
    expect(result.stdout).toContain('error_rate');
    expect(result.code).toBe(2);
  });
});
