// `rollcall agent` as a real child process (the built CLI), its JSON-lines log parsed as it comes,
// and a small service for it to watch: an http source whose error rate the test sets, and a
// webhook sink that keeps every notification it receives.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { CLI, ensureBuilt, ROOT } from './cli.js';
import { readBody, startHttp, type TestHttpServer } from './http.js';

export interface AgentLine {
  time: string;
  level: string;
  rollout?: string;
  event: string;
  text: string;
}

export interface RunningAgent {
  child: ChildProcess;
  lines: AgentLine[];
  stderr: () => string;
  /** Resolves with the first line (already seen or to come) that matches, or rejects after timeoutMs. */
  waitFor(match: (line: AgentLine) => boolean, timeoutMs?: number): Promise<AgentLine>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function startAgent(args: string[], env: Record<string, string> = {}): RunningAgent {
  ensureBuilt();
  const child = spawn(process.execPath, [CLI, 'agent', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: AgentLine[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop()!;
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as AgentLine);
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = lines.find(match);
          if (!found) return false;
          waiters.delete(look);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no such agent log line within ${timeoutMs} ms; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${err}`));
        }, timeoutMs);
        if (!look()) waiters.add(look);
      });
    },
  };
}

export interface WatchedService {
  server: TestHttpServer;
  /** The error rate /stats answers (a ratio). */
  rate: number;
  /** Every webhook body received, parsed. */
  hooks: { event: string; metric?: string; action?: { name: string; message: string } }[];
  /** Requests under /agent/ and /console/: a profile that puts its source there tells who polled. */
  polls: { agent: number; console: number };
}

export async function startWatchedService(): Promise<WatchedService> {
  const service: Partial<WatchedService> & Omit<WatchedService, 'server'> = { rate: 0.001, hooks: [], polls: { agent: 0, console: 0 } };
  service.server = await startHttp((req, res) => {
    if (req.url === '/hook') {
      void readBody(req).then((body) => {
        service.hooks.push(JSON.parse(body) as { event: string });
        res.end('ok');
      });
      return;
    }
    if (req.url?.startsWith('/agent/')) service.polls.agent++;
    if (req.url?.startsWith('/console/')) service.polls.console++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error_rate: service.rate }));
  });
  return service as WatchedService;
}

/** A profile on the service: error_rate polled every second, rolled back automatically over 2%. */
export function watchedProfile(name: string, service: WatchedService, rollbackLog: string, opts: { auto?: boolean } = {}): string {
  return `name: ${name}
sources: { svc: { type: http, url: "${service.server.url}" } }
metrics:
  error_rate: { source: svc, path: /stats, query: $.error_rate, unit: ratio, interval: 1s }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%"${opts.auto === false ? '' : ', auto: true, grace: 2s'} }
phases:
  - { name: canary, traffic: 10, duration: 1h }
  - { name: full, traffic: 100 }
actions:
  rollback: { run: [sh, -c, "echo rolled >> ${rollbackLog}"], confirm: typed }
notify:
  - { type: webhook, url: "${service.server.url}/hook", on: [warn, breach, rollback, action] }
`;
}

export interface AgentTestbed {
  /** A temp directory of this test's own. */
  readonly dir: string;
  /** The service the agents watch, new for each test. */
  readonly service: WatchedService;
  /** Starts an agent; whatever still runs after the test is killed with -9. */
  start(args: string[], env?: Record<string, string>): RunningAgent;
  /** A console session opened by the test, closed after it (before the agents go). */
  keep<T extends { close(): Promise<void> }>(session: T): T;
}

/** For a test file of real agents: a fresh directory and service before each test; its sessions, agents, service and directory gone after it. */
export function agentTestbed(name: string): AgentTestbed {
  let dir = '';
  let service: WatchedService | undefined;
  const agents: RunningAgent[] = [];
  const sessions: { close(): Promise<void> }[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `rollcall-${name}-`));
    service = await startWatchedService();
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    for (const a of agents.splice(0)) {
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
      await a.exited;
    }
    await service?.server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get service() {
      return service!;
    },
    start(args, env) {
      const a = startAgent(args, env);
      agents.push(a);
      return a;
    },
    keep(session) {
      sessions.push(session);
      return session;
    },
  };
}

/**
 * A profile whose one metric is the error rate the service answers at `url` (polled every second,
 * warning over 1 %, rollback over 2 %, nothing automatic), with the phases given (default: a one-hour
 * canary, then full) and anything more appended (`actions:`…).
 */
export function errorRateProfile(name: string, url: string, opts: { phases?: string[]; more?: string } = {}): string {
  const phases = opts.phases ?? ['{ name: canary, traffic: 10, duration: 1h }', '{ name: full, traffic: 100 }'];
  return `name: ${name}
sources: { svc: { type: http, url: "${url}" } }
metrics:
  error_rate: { source: svc, path: /stats, query: $.error_rate, unit: ratio, interval: 1s }
rules:
  - { metric: error_rate, warn: "> 1%", rollback: "> 2%" }
phases:
${phases.map((p) => `  - ${p}\n`).join('')}${opts.more ?? ''}`;
}
