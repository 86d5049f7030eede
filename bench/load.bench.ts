// The console under load: `rollcall watch` on 200 metrics polled once a second from a loopback
// server speaking the Prometheus HTTP API, under ttybench (a pseudo-terminal, 120x40), while this
// process samples the console's RSS and CPU from /proc. Issue 15's budgets: RSS flat within ±5%
// once every ring is full, and at most 5% of a core.
//
// The rings are full from the start: the console backfills its history (default 2 h, 7,202
// samples a metric at 1 s) with range queries, which this server answers like Prometheus. So the
// whole run after the backfill is at full rings, with the default history; LOAD_HISTORY (the
// profile's `defaults.history`) and LOAD_SECONDS (default 900) change the shape of the run.
//
// V8's heap takes minutes to find its size under a steady allocation rate (measured: 330 MiB at
// 30 s, 386 at 5 min, 400 from 9.5 min on, then flat): the spread is taken over the last third of
// the run, and the growth before it is reported beside it.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './result.js';
import { ROOT, ttybench } from './ttybench.js';

const METRICS = 200;
const BUNDLE = join(ROOT, 'dist', 'rollcall', 'rollcall.mjs');
const HISTORY = process.env.LOAD_HISTORY ?? '2h';
const SECONDS = Number(process.env.LOAD_SECONDS ?? 900);
/** After this, the backfill has landed and the console is in its steady state. */
const SETTLED_S = 30;
const SAMPLE_MS = 5_000;
/** Clock ticks per second of /proc/<pid>/stat times (sysconf(_SC_CLK_TCK), 100 on Linux). */
const CLK_TCK = 100;

function profileYaml(): string {
  const metrics: string[] = [];
  const rules: string[] = [];
  for (let i = 0; i < METRICS; i++) {
    metrics.push(`  m${i}: { source: prom, unit: ratio, query: "m${i}" }`);
    if (i % 4 === 0) rules.push(`  - { metric: m${i}, warn: "> 1%", rollback: "> 2%", for: 30s }`);
  }
  return `name: load-bench
defaults: { interval: 1s, timeout: 2s, history: ${HISTORY} }
sources:
  prom: { type: prometheus, url: "\${ROLLCALL_BENCH_METRICS}" }
metrics:
${metrics.join('\n')}
rules:
${rules.join('\n')}
phases:
  - { name: canary, traffic: 10, duration: 48h }
  - { name: full, traffic: 100 }
`;
}

/** Metric i at time t (seconds): a gauge that wanders. */
function valueAt(i: number, t: number): string {
  return (0.004 + Math.sin(t / (5 + (i % 13)) + i) * 0.001).toFixed(6);
}

/** `/api/v1/query` and `/api/v1/query_range` for the queries m0…m199, as Prometheus answers them. */
async function prometheus(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const i = Number(/^m(\d+)$/.exec(form.get('query') ?? '')?.[1] ?? NaN);
      res.setHeader('content-type', 'application/json');
      if (!Number.isInteger(i)) {
        res.statusCode = 400;
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'unknown query' }));
        return;
      }
      if (req.url?.endsWith('/query_range')) {
        const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(form.get(k)));
        const values: [number, string][] = [];
        for (let t = Math.ceil(start!); t <= end!; t += step!) values.push([t, valueAt(i, t)]);
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
      } else {
        const t = Number(form.get('time'));
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [t, valueAt(i, Math.round(t))] }] } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** The console's process: the one whose command line names this run's profile. */
function findConsole(profile: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // ttybench's own command line names both too: the console is the node process.
      if (/(^|\/)node$/.test(cmd[0] ?? '') && cmd.some((c) => c.endsWith('rollcall.mjs')) && cmd.includes(profile)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

function sample(pid: number): { rssKb: number; cpuS: number } | undefined {
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssKb: Number(rss?.[1] ?? NaN), cpuS: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
  } catch {
    return undefined;
  }
}

export async function run(): Promise<BenchResult[]> {
  if (process.env.LOAD_BENCH !== '1') return [{ name: 'load', value: 0, unit: 'skipped', note: 'takes minutes: LOAD_BENCH=1 npm run bench -- load' }];
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-load-'));
  const profile = join(dir, 'load.yaml');
  writeFileSync(profile, profileYaml());
  const server = await prometheus();
  const { port } = server.address() as AddressInfo;
  const samples: { t: number; rssKb: number; cpuS: number }[] = [];
  const started = Date.now();
  let pid: number | undefined;
  const timer = setInterval(() => {
    pid ??= findConsole(profile);
    const s = pid === undefined ? undefined : sample(pid);
    if (s) samples.push({ t: (Date.now() - started) / 1_000, ...s });
  }, SAMPLE_MS);
  try {
    const report = await ttybench([
      '-t', String(SECONDS), '-s', '120x40', '--quit', 'q', '--ready', 'q quit', '--cwd', ROOT,
      '-e', `ROLLCALL_BENCH_METRICS=http://127.0.0.1:${port}`, '-e', `XDG_STATE_HOME=${join(dir, 'state')}`,
      // For a look inside (LOAD_NODE_ARGS=--trace-gc LOAD_CAST=/tmp/load.cast): what the console printed.
      ...(process.env.LOAD_CAST ? ['--cast', process.env.LOAD_CAST] : []),
      '--', 'node', ...(process.env.LOAD_NODE_ARGS?.split(' ').filter(Boolean) ?? []), BUNDLE, 'watch', profile, '--state-dir', join(dir, 'state'),
    ]);
    if (report.exit.code !== 0) throw new Error(`the console exited with ${report.exit.code ?? report.exit.signal}`);
  } finally {
    clearInterval(timer);
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const full = samples.filter((s) => s.t >= SETTLED_S && s.t <= SECONDS - 5);
  const steady = full.filter((s) => s.t >= (SECONDS * 2) / 3);
  if (steady.length < 3) throw new Error(`too few samples at full rings (${steady.length}); run longer than ${SETTLED_S * 3}s`);
  const rss = steady.map((s) => s.rssKb / 1024);
  const mean = rss.reduce((a, b) => a + b, 0) / rss.length;
  const spread = Math.max(...rss.map((r) => Math.abs(r - mean) / mean)) * 100;
  const first = full[0]!;
  const last = full.at(-1)!;
  const cpu = ((last.cpuS - first.cpuS) / (last.t - first.t)) * 100;
  const shape = `${METRICS} metrics at 1 s, history ${HISTORY}, 120x40`;
  const window = `${Math.round(steady[0]!.t)}–${Math.round(last.t)} s`;
  process.stderr.write(`load: rss MiB over time ${samples.map((s) => `${Math.round(s.t)}s:${(s.rssKb / 1024).toFixed(0)}`).join(' ')}\n`);
  return [
    { name: 'load.rss_spread_pct.200x1s', value: spread, unit: '%', budget: 5, note: `${shape}; largest deviation from the mean RSS (${mean.toFixed(0)} MiB), ${window}` },
    { name: 'load.rss_growth_mib.200x1s', value: (last.rssKb - steady[0]!.rssKb) / 1024, unit: 'MiB', note: `over ${window}` },
    { name: 'load.rss_warmup_growth_mib.200x1s', value: (steady[0]!.rssKb - first.rssKb) / 1024, unit: 'MiB', note: `${Math.round(first.t)} s to ${Math.round(steady[0]!.t)} s: the heap finding its size` },
    { name: 'load.cpu_pct.200x1s', value: cpu, unit: '% core', budget: 5, note: `${shape}; ${Math.round(first.t)}–${Math.round(last.t)} s` },
    { name: 'load.peak_rss.200x1s', value: Math.max(...samples.map((s) => s.rssKb)) / 1024, unit: 'MiB' },
  ];
}
