// The agent's own cost: 10 profiles × 20 metrics polled every 15 s from a local http source, the
// built CLI as a real process. CPU is the process's user+system time over a measured window after
// warm-up (budget from the issue: at most 1 % of a core); memory is its peak RSS (VmHWM; budget
// 80 MiB). `BENCH_AGENT_SECONDS` sets the window.
// The agent is started as a user starts it, so it relaunches itself under AGENT_NODE_FLAGS
// (src/util/node-flags.ts); ROLLCALL_AGENT_FLAGS=off in the environment measures it without them.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '../src/util/node-flags.js';
import type { BenchResult } from './result.js';

const PROFILES = 10;
const METRICS = 20;
const CLK_TCK = 100;

export async function run(): Promise<BenchResult[]> {
  const seconds = Number(process.env.BENCH_AGENT_SECONDS ?? 60);
  const dir = await mkdtemp(join(tmpdir(), 'rollcall-bench-agent-'));
  const body = JSON.stringify(Object.fromEntries(Array.from({ length: METRICS }, (_, i) => [`m${i}`, 0.01 + i / 1000])));
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profiles = join(dir, 'profiles');
  mkdirSync(profiles);
  for (let p = 0; p < PROFILES; p++) writeFileSync(join(profiles, `r${p}.yaml`), profile(`rollout-${p}`, url));
  // The bundle, as installed (`npm run bench` builds it); else the tsc output.
  const here = dirname(fileURLToPath(import.meta.url));
  const cli = [join(here, '..', 'rollcall', 'rollcall.mjs'), join(here, '..', 'src', 'cli.js')].find((f) => existsSync(f))!;
  const child = spawn(process.execPath, [cli, 'agent', profiles, '--state-dir', join(dir, 'state')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const flags = process.env.ROLLCALL_AGENT_FLAGS === undefined ? AGENT_NODE_FLAGS.join(' ') : 'no agent flags';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    await sleep(10_000);
    const before = cpuTicks(child.pid!);
    await sleep(seconds * 1000);
    const used = (cpuTicks(child.pid!) - before) / CLK_TCK;
    const peak = statusKiB(child.pid!, 'VmHWM') / 1024;
    const rss = statusKiB(child.pid!, 'VmRSS') / 1024;
    return [
      { name: 'agent.cpu.10x20.15s', value: (used / seconds) * 100, unit: '% core', budget: 1, note: `${used.toFixed(2)} s CPU in ${seconds} s; ${flags}` },
      { name: 'agent.peak_rss.10x20', value: peak, unit: 'MiB', budget: 80, note: `now ${rss.toFixed(1)} MiB; ${flags}` },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function profile(name: string, url: string): string {
  const metrics = Array.from({ length: METRICS }, (_, i) => `  m${i}: { source: svc, path: /stats, query: $.m${i}, unit: ratio }`).join('\n');
  return `name: ${name}
sources: { svc: { type: http, url: "${url}" } }
defaults: { interval: 15s }
metrics:
${metrics}
rules:
  - { metric: m0, warn: "> 5%", rollback: "> 10%" }
phases: [{ name: canary, traffic: 10, duration: 48h }, { name: full, traffic: 100 }]
`;
}

function cpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function statusKiB(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

if (process.argv[1]?.endsWith('agent.bench.js')) {
  for (const r of await run()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}  ${r.note ?? ''}`);
}
