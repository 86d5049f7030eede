// `rollcall demo`: starts the simulated service on loopback and opens the console on the demo
// profile, pointed at it. No setup, no network, no database: the rollout state and audit log go to
// a fresh temporary directory unless --state-dir names one.

import { realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStateStoreError, openStateStore } from '../actions/state-store.js';
import { loadDemoProfile } from '../demo/profile.js';
import { INCIDENT, type Scenario } from '../demo/scenario.js';
import { MAX_SPEED, startSimulator, type Simulator } from '../demo/simulator.js';
import { formatIssue, isProfileError } from '../profile/load.js';
import type { Profile } from '../profile/types.js';
import { ScaledClock, realClock } from '../engine/clock.js';
import { openConsole } from '../console/open-console.js';
import type { CommonOptions } from './common-options.js';
import { ExitCode } from './exit.js';

export interface DemoOptions extends CommonOptions {
  scenario: 'healthy' | 'incident' | 'flaky-source';
  speed: number;
  readOnly?: boolean;
}

export async function demo(opts: DemoOptions): Promise<number> {
  const fail = (message: string): number => {
    process.stderr.write(`rollcall demo: ${message}\n`);
    return ExitCode.usage;
  };
  if (!process.stdout.isTTY) return fail('stdout is not a terminal; the demo is the interactive console (try it in a terminal)');
  if (!(opts.speed > 0) || opts.speed > MAX_SPEED) return fail(`--speed must be more than 0 and at most ${MAX_SPEED}, got ${opts.speed}`);
  const cli = runningScript();
  if (!cli) return fail('cannot tell which script is running rollcall, so the demo actions could not call it back');

  // One clock for the simulator and the console, so `for:` windows, phase minimums and the
  // auto-rollback countdown run as fast as the simulated incident does.
  const clock = opts.speed === 1 ? realClock : new ScaledClock(Date.now(), opts.speed);
  const simulator = await startSimulator({ scenario: opts.scenario, speed: 1, clock });
  try {
    let profile: Profile;
    try {
      ({ profile } = await loadDemoProfile({ url: simulator.url, cli }));
    } catch (error) {
      if (!isProfileError(error)) throw error;
      return fail(`the built-in demo profile is broken:\n${error.issues.map(formatIssue).join('\n')}`);
    }
    const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'rollcall-demo-')));
    try {
      simulator.setShare(await currentShare(profile, stateDir));
    } catch (error) {
      if (!isStateStoreError(error)) throw error;
      return fail(error.message);
    }
    const code = await openConsole(profile, {
      stateDir,
      ...(opts.auditLog !== undefined ? { auditLog: opts.auditLog } : {}),
      ...(opts.readOnly ? { readOnly: true } : {}),
      banner: banner(opts.scenario, opts.speed, simulator),
      clock,
    });
    process.stderr.write(`rollcall demo: the rollout state and audit log are in ${stateDir}\n`);
    return code;
  } finally {
    await simulator.close();
  }
}

/**
 * The canary share the rollout state implies: a demo reopened on a kept --state-dir starts the
 * simulator where the rollout left it, not back at the first phase.
 */
async function currentShare(profile: Profile, stateDir: string): Promise<number> {
  const store = await openStateStore(profile, { dir: stateDir, readOnly: true });
  try {
    const state = store.read();
    return state.rolledBack ? state.rolledBack.traffic : (profile.phases[state.phase] ?? profile.phases[0]!).traffic;
  } finally {
    await store.close();
  }
}

function banner(scenario: Scenario, speed: number, simulator: Simulator): string {
  const where = `demo: simulated service at ${simulator.url}, ${speed}x speed`;
  const incidentIn = Math.round(INCIDENT.startS / speed);
  switch (scenario) {
    case 'healthy':
      return `${where}. The canary stays healthy: let it soak, then promote with p (it really moves the canary share).`;
    case 'incident':
      return `${where}. The canary starts failing about ${incidentIn}s in: watch ROLLBACK come, then press r (or let the countdown run) and watch it heal.`;
    case 'flaky-source':
      return `${where}. /stats fails and hangs now and then: watch the stats source turn to error with its reason, and recover.`;
  }
}

/** The script node is running (dist/src/cli.js or the bundle), for the actions to call back. */
function runningScript(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    return realpathSync(script);
  } catch {
    return undefined;
  }
}
