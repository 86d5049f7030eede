// The agent's log: one JSON object per line on stdout, for journald and log shippers —
// {"time":"2026-01-01T12:00:00.000Z","level":"warn","rollout":"checkout-v2","event":"metric","text":"…"}.
// Every text goes through the rollout's secret redaction before it leaves the process.

import { redact } from '../profile/redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  /** The profile's name, or absent for the agent as a whole. */
  rollout?: string;
  /** What kind of news: `start`, `decision`, `metric`, `lease`, `history`, `reload`, `notify`, … */
  event: string;
  text: string;
  /** The operator who changed the rollout, for a change a console relayed. */
  by?: string;
}

export type AgentLog = (line: LogLine & { secrets?: readonly string[] }) => void;

/** A log writing JSON lines to `write` (default: stdout), timestamped by `now`. */
export function jsonLog(write: (text: string) => void = (t) => void process.stdout.write(t), now: () => number = Date.now): AgentLog {
  return ({ secrets, ...line }) => {
    const text = secrets && secrets.length > 0 ? redact(line.text, secrets) : line.text;
    const out = { time: new Date(now()).toISOString(), level: line.level, ...(line.rollout ? { rollout: line.rollout } : {}), event: line.event, text, ...(line.by !== undefined ? { by: line.by } : {}) };
    write(`${JSON.stringify(out)}\n`);
  };
}
