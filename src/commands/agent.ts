// `rollcall agent <profile|dir>…`: the headless agent until SIGTERM or SIGINT, which stop it
// cleanly (history flushed, leases and state locks released). Logs are JSON lines on stdout.

import { Agent, AgentError } from '../agent/agent.js';
import { serveAttach } from '../agent/attach-http.js';
import { parseListen, serveMetrics } from '../agent/exporter.js';
import { jsonLog } from '../agent/log.js';
import { defaultStateDir } from '../actions/state-store.js';
import { parseDuration, DURATION_FORMS } from '../profile/duration.js';
import { ExitCode } from './exit.js';

export interface AgentCommandOptions {
  stateDir?: string;
  listen?: string;
  retention?: string;
  leaseTimeout?: string;
}

export async function agent(paths: string[], opts: AgentCommandOptions): Promise<number> {
  const log = jsonLog();
  const usage = (text: string): number => {
    process.stderr.write(`rollcall agent: ${text}\n`);
    return ExitCode.usage;
  };
  const listen = opts.listen !== undefined ? parseListen(opts.listen) : undefined;
  if (listen && 'error' in listen) return usage(listen.error);
  const retentionMs = opts.retention !== undefined ? parseDuration(opts.retention) : undefined;
  if (opts.retention !== undefined && !retentionMs) return usage(`--retention ${opts.retention}: not a duration (${DURATION_FORMS})`);
  const staleMs = opts.leaseTimeout !== undefined ? parseDuration(opts.leaseTimeout) : undefined;
  if (opts.leaseTimeout !== undefined && (!staleMs || staleMs < 1_000)) return usage(`--lease-timeout ${opts.leaseTimeout}: a duration of at least 1s (${DURATION_FORMS})`);

  // Heard from the start: a SIGTERM while the profiles are still opening stops the agent cleanly
  // once they are open, rather than killing it half-way (its leases and locks left behind).
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  let running: Agent;
  try {
    running = await Agent.start({
      paths,
      stateDir: opts.stateDir ?? defaultStateDir(),
      log,
      ...(staleMs ? { lease: { staleMs, heartbeatMs: Math.max(250, Math.round(staleMs / 3)) } } : {}),
      ...(retentionMs ? { history: { retentionMs } } : {}),
    });
  } catch (error) {
    if (error instanceof AgentError) return usage(error.message);
    throw error;
  }
  const startedAt = Date.now();
  const server = listen
    ? await serveMetrics(
        listen.host,
        listen.port,
        () => running.rollouts.map((r) => ({ profile: r.profile, view: r.view, leader: r.leader, autoRollbackPending: r.countdown !== undefined, historyOk: r.history.problem === undefined })),
        (req, res) => serveAttach(req, res, (name) => running.rollouts.find((r) => r.profile.name === name)?.served, startedAt),
      ).catch((error: unknown) => error as Error)
    : undefined;
  if (server instanceof Error) {
    await running.stop();
    return usage(server.message);
  }
  if (server) log({ level: 'info', event: 'listen', text: `serving /metrics, /healthz and /attach/<rollout> (rollcall watch --agent http://${opts.listen}) on ${opts.listen}` });

  // Every timer of the loop, the lease and the history is unref'd (a console must be able to quit
  // while they run): this one keeps the agent alive until a signal.
  const alive = setInterval(() => {}, 3_600_000);
  const signal = await stopSignal;
  clearInterval(alive);
  log({ level: 'info', event: 'stop', text: `${signal}: stopping` });
  server?.close();
  await running.stop();
  return ExitCode.green;
}
