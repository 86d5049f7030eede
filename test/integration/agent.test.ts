import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteHistory } from '../../src/actions/history-sqlite.js';
import { loadProfileFile as loadProfile } from '../support/profile-file.js';
import { runCli } from '../support/cli.js';
import { agentTestbed, watchedProfile, type RunningAgent } from '../support/agent.js';

const bed = agentTestbed('agent');

/** --lease-timeout 3s: a heartbeat a second; the stated takeover on one host is one heartbeat. */
const LEASE = ['--lease-timeout', '3s'];
const HEARTBEAT_MS = 1_000;


function agent(...args: string[]): RunningAgent {
  const a = bed.start([...args, '--state-dir', join(bed.dir, 'state'), ...LEASE]);
  return a;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leads = (l: { event: string; text: string }) => l.event === 'lease' && l.text.startsWith('leader');
const countBy = (items: { event: string }[]) => items.reduce<Record<string, number>>((acc, h) => ({ ...acc, [h.event]: (acc[h.event] ?? 0) + 1 }), {});

describe('rollcall agent, as real processes', () => {
  it('has one leader of two agents: one auto-rollback and one message per event, and the standby takes over within a heartbeat of kill -9 without repeating them', async () => {
    const profile = join(bed.dir, 'checkout.yaml');
    const rollbacks = join(bed.dir, 'rollbacks.txt');
    writeFileSync(profile, watchedProfile('checkout', bed.service, rollbacks));
    const a = agent(profile);
    await a.waitFor(leads);
    const b = agent(profile);
    await b.waitFor((l) => l.event === 'lease' && l.text.startsWith('standby: the lease is held by agent'));
    await b.waitFor((l) => l.event === 'warm');

    bed.service.rate = 0.05;
    await a.waitFor((l) => l.event === 'action' && /auto-rollback/.test(l.text), 20_000);
    await sleep(2_500);
    expect(readFileSync(rollbacks, 'utf8')).toBe('rolled\n');
    const sent = countBy(bed.service.hooks);
    expect(sent.action).toBe(1);
    expect(Object.values(sent).every((n) => n === 1)).toBe(true);

    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    const took = await b.waitFor(leads, 10_000);
    const takeoverMs = Date.parse(took.time) - killedAt;
    // Stated: on one host, within a heartbeat (the next look finds the pid gone), plus opening the state.
    expect(takeoverMs).toBeLessThan(HEARTBEAT_MS + 1_000);
    await sleep(3_000);
    expect(readFileSync(rollbacks, 'utf8')).toBe('rolled\n');
    expect(countBy(bed.service.hooks)).toEqual(sent);
    expect(b.lines.some((l) => l.event === 'auto-rollback' || l.event === 'action' || l.event === 'notify')).toBe(false);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.lines.at(-1)).toMatchObject({ event: 'stop', text: 'stopped' });
    expect(existsSync(join(bed.dir, 'state', 'checkout.lease'))).toBe(false);
    expect(existsSync(join(bed.dir, 'state', 'checkout.lock'))).toBe(false);
    // Every sample both agents saw is in the history, the breach included.
    const { profile: loaded } = await loadProfile(profile);
    const history = openSqliteHistory(loaded, join(bed.dir, 'state'));
    const points = history.read('error_rate', 'canary', 0, Date.now()).series[0]!.points;
    expect(points.length).toBeGreaterThan(5);
    expect(points.some((p) => p.v === 0.05)).toBe(true);
    // One agent's samples (one a second), not both agents': the standby stored nothing while A led.
    const seconds = (Date.parse(b.lines.at(-1)!.time) - Date.parse(a.lines[0]!.time)) / 1000;
    expect(points.length).toBeLessThanOrEqual(seconds + 3);
    await history.close();
  }, 60_000);

  it('keeps the running version of a profile on a broken edit, says where it is broken, and reloads a valid edit', async () => {
    const profile = join(bed.dir, 'checkout.yaml');
    const text = watchedProfile('checkout', bed.service, join(bed.dir, 'rollbacks.txt'));
    writeFileSync(profile, text);
    const a = agent(bed.dir);
    await a.waitFor(leads);
    writeFileSync(profile, text.replace('interval: 1s }', 'interval: 1s'));
    const broken = await a.waitFor((l) => l.event === 'reload' && l.level === 'error');
    expect(broken.text).toMatch(new RegExp(`^${profile}:\\d+:\\d+: .*; still watching the running version of checkout$`));
    await sleep(1_500);
    expect(a.lines.filter((l) => l.event === 'stop')).toEqual([]);
    writeFileSync(profile, text.replace('warn: "> 1%"', 'warn: "> 1.5%"'));
    await a.waitFor((l) => l.event === 'reload' && l.text === `${profile} changed: reloaded`);
    await a.waitFor((l) => l.event === 'lease' && l.text.startsWith('leader') && a.lines.indexOf(l) > a.lines.findIndex((x) => x.event === 'reload' && x.level === 'info'));
    // A new file in the watched directory starts; one naming a rollout already watched is refused.
    writeFileSync(join(bed.dir, 'payments.yaml'), watchedProfile('payments', bed.service, join(bed.dir, 'p.txt')));
    await a.waitFor((l) => l.rollout === 'payments' && l.event === 'start');
    writeFileSync(join(bed.dir, 'copy.yaml'), text);
    const refused = await a.waitFor((l) => l.event === 'reload' && l.text.includes('copy.yaml'));
    expect(refused.text).toBe(`${join(bed.dir, 'copy.yaml')} names rollout checkout, already watched from ${profile}; not watched`);
  }, 60_000);

  it("answers check and report from the agent's history: an http source's `for` window and statistics, which one poll cannot give", async () => {
    const profile = join(bed.dir, 'checkout.yaml');
    writeFileSync(profile, watchedProfile('checkout', bed.service, join(bed.dir, 'rollbacks.txt'), { auto: false }).replace('rollback: "> 2%"', 'rollback: "> 2%", for: 4s'));
    bed.service.rate = 0.05;
    const a = agent(profile);
    await a.waitFor((l) => l.event === 'metric' && /error_rate pending → breach/.test(l.text), 20_000);
    const check = (stateDir: string) => runCli(['check', profile, '--state-dir', stateDir, '--format', 'json']);
    // A new process beside the running agent: with the agent's history the 4 s window is full, ROLLBACK (exit 2).
    const stored = await check(join(bed.dir, 'state'));
    expect(stored.stderr).toBe('');
    expect(stored.code).toBe(2);
    // Without it, one fresh poll of an http source cannot fill it: pending, HOLD (exit 1).
    const bare = await check(join(bed.dir, 'elsewhere'));
    expect(bare.code).toBe(1);
    // report --since reads the same samples: statistics for an http source, which has no past to ask for.
    const canary = async (stateDir: string) => {
      const out = await runCli(['report', profile, '--state-dir', stateDir, '--since', '1h', '--format', 'json']);
      return (JSON.parse(out.stdout) as { metrics: { id: string; groups: { canary: { samples: number; max?: number } }[] }[] }).metrics[0]!.groups[0]!.canary;
    };
    const reported = await canary(join(bed.dir, 'state'));
    expect(reported.samples).toBeGreaterThanOrEqual(4);
    expect(reported.max).toBe(0.05);
    expect((await canary(join(bed.dir, 'elsewhere'))).samples).toBeLessThan(2);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 60_000);

  it('refuses to start with no valid profile, naming the file, line and column', async () => {
    const profile = join(bed.dir, 'bad.yaml');
    writeFileSync(profile, 'name: bad\nmetrics: [\n');
    const a = agent(profile);
    expect(await a.exited).toBe(3);
    expect(a.lines[0]).toMatchObject({ level: 'error', event: 'reload' });
    expect(a.lines[0]!.text).toMatch(new RegExp(`^${profile}:\\d+:\\d+: `));
    expect(a.stderr()).toBe(`rollcall agent: no profile to watch in ${profile}\n`);
  });
});
