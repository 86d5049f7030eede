// The options of every command that reads the rollout state or the audit log. Each command
// exports its own option type built on these; cli.ts imports them (commands never import cli.ts).

export interface CommonOptions {
  /** --state-dir: where rollout state lives (default $XDG_STATE_HOME/rollcall). */
  stateDir?: string;
  /** --audit-log: the audit log's path (default <state-dir>/<profile>.audit.jsonl). */
  auditLog?: string;
}
