// The Node flags an unattended agent runs with. An agent judges a few times a minute and sleeps in
// between: V8's optimising compilers (Maglev, TurboFan) spend memory and CPU compiling code that is
// never hot, and a young generation grown for a console's bursts stays grown. Measured with
// bench/agent.bench.ts (10 profiles × 20 metrics at 15 s, Node 24): RSS 99 → 74 MiB, CPU 0.57 →
// 0.42 % of a core.

export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-maglev'] as const;

/** Set in the relaunched process (or by whoever wants the agent to run under its own flags). */
export const AGENT_FLAGS_ENV = 'ROLLCALL_AGENT_FLAGS';

/**
 * When this process was started as `rollcall agent …` without those flags, replaces it with one
 * that has them: same pid, stdio and environment, so systemd or a supervisor sees no difference.
 * Returns, and the agent runs as it is, when the Node running cannot replace a process (before
 * 22.15, or Windows), when the flags are given already, or when ROLLCALL_AGENT_FLAGS is set.
 */
export function relaunchWithAgentFlags(argv: readonly string[] = process.argv): void {
  if (argv[2] !== 'agent' || process.env[AGENT_FLAGS_ENV] !== undefined) return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') return;
  const given = new Set(process.execArgv.map((a) => a.split('=')[0]));
  const flags = AGENT_NODE_FLAGS.filter((f) => !given.has(f.split('=')[0]));
  if (flags.length === 0) return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...process.execArgv, ...flags, ...argv.slice(1)], { ...process.env, [AGENT_FLAGS_ENV]: flags.join(' ') });
  } catch {
    // Not replaced (the platform refused): the agent runs under the flags it has.
  }
}
