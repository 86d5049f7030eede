// The real Prometheus server (the Debian package's binary) scraping local targets, for tests of
// the prometheus source. Missing binary: a loud warning and undefined, so a laptop without it
// still runs the rest; CI sets ROLLCALL_REQUIRE_PROMETHEUS=1 and gets a failure instead.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './port.js';

export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of each target, scraped at /metrics. */
  targets: string[];
  scrapeIntervalS?: number;
  /** A rule file's YAML (alerting and recording rules), evaluated every scrape interval. */
  rules?: string;
}

const READY_TIMEOUT_MS = 30_000;

export async function startPrometheus(opts: PrometheusOptions): Promise<TestPrometheus | undefined> {
  const binary = process.env.ROLLCALL_PROMETHEUS_BIN ?? 'prometheus';
  if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).error) {
    const message = `prometheus binary not found (${binary}): install it with \`apt-get install prometheus\``;
    if (process.env.ROLLCALL_REQUIRE_PROMETHEUS === '1') throw new Error(message);
    console.warn(`\n!!! ${message}\n!!! the tests against a real Prometheus are SKIPPED\n`);
    return undefined;
  }

  const dir = await mkdtemp(join(tmpdir(), 'rollcall-prom-'));
  const interval = `${opts.scrapeIntervalS ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(opts.rules !== undefined ? ['rule_files:', `  - ${JSON.stringify(join(dir, 'rules.yml'))}`] : []),
    'scrape_configs:',
    '  - job_name: rollcall-test',
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  if (opts.rules !== undefined) await writeFile(join(dir, 'rules.yml'), opts.rules);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log.push(chunk);
    if (log.length > 50) log.shift();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode} before it was ready:\n${log.join('').slice(-2_000)}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready on ${url} within ${READY_TIMEOUT_MS / 1_000}s:\n${log.join('').slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, stop };
}
