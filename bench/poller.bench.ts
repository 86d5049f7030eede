// The poller's cost: CPU per query (against a loopback HTTP server, and against an in-memory
// source for the scheduling alone), CPU while polling a realistic profile for 30 s, and heap over
// a 72 h soak on the virtual clock. The HTTP server runs in a child process so its work is never
// counted as ours; the soak runs in another child (started with --expose-gc) alongside the 30 s
// measurement, which keeps the whole benchmark near a minute.

import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { realClock, VirtualClock } from '../src/engine/clock.js';
import { Poller } from '../src/engine/poller.js';
import { SeriesStore } from '../src/engine/series.js';
import type { Metric, Profile, SourceConfig } from '../src/profile/types.js';
import { closeSources, createSources } from '../src/sources/registry.js';
import type { InstantRequest, Source } from '../src/sources/source.js';
import type { BenchResult } from './result.js';

const HOUR = 3_600_000;

function profileOf(count: number, intervalMs: number, source: SourceConfig, capacity: number): Profile {
  const metrics: Record<string, Metric> = {};
  for (let i = 0; i < count; i++) {
    const id = `metric_${i}`;
    metrics[id] = {
      id,
      title: id,
      source: 'svc',
      query: source.type === 'http' ? '$.value' : id,
      unit: 'ratio',
      intervalMs,
      timeoutMs: 5_000,
      windowMs: HOUR,
      chart: true,
      capacity,
    };
  }
  return {
    name: 'bench',
    title: 'bench',
    links: {},
    defaults: { intervalMs, timeoutMs: 5_000, holdMs: 30 * 60_000, errorLimit: 3, nodata: 'warn', historyMs: 2 * HOUR },
    sources: { svc: source },
    metrics,
    metricIds: Object.keys(metrics),
    phases: [],
    rollbackTo: { phase: null, traffic: 0 },
    actions: {},
    notify: [],
    secrets: [],
  };
}

/** An in-memory source: answers at once, so what is measured is the poller alone. */
function memorySource(): Source {
  let n = 0;
  return {
    id: 'svc',
    type: 'exec',
    async instant(req: InstantRequest) {
      n = (n + 1) % 1_000;
      return { series: [{ labels: {}, points: [{ t: req.time, v: n / 1_000 }] }] };
    },
    async close() {},
  };
}

const SERVER = `
const http = require('node:http');
let n = 0;
const server = http.createServer((req, res) => {
  n = (n + 1) % 1000;
  const body = JSON.stringify({ value: n / 1000 });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** A loopback HTTP server in its own process, so process.cpuUsage() here counts only the client. */
async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await firstLine(child);
  return { url: `http://127.0.0.1:${port.trim()}`, stop: () => child.kill() };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`)));
    child.once('error', reject);
  });
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1_000;
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU of this process per query, median over rounds of `pollOnce` across every metric. */
async function cpuPerQuery(profile: Profile, sources: ReadonlyMap<string, Source>, rounds: number): Promise<number> {
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources, store, clock: realClock });
  for (let i = 0; i < 3; i++) await poller.pollOnce();
  const perQuery: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const before = process.cpuUsage();
    await poller.pollOnce();
    perQuery.push(cpuMs(before) / profile.metricIds.length);
  }
  await poller.stop();
  const failing = profile.metricIds.filter((id) => store.snapshot()[id]!.consecutiveErrors > 0);
  if (failing.length > 0) throw new Error(`${failing.length} metrics failed: ${store.snapshot()[failing[0]!]!.lastError?.reason}`);
  return median(perQuery);
}

async function steadyCpu(url: string, seconds: number): Promise<{ percent: number; polls: number }> {
  const profile = profileOf(50, 5_000, { type: 'http', url }, 1_441);
  const sources = createSources(profile, { clock: realClock });
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources, store, clock: realClock });
  poller.start();
  // One interval first: connections opened and code warmed, as in a console that has been up a while.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  await poller.stop();
  const percent = (cpuMs(before) / (performance.now() - started)) * 100;
  await closeSources(sources);
  let polls = 0;
  for (const id of profile.metricIds) polls += store.snapshot()[id]!.groups[0]?.canary.length ?? 0;
  return { percent, polls };
}

interface SoakReport {
  heapAt1hMB: number;
  heapAt72hMB: number;
  changePercent: number;
  polls: number;
  gc: boolean;
  wallS: number;
}

/**
 * 72 h of 50 metrics every 5 s on the virtual clock, reading a snapshot every minute as the
 * console does. Rings hold an hour (capacity 721), so they are full at the first measurement and
 * any growth after it would be a leak.
 */
async function soak(): Promise<SoakReport> {
  const started = performance.now();
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const profile = profileOf(50, 5_000, { type: 'exec', run: ['none'] }, 721);
  const store = new SeriesStore(profile);
  const poller = new Poller({ profile, sources: new Map([['svc', memorySource()]]), store, clock });
  const read = () => {
    store.snapshot();
    clock.setTimeout(read, 60_000);
  };
  read();
  poller.start();
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    for (let i = 0; i < 3; i++) gc?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  await clock.advance(HOUR);
  const heapAt1hMB = heap();
  for (let h = 1; h < 72; h++) await clock.advance(HOUR);
  const heapAt72hMB = heap();
  await poller.stop();
  return {
    heapAt1hMB,
    heapAt72hMB,
    changePercent: ((heapAt72hMB - heapAt1hMB) / heapAt1hMB) * 100,
    polls: 72 * 720 * profile.metricIds.length,
    gc: gc !== undefined,
    wallS: (performance.now() - started) / 1_000,
  };
}

/**
 * The soak's own process: --expose-gc to measure live memory only; --no-flush-bytecode so V8
 * dropping start-up bytecode over the hours is not mistaken for our memory shrinking; a larger
 * young generation because the soak allocates fast, and its size does not change what survives a
 * full collection.
 */
function soakInChild(): { report: Promise<SoakReport>; stop(): void } {
  const flags = ['--expose-gc', '--no-flush-bytecode', '--max-semi-space-size=64'];
  const child = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--soak'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const report = firstLine(child).then((line) => JSON.parse(line) as SoakReport);
  // If the rest of the benchmark fails first, nobody waits for this one.
  report.catch(() => undefined);
  return { report, stop: () => child.kill() };
}

export async function run(): Promise<BenchResult[]> {
  const soaking = soakInChild();
  let server: { url: string; stop(): void } | undefined;
  try {
    server = await startServer();
    const memory = profileOf(200, 5_000, { type: 'exec', run: ['none'] }, 1_441);
    const overhead = await cpuPerQuery(memory, new Map([['svc', memorySource()]]), 30);

    const http = profileOf(200, 5_000, { type: 'http', url: server.url }, 1_441);
    const sources = createSources(http, { clock: realClock });
    const perQuery = await cpuPerQuery(http, sources, 15);
    await closeSources(sources);

    const steady = await steadyCpu(server.url, 30);
    const s = await soaking.report;
    return [
      {
        name: 'poller.cpu_per_query_http',
        value: perQuery,
        unit: 'ms',
        budget: 1,
        note: '200 metrics, loopback HTTP server in another process; poller + http source CPU, median of 15 rounds',
      },
      {
        name: 'poller.cpu_per_query_scheduling',
        value: overhead,
        unit: 'ms',
        budget: 1,
        note: '200 metrics, in-memory source: scheduling, shaping and store only',
      },
      {
        name: 'poller.steady_cpu',
        value: steady.percent,
        unit: '% of a core',
        budget: 1,
        note: `50 metrics every 5s over HTTP, 30s real time after a 5s warm-up (${steady.polls} samples in all)`,
      },
      {
        name: 'poller.soak_heap_change',
        value: Math.abs(s.changePercent),
        unit: '%',
        budget: 5,
        note:
          `heap ${s.heapAt1hMB.toFixed(1)}MB at 1h → ${s.heapAt72hMB.toFixed(1)}MB at 72h ` +
          `(${s.changePercent >= 0 ? '+' : ''}${s.changePercent.toFixed(1)}%), ${(s.polls / 1e6).toFixed(1)}M polls on the virtual clock in ${s.wallS.toFixed(0)}s` +
          (s.gc ? '' : '; global.gc not exposed, figures include garbage'),
      },
    ];
  } finally {
    server?.stop();
    soaking.stop();
  }
}

function isSoakChild(): boolean {
  if (!process.argv.includes('--soak') || !process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isSoakChild()) {
  process.stdout.write(JSON.stringify(await soak()) + '\n');
}
