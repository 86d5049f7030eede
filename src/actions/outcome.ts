// What running (or refusing) an action came to. Its own file so the notifier, which reports
// outcomes, and the runner, which makes them and tells the notifier, do not import each other.

export interface ActionOutcome {
  action: string;
  /** What ran (or would have), secrets redacted. */
  argv: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  ok: boolean;
  refused?: boolean;
  timedOut?: boolean;
  dryRun?: boolean;
  forced?: boolean;
  auto?: boolean;
  /** Why the command could not be started at all (not found, permission denied). */
  error?: string;
  /** The last lines it printed, secrets redacted. */
  outputTail: string[];
  /** One line a person reads: `rollback → exit 0 (4.2s); rolled back to 0% traffic`, or why not. */
  message: string;
  /** What a traffic action (`effect: { traffic }`) set: the share now and before. */
  traffic?: { share: number; from: number };
}
