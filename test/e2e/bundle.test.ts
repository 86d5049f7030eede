import { spawn, spawnSync } from 'node:child_process';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/build/bundle.js';
import { startSimulator } from '../../src/demo/simulator.js';
import type { Scenario } from '../../src/demo/scenario.js';

// The bundle, built by the real build script and its directory copied alone into an empty one:
// whatever it needs must be inside it, because no node_modules is anywhere above that directory.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let buildDir: string;
let dir: string;
const BUNDLE = join('rollcall', 'rollcall.mjs');

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), 'rollcall-bundle-build-'));
  const built = await buildBundle({ outdir: join(buildDir, 'rollcall') });
  expect(built.warnings).toEqual([]);
  dir = await mkdtemp(join(tmpdir(), 'rollcall-bundle-'));
  await cp(built.outdir, join(dir, 'rollcall'), { recursive: true });
  for (let up = dir; ; up = dirname(up)) {
    if (existsSync(join(up, 'node_modules'))) throw new Error(`${up}/node_modules exists: the bundle test would not prove the bundle stands alone`);
    if (dirname(up) === up) break;
  }
});

afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'state'), NODE_PATH: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const CHECK_PROFILE = `name: bundle-check
sources:
  stats: { type: http, url: "\${SIM_URL}" }
  service: { type: scrape, url: "\${SIM_URL}/metrics" }
metrics:
  error_rate:
    source: stats
    path: /stats
    query: $.canary.error_rate
    baseline: { query: $.stable.error_rate }
    unit: ratio
  memory:
    source: service
    query: { series: process_resident_memory_bytes, match: { track: canary } }
    unit: bytes
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 5%" }
phases:
  - { name: canary, traffic: 10, duration: 1h }
`;

describe('dist/rollcall/, alone in an empty directory', () => {
  it('prints the version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await node(['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(version);
    expect(result.code).toBe(0);
  });

  it("prints its help, commander's built-ins taken from Node when first used rather than imported at start", async () => {
    const help = await node(['--help']);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: rollcall /m);
    expect(help.code).toBe(0);
    const chunks = join(dir, 'rollcall', 'chunks');
    const cli = (await readdir(chunks)).filter((name) => name.startsWith('cli-'));
    expect(cli).toHaveLength(1);
    const text = await readFile(join(chunks, cli[0]!), 'utf8');
    expect(text).toContain('commander.unknownOption');
    expect(text).not.toMatch(/from\s*["']node:(child_process|util|process)["']/);
  });

  it('validates a copied profile, and points at the line of a broken one', async () => {
    await copyFile(join(ROOT, 'profiles', 'demo.yaml'), join(dir, 'demo.yaml'));
    const env = { DEMO_URL: 'http://127.0.0.1:9', ROLLCALL_NODE: process.execPath, ROLLCALL_CLI: join(dir, BUNDLE) };
    const good = await node(['validate', 'demo.yaml'], env);
    expect(good.stderr).toBe('');
    expect(good.stdout).toContain('demo.yaml');
    expect(good.code).toBe(0);

    await writeFile(join(dir, 'broken.yaml'), CHECK_PROFILE.replace('warn: "> 1%"', 'warn: "> 1 parsec"'));
    const broken = await node(['validate', 'broken.yaml'], { SIM_URL: 'http://127.0.0.1:9' });
    expect(broken.code).toBe(3);
    const line = CHECK_PROFILE.split('\n').findIndex((l) => l.includes('metric: error_rate, warn')) + 1;
    expect(broken.stderr).toMatch(new RegExp(`^broken\\.yaml:${line}:\\d+: rules\\[0\\]\\.warn: "1 parsec" .*is not a value`, 'm'));
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });

  it('checks PromQL with the grammar it carries (loaded on first use), pointing into the query', async () => {
    await copyFile(join(ROOT, 'test', 'fixtures', 'profiles', 'broken.yaml'), join(dir, 'promql.yaml'));
    const result = await node(['validate', 'promql.yaml']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('promql.yaml:10:64: metrics.error_rate.query: PromQL syntax error: the query ends too early');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  async function check(scenario: Scenario): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const sim = await startSimulator({ scenario, speed: 20 });
    try {
      // Far enough in for the incident to have hit, at 20x: 60 simulated seconds.
      while (sim.state().simulatedS < 60) await new Promise((resolve) => setTimeout(resolve, 100));
      await writeFile(join(dir, 'check.yaml'), CHECK_PROFILE);
      return await node(['check', 'check.yaml', '--state-dir', join(dir, `state-${scenario}`)], { SIM_URL: sim.url });
    } finally {
      await sim.close();
    }
  }

  it('checks a profile against the simulator: exit 0 while the canary is healthy', async () => {
    const result = await check('healthy');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SOAK');
    expect(result.code).toBe(0);
  });

  it('checks a profile against the simulator: exit 2 once the canary fails', async () => {
    const result = await check('incident');
    expect(result.stdout).toMatch(/ROLLBACK[\s\S]*error_rate/);
    expect(result.code).toBe(2);
  });
});

// The demo is an interactive console: it runs in a real terminal (tmux), from the bundle alone.
const tmux = spawnSync('tmux', ['-V']).status === 0;
if (!tmux && process.env.ROLLCALL_REQUIRE_TMUX === '1') throw new Error('tmux is required (ROLLCALL_REQUIRE_TMUX=1) but not installed');
if (!tmux) console.warn('\n*** tmux is not installed: the bundled demo test is SKIPPED ***\n');

describe.skipIf(!tmux)('rollcall demo from the bundle, in a terminal', () => {
  const session = `rollcall-bundle-demo-${process.pid}`;
  const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
  afterAll(() => void spawnSync('tmux', ['kill-session', '-t', session]));

  it('opens the console on the embedded demo profile, reaches ROLLBACK in the incident, and rolls back through the bundle itself', async () => {
    const done = join(dir, 'demo.exit');
    const stateDir = join(dir, 'demo-state');
    const command = `cd '${dir}' && env -u NODE_PATH '${process.execPath}' ${BUNDLE} demo --speed 10 --state-dir '${stateDir}'; echo $? > '${done}'`;
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', command]).status).toBe(0);
    const waitFor = async (pattern: RegExp): Promise<string> => {
      let screen = pane();
      for (let i = 0; i < 150 && !pattern.test(screen); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        screen = pane();
      }
      return screen;
    };
    const keys = (...k: string[]) => void spawnSync('tmux', ['send-keys', '-t', session, ...k]);

    const incident = await waitFor(/ROLLBACK/);
    expect(incident).toContain('Demo service canary (simulated)');
    expect(incident).toContain('ROLLBACK');
    expect(incident).toMatch(/error_rate .*> 5%/);

    // The rollback action runs `node rollcall/rollcall.mjs demo-ctl …`: the bundle calling itself back.
    keys('r');
    expect(await waitFor(/Type rollback to run it/)).toContain('Type rollback to run it');
    keys('rollback', 'Enter');
    expect(await waitFor(/canary share 10% → 0%/)).toContain('canary share 10% → 0%');
    expect(await waitFor(/ROLLED BACK/)).toContain('ROLLED BACK');

    keys('q');
    for (let i = 0; i < 100 && !existsSync(done); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await readFile(done, 'utf8')).trim()).toBe('0');
    const audit = (await readFile(join(stateDir, 'rollcall-demo.audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit.find((e) => e.event === 'action' && e.action === 'rollback')).toMatchObject({ exitCode: 0, argv: [process.execPath, join(dir, BUNDLE), 'demo-ctl', '--url', expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), 'share', '0'] });
  }, 40_000);
});
