// What the roll call costs: `rollcall watch <dir>` on ten rollouts of twenty metrics each, polled
// once a second from one loopback /metrics server in this process, under ttybench at 80x24 and
// 120x40 — bytes and CPU per update, peak RSS and the first frame — and, in the same run, the
// console of one of those rollouts alone, so the two read side by side.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './result.js';
import { ROOT, TTYBENCH, ttybench, type TtyReport } from './ttybench.js';

const BUNDLE = join(ROOT, 'dist', 'rollcall', 'rollcall.mjs');
const ROLLOUTS = 10;
const METRICS = 20;
const SECONDS = 20;

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(TTYBENCH)) return [{ name: 'overview', value: 0, unit: 'skipped', note: `ttybench not found at ${TTYBENCH}` }];
  if (!existsSync(BUNDLE)) return [{ name: 'overview', value: 0, unit: 'skipped', note: `${BUNDLE} not built (npm run bundle)` }];
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-overview-bench-'));
  const server = await metricsServer();
  const results: BenchResult[] = [];
  try {
    const profiles = join(dir, 'profiles');
    writeProfiles(profiles);
    const note = `${ROLLOUTS} rollouts × ${METRICS} metrics at 1s`;
    for (const size of ['120x40', '80x24']) {
      const overview = await measure(size, server, ['watch', profiles], join(dir, `state-o-${size}`));
      const single = await measure(size, server, ['watch', join(profiles, 'rollout-00.yaml')], join(dir, `state-s-${size}`));
      results.push(
        { name: `overview.bytes_per_update.${size}`, value: overview.steady.bytes_per_update_mean, unit: 'B', note: `${note}; ${overview.steady.updates} updates in ${SECONDS}s` },
        // The overview shows no metric's value, so most polls change nothing on it: per update would
        // divide the polling of 200 metrics by one or two frames. The share of a core says what it costs.
        { name: `overview.cpu.${size}`, value: corePercent(overview), unit: '% core', note: `${note}; ${overview.steady.updates} frames in ${SECONDS}s` },
        { name: `overview.peak_rss.${size}`, value: overview.peak_rss_kb / 1024, unit: 'MiB', note },
        { name: `overview.first_frame.${size}`, value: (overview.ttff_s ?? Number.NaN) * 1_000, unit: 'ms', note },
        { name: `overview.full_redraws.${size}`, value: overview.steady.escapes.clear_screen ?? 0, unit: 'clears', budget: 0, note },
        { name: `overview.single.bytes_per_update.${size}`, value: single.steady.bytes_per_update_mean, unit: 'B', note: `one of those rollouts alone (${METRICS} metrics), same run` },
        { name: `overview.single.cpu.${size}`, value: corePercent(single), unit: '% core', note: `one rollout alone, same run; ${single.steady.updates} frames` },
        { name: `overview.single.peak_rss.${size}`, value: single.peak_rss_kb / 1024, unit: 'MiB', note: 'one rollout alone, same run' },
      );
    }
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** CPU over the steady part of the run, as a share of one core. */
function corePercent(report: TtyReport): number {
  return (report.steady.cpu_ms_per_update * report.steady.updates) / (SECONDS * 10);
}

async function measure(size: string, server: Server, args: string[], stateDir: string): Promise<TtyReport> {
  const { port } = server.address() as AddressInfo;
  const report = await ttybench([
    '-t', String(SECONDS),
    '-s', size,
    '--quit', 'q',
    '--ready', 'q quit',
    '--cwd', ROOT,
    '-e', `ROLLCALL_BENCH_METRICS=http://127.0.0.1:${port}`,
    '-e', `XDG_STATE_HOME=${stateDir}`,
    '--', 'node', BUNDLE, ...args, '--state-dir', stateDir,
  ]);
  // Quitting with a countdown running asks first; the bench profiles never breach, so q ends it.
  if (report.exit.code !== 0) throw new Error(`rollcall ${args.join(' ')} exited with ${report.exit.code ?? report.exit.signal} under ttybench at ${size}`);
  return report;
}

/** Ten profiles of twenty metrics, each reading its own rollout's series; rules on half of them. */
function writeProfiles(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (let r = 0; r < ROLLOUTS; r++) {
    const id = String(r).padStart(2, '0');
    const metrics = Array.from({ length: METRICS }, (_, m) =>
      [
        `  m${m}:`,
        `    title: metric ${m} of rollout ${id}`,
        '    source: app',
        `    unit: ${m % 2 === 0 ? 'ratio' : 'seconds'}`,
        `    query: { series: bench_value, match: { rollout: "${id}", metric: "${m}" } }`,
      ].join('\n'),
    ).join('\n');
    const rules = Array.from({ length: METRICS / 2 }, (_, m) => `  - { metric: m${m * 2}, warn: "> 50%", rollback: "> 80%" }`).join('\n');
    writeFileSync(
      join(dir, `rollout-${id}.yaml`),
      [
        `name: bench-rollout-${id}`,
        `title: Bench rollout ${id}`,
        'defaults: { interval: 1s, timeout: 2s }',
        'sources:',
        '  app: { type: scrape, url: "${ROLLCALL_BENCH_METRICS}/metrics" }',
        'metrics:',
        metrics,
        'rules:',
        rules,
        'phases:',
        '  - { name: canary, traffic: 10, duration: 1h }',
        '  - { name: full, traffic: 100 }',
        '',
      ].join('\n'),
    );
  }
}

/** Values that wander on every scrape, 10 × 20 series. */
async function metricsServer(): Promise<Server> {
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    const lines: string[] = [];
    for (let r = 0; r < ROLLOUTS; r++) {
      for (let m = 0; m < METRICS; m++) {
        const v = m % 2 === 0 ? 0.1 + 0.05 * Math.sin((n + r * 7 + m) / 5) : 0.2 + 0.03 * Math.sin((n + m) / 3);
        lines.push(`bench_value{rollout="${String(r).padStart(2, '0')}",metric="${m}"} ${v.toFixed(4)}`);
      }
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
