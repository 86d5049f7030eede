// The agent's judgements as Prometheus metrics (`rollcall agent --listen 127.0.0.1:9464`), so an
// existing Alertmanager can page on-call and Grafana can chart a rollout. `renderMetrics` is pure:
// rollouts in, exposition text out. Enumerations (decision, metric state) are one 0/1 gauge per
// value, the way kube-state-metrics does it, so a rule reads `rollcall_decision{decision="ROLLBACK"} == 1`.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Profile } from '../profile/types.js';
import type { LoopView } from '../engine/watch-loop.js';
import type { Decision, MetricState } from '../engine/types.js';
import { nodeHttp } from '../util/node-http.js';

export interface ExportedRollout {
  profile: Profile;
  view: LoopView;
  leader: boolean;
  /** A countdown to an automatic rollback is running on this agent. */
  autoRollbackPending: boolean;
  historyOk: boolean;
}

const DECISIONS: readonly Decision[] = ['PROMOTE', 'SOAK', 'HOLD', 'ROLLBACK'];
const STATES: readonly MetricState[] = ['ok', 'pending', 'warn', 'breach', 'nodata', 'error', 'stale'];

const HELP: Record<string, [string, string]> = {
  rollcall_decision: ['gauge', 'The rollout decision now: 1 for the current one, 0 for the others.'],
  rollcall_phase_index: ['gauge', 'Index of the current phase (0 is the first).'],
  rollcall_traffic_percent: ['gauge', 'Share of traffic on the new version, percent.'],
  rollcall_rolled_back: ['gauge', '1 while the rollout is rolled back.'],
  rollcall_metric_value: ['gauge', 'The latest value of a metric, in its unit.'],
  rollcall_metric_baseline: ['gauge', 'The baseline a metric is compared with, in its unit.'],
  rollcall_metric_threshold: ['gauge', 'A literal threshold of a rule on the metric, in its unit.'],
  rollcall_metric_state: ['gauge', 'The state of a metric: 1 for the current one, 0 for the others.'],
  rollcall_auto_rollback_firing: ['gauge', '1 while a rollback rule with auto: true is firing.'],
  rollcall_auto_rollback_pending: ['gauge', '1 while this agent counts down to an automatic rollback.'],
  rollcall_source_up: ['gauge', '1 when every query of the source answered at its last poll.'],
  rollcall_source_age_seconds: ['gauge', 'Seconds since the source last answered with data.'],
  rollcall_leader: ['gauge', '1 when this agent holds the lease and acts for the rollout.'],
  rollcall_history_ok: ['gauge', '1 while samples are being stored in the history.'],
};

/** `now`, when given, ages the sources from the last judgement to the scrape (the agent judges only when something is due). */
export function renderMetrics(rollouts: readonly ExportedRollout[], now?: number): string {
  const rows = new Map<string, string[]>(Object.keys(HELP).map((name) => [name, []]));
  const put = (name: string, labels: Record<string, string>, value: number) => {
    if (!Number.isFinite(value)) return;
    rows.get(name)!.push(`${name}{${Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}} ${value}`);
  };
  for (const r of rollouts) {
    const { snapshot, series, sourceAges } = r.view;
    const rollout = r.profile.name;
    for (const d of DECISIONS) put('rollcall_decision', { rollout, decision: d }, snapshot.decision === d ? 1 : 0);
    put('rollcall_phase_index', { rollout, phase: snapshot.phase.name }, snapshot.phase.index);
    put('rollcall_traffic_percent', { rollout }, snapshot.rolledBack ? snapshot.rolledBack.traffic : (snapshot.traffic?.share ?? snapshot.phase.traffic));
    put('rollcall_rolled_back', { rollout }, snapshot.rolledBack ? 1 : 0);
    for (const m of snapshot.metrics) {
      const metric = m.id;
      if (m.value !== undefined) put('rollcall_metric_value', { rollout, metric }, m.value);
      if (m.baseline !== undefined) put('rollcall_metric_baseline', { rollout, metric }, m.baseline);
      for (const t of m.thresholds) if (t.threshold !== undefined) put('rollcall_metric_threshold', { rollout, metric, severity: t.severity, rule: t.text }, t.threshold);
      for (const s of STATES) put('rollcall_metric_state', { rollout, metric, state: s }, m.state === s ? 1 : 0);
    }
    put('rollcall_auto_rollback_firing', { rollout }, snapshot.autoRollback ? 1 : 0);
    put('rollcall_auto_rollback_pending', { rollout }, r.autoRollbackPending ? 1 : 0);
    const up = new Map<string, boolean>();
    for (const id of r.profile.metricIds) {
      const source = r.profile.metrics[id]!.source;
      const s = series[id];
      const answered = s !== undefined && s.lastPollAt !== undefined && s.consecutiveErrors === 0;
      up.set(source, (up.get(source) ?? true) && answered);
    }
    for (const [source, ok] of up) put('rollcall_source_up', { rollout, source }, ok ? 1 : 0);
    const since = now === undefined ? 0 : Math.max(0, now - r.view.now);
    for (const [source, age] of Object.entries(sourceAges)) if (age !== undefined) put('rollcall_source_age_seconds', { rollout, source }, (age + since) / 1000);
    put('rollcall_leader', { rollout }, r.leader ? 1 : 0);
    put('rollcall_history_ok', { rollout }, r.historyOk ? 1 : 0);
  }
  let text = '';
  for (const [name, lines] of rows) {
    if (lines.length === 0) continue;
    const [type, help] = HELP[name]!;
    text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
  }
  return text;
}

/** `127.0.0.1:9464` or `[::1]:9464`: the address to listen on, or an error naming what is wrong. */
export function parseListen(text: string): { host: string; port: number } | { error: string } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65_535) return { error: `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:9464` };
  return { host: match[1] ?? match[2]!, port };
}

/**
 * Serves /metrics and /healthz, and whatever `routes` answers first (the attach stream); resolves
 * once listening (rejects with a sentence when it cannot).
 */
export async function serveMetrics(host: string, port: number, rollouts: () => readonly ExportedRollout[], routes?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<Server> {
  const server = nodeHttp().createServer((req, res) => {
    if (routes?.(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(rollouts(), Date.now()));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`ok: ${rollouts().length} rollouts\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the address is in use' : error.code === 'EACCES' ? 'permission denied' : error.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
