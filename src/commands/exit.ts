// Exit codes for check, report and validate (DESIGN.md): scripts and cron depend on these numbers.
export const ExitCode = {
  green: 0,
  hold: 1,
  rollback: 2,
  usage: 3,
  unreachable: 4,
  /** The rollout is rolled back: whatever its phase would decide, nothing moves until someone acts. */
  rolledBack: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
