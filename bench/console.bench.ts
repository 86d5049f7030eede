// What the console costs an SSH link: ttybench runs `rollcall watch` under a pseudo-terminal on a
// profile of eight metrics polled once a second (from a /metrics server in this process), at
// 120x40 and 80x24, and reports bytes per update, CPU per update, peak RSS, time to first frame
// and full-screen clears. The figures are of the one-file build (`npm run bundle`), which is what
// the `rollcall` command, `npm start` and a bastion run; the tsc output tree (dist/src/cli.js)
// is measured beside it for start-up. A last run serves values that never change: once the
// sparklines are full nothing on screen changes, so the console should write nothing but a
// minute's clock tick.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './result.js';
import { exec, ROOT, TTYBENCH, ttybench as runTtybench, type TtyReport } from './ttybench.js';

/** The one-file build: the `rollcall` command (package.json's bin), `npm start`, a bastion. */
const BUNDLE = join(ROOT, 'dist', 'rollcall', 'rollcall.mjs');
/** tsc's output tree, for reference. */
const TREE = join(ROOT, 'dist', 'src', 'cli.js');
const PROFILE = 'test/fixtures/console/bench.yaml';
const SECONDS = 20;
const START_SECONDS = 2.5;
const START_RUNS = 5;
const WARM_UP_SECONDS = 25;
const QUIET_SECONDS = 20;
/** ttybench's default: a quiet gap this long ends an update. */
const SETTLE_S = 0.1;
/** blessed's figures on a comparable screen, from the issue (../shared/tools/anchors, 120x40). */
const BLESSED = { bytesPerUpdate: 1_454, cpuMsPerUpdate: 10.3, firstFrameMs: 245 };
/** Issue 15: at most twice blessed's CPU per update; peak RSS at most a bare Ink app's (114 MiB). */
const CPU_BUDGET_MS = 2 * BLESSED.cpuMsPerUpdate;
const RSS_BUDGET_MIB = 114;
const KEYS_LIVE_BUDGET_MS = 400;
/** What the footer of every frame ends with: the console is on screen, not a blank one. */
const READY = 'q quit';
/** What the help overlay says at every size: it is open. */
const HELP = /\? closes/;
const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;

export async function run(): Promise<BenchResult[]> {
  const missing = await unavailable();
  if (missing) return [{ name: 'console', value: 0, unit: 'skipped', note: missing }];

  const results: BenchResult[] = [];
  let steady = true;
  const server = await metricsServer(() => steady);
  try {
    for (const size of ['120x40', '80x24']) {
      const { report } = await ttybench(size, server);
      const note = `${report.steady.updates} updates in ${SECONDS}s`;
      results.push(
        { name: `console.bytes_per_update.${size}`, value: report.steady.bytes_per_update_mean, unit: 'B', budget: BLESSED.bytesPerUpdate, note },
        { name: `console.cpu_per_update.${size}`, value: report.steady.cpu_ms_per_update, unit: 'ms', budget: CPU_BUDGET_MS, note: `${note}; budget twice blessed's ${BLESSED.cpuMsPerUpdate} ms (compare in one anchors run)` },
        { name: `console.peak_rss.${size}`, value: report.peak_rss_kb / 1024, unit: 'MiB', budget: RSS_BUDGET_MIB },
        // A value change must never clear the screen.
        { name: `console.full_redraws.${size}`, value: report.steady.escapes.clear_screen ?? 0, unit: 'clears', budget: 0, note: 'clear-screen sequences after the first frame' },
      );
    }
    // Start-up varies from run to run on a shared machine: the median of several cold starts.
    const starts: { name: string; size: string; opts: Parameters<typeof ttybench>[2]; budget?: number; note: string }[] = [
      { name: 'console', size: '120x40', opts: {}, budget: BLESSED.firstFrameMs, note: 'rollcall watch' },
      { name: 'console', size: '80x24', opts: {}, budget: BLESSED.firstFrameMs, note: 'rollcall watch' },
      { name: 'console.demo', size: '80x24', opts: { args: ['demo'] }, budget: BLESSED.firstFrameMs, note: '`npm start`: the demo, simulator included' },
      { name: 'console.tree', size: '80x24', opts: { entry: TREE }, note: 'dist/src/cli.js (tsc output, unbundled)' },
    ];
    for (const { name, size, opts, budget, note } of starts) {
      const runs: Run['start'][] = [];
      // `?` is typed at once, before the console is up: keys are live when the help it asks for shows.
      for (let i = 0; i < START_RUNS; i++) runs.push((await ttybench(size, server, { ...opts, seconds: START_SECONDS, keys: ['0:?'] })).start);
      const first = runs.map((r) => r.firstFrameMs);
      const live = runs.map((r) => r.keysLiveMs);
      results.push(
        { name: `${name}.first_frame.${size}`, value: median(first), unit: 'ms', ...(budget ? { budget } : {}), note: `${note}; median of ${START_RUNS}, ${range(first)}` },
        { name: `${name}.keys_live.${size}`, value: median(live), unit: 'ms', budget: KEYS_LIVE_BUDGET_MS, note: `${note}; median of ${START_RUNS}, ${range(live)}; \`?\` typed at start, until its help shows` },
      );
    }
    steady = false;
    const quiet = await updatesWhenNothingChanges(server);
    results.push({
      name: 'console.updates_when_nothing_changes',
      value: quiet,
      unit: 'updates',
      // The clock shows minutes: one minute boundary may fall in the window.
      budget: 1,
      note: `80x24, ${QUIET_SECONDS}s of polls answering the same values, after ${WARM_UP_SECONDS}s to fill the sparklines`,
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
  return results;
}

async function unavailable(): Promise<string | undefined> {
  if (!existsSync(TTYBENCH)) return `ttybench not found at ${TTYBENCH}`;
  for (const entry of [BUNDLE, TREE]) if (!existsSync(entry)) return `${entry} not built (npm run bundle)`;
  const python = await exec('python3', ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)']);
  if (python.code !== 0) return 'ttybench needs Python 3.11 or newer (python3)';
  return undefined;
}

/** A /metrics server for the bench profile: values wander on every scrape unless told to hold. */
async function metricsServer(moving: () => boolean): Promise<Server> {
  let n = 0;
  const server = createServer((_req, res) => {
    if (moving()) n++;
    const w = (period: number, amplitude: number) => Math.sin(n / period) * amplitude;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(
      [
        `app_error_ratio{track="canary"} ${(0.004 + w(7, 0.001)).toFixed(5)}`,
        `app_error_ratio{track="stable"} ${(0.003 + w(11, 0.0005)).toFixed(5)}`,
        `app_latency_seconds{quantile="0.5"} ${(0.08 + w(5, 0.01)).toFixed(4)}`,
        `app_latency_seconds{quantile="0.95"} ${(0.18 + w(9, 0.03)).toFixed(4)}`,
        `app_latency_seconds{quantile="0.99"} ${(0.31 + w(13, 0.05)).toFixed(4)}`,
        `app_latency_stable_p95_seconds ${(0.17 + w(17, 0.02)).toFixed(4)}`,
        `app_requests_per_second ${Math.round(420 + w(3, 30))}`,
        `app_cache_hit_ratio ${(0.91 + w(19, 0.02)).toFixed(4)}`,
        `app_memory_bytes ${Math.round(1.2e9 + w(23, 5e7))}`,
        `app_queue_depth ${Math.round(12 + w(4, 6))}`,
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/**
 * Output bursts while every poll answers what the last one did. The sparklines fill during a
 * warm-up first (a growing sparkline is a visible change), so the count starts after it; ttybench
 * records a cast with timestamps, and bursts are counted as ttybench counts updates.
 */
async function updatesWhenNothingChanges(server: Server): Promise<number> {
  const { events } = await ttybench('80x24', server, { seconds: WARM_UP_SECONDS + QUIET_SECONDS });
  let bursts = 0;
  let last = -Infinity;
  for (const [t] of events) {
    if (t < WARM_UP_SECONDS || t >= WARM_UP_SECONDS + QUIET_SECONDS) continue;
    if (t - last >= SETTLE_S) bursts++;
    last = t;
  }
  return bursts;
}

interface Run {
  report: TtyReport;
  /** Every write the console made: seconds since start, text. */
  events: [number, string][];
  start: { firstFrameMs: number; keysLiveMs: number };
}

async function ttybench(size: string, server: Server, opts: { seconds?: number; entry?: string; args?: string[]; keys?: string[] } = {}): Promise<Run> {
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-bench-'));
  try {
    const cast = join(dir, 'run.cast');
    const stateDir = join(dir, 'state');
    const args = [
      '-t', String(opts.seconds ?? SECONDS),
      '--cast', cast,
      '-s', size,
      '--quit', 'q',
      '--ready', READY,
      ...(opts.keys ?? []).flatMap((k) => ['--key', k]),
      '--cwd', ROOT,
      '-e', `ROLLCALL_BENCH_METRICS=http://127.0.0.1:${port}`,
      '-e', `XDG_STATE_HOME=${stateDir}`,
      '--', 'node', opts.entry ?? BUNDLE, ...(opts.args ?? ['watch', PROFILE, '--state-dir', stateDir]),
    ];
    const report = await runTtybench(args);
    if (report.exit.code !== 0) throw new Error(`the console exited with ${report.exit.code ?? report.exit.signal} under ttybench at ${size}`);
    const events = readFileSync(cast, 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as [number, string, string])
      .filter(([, kind]) => kind === 'o')
      .map(([t, , text]): [number, string] => [t, text]);
    return { report, events, start: startTimes(events) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** When the first frame was whole on screen, and when the help that `?` asks for was. */
function startTimes(events: [number, string][]): Run['start'] {
  // A frame may reach the terminal in several reads, its footer split between two of them.
  let screen = '';
  let first = Number.NaN;
  let help = Number.NaN;
  for (const [t, text] of events) {
    screen += text;
    const plain = screen.replace(ESCAPE, '');
    if (Number.isNaN(first) && plain.includes(READY)) first = t;
    if (Number.isNaN(help) && HELP.test(plain)) help = t;
    if (!Number.isNaN(first) && !Number.isNaN(help)) break;
  }
  return { firstFrameMs: first * 1_000, keysLiveMs: help * 1_000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function range(values: number[]): string {
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))} ms`;
}
