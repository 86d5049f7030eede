// The Node flags rollcall runs with. An unattended agent judges a few times a minute and sleeps in
// between: V8's optimising compilers (Maglev, TurboFan) spend memory and CPU compiling code that is
// never hot, and a young generation grown for a console's bursts stays grown. Measured with
// bench/agent.bench.ts (10 profiles × 20 metrics at 15 s, Node 24): RSS 99 → 74 MiB, CPU 0.57 →
// 0.42 % of a core. Every other command keeps the compilers but makes them wait (RUNTIME_V8_FLAGS).

import { setFlagsFromString } from 'node:v8';

/**
 * What every other command runs with, set as it starts: the optimising compilers wait for ten
 * times as many calls before they compile a function. A console does the same work once a second,
 * so most of its functions warm up slowly and V8 kept compiling them, one after another, for
 * minutes (`--trace-opt`: ~130 compiles and ~100 ms of compiler threads in the second half
 * minute); with this, only what is really hot is compiled — under load (200 metrics at 1 s) that
 * is still every inner loop within seconds. Thresholds only: no code changes meaning.
 */
export const RUNTIME_V8_FLAGS = ['--invocation-count-for-maglev=4000', '--invocation-count-for-turbofan=30000'] as const;

/** Sets RUNTIME_V8_FLAGS, unless the command line already chose its own (NODE_OPTIONS cannot carry them). */
function tuneOptimisers(execArgv: readonly string[] = process.execArgv): void {
  const given = new Set(execArgv.map((a) => a.split('=')[0]));
  for (const flag of RUNTIME_V8_FLAGS) if (!given.has(flag.split('=')[0]!)) setFlagsFromString(flag);
}

export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-maglev'] as const;

/** Set in the relaunched process (or by whoever wants the agent to run under its own flags). */
export const AGENT_FLAGS_ENV = 'ROLLCALL_AGENT_FLAGS';

/**
 * When this process was started as `rollcall agent …` without those flags, replaces it with one
 * that has them: same pid, stdio and environment, so systemd or a supervisor sees no difference.
 * Returns, and the agent runs as it is, when the Node running cannot replace a process (before
 * 22.15, or Windows), when the flags are given already, or when ROLLCALL_AGENT_FLAGS is set.
 */
function relaunchWithAgentFlags(argv: readonly string[] = process.argv): void {
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

/** What every entry point calls first: the agent's relaunch, else the compiler thresholds. */
export function applyNodeFlags(): void {
  relaunchWithAgentFlags();
  tuneOptimisers();
}
