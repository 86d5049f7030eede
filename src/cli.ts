#!/usr/bin/env node
// Argument parsing and dispatch. Each command lives in src/commands/ and is imported only when it
// runs, so `rollcall check` from cron never loads the console.

import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from './commands/exit.js';
import { isEntryPoint } from './entry.js';
import { applyNodeFlags } from './util/node-flags.js';
import { VERSION } from './version.js';
// Types only (erased): each command is still loaded only when it runs.
import type { AgentCommandOptions } from './commands/agent.js';
import type { CheckOptions } from './commands/check.js';
import type { DemoOptions } from './commands/demo.js';
import type { HistoryOptions } from './commands/history.js';
import type { ReportOptions } from './commands/report.js';
import type { WatchOptions } from './commands/watch.js';

const number = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderError(ExitCode.usage, 'rollcall.badNumber', `not a positive number: ${value}`);
  return n;
};

function stateOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', 'where rollout state lives (default $XDG_STATE_HOME/rollcall)')
    .option('--audit-log <file>', 'audit log path (default <state-dir>/<profile>.audit.jsonl)');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('rollcall')
    .description('A terminal console for the engineer on call during a progressive (canary) rollout.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions();

  stateOptions(
    program
      .command('watch')
      .description('open the console on a profile (also: rollcall <profile>); on several, a directory or none (the default set), the roll call of every rollout')
      .argument('[profiles...]', 'rollout profiles (YAML) or directories of them; none: the default set in ~/.config/rollcall/config.yaml')
      .option('--phase <name>', 'start at (or move to) this phase; recorded in the rollout history')
      .option('--read-only', 'show everything, run nothing')
      .option('--dry-run', 'show the argv an action would run, run nothing')
      .option('--record <file>', 'append every sample and error to a JSONL recording')
      .option('--replay <file>', 'play a recording back instead of polling the sources')
      .option('--speed <n>', 'replay speed (virtual clock)', number)
      .option('--agent <url>', 'attach to the agent serving this rollout at URL (rollcall agent --listen), e.g. http://bastion:9464'),
  ).action(async (profiles: string[], opts: WatchOptions) => {
    const { watch } = await import('./commands/watch.js');
    setExit(await watch(profiles, opts));
  });

  stateOptions(
    program
      .command('check')
      .description('judge every metric once and exit 0 PROMOTE/SOAK, 1 HOLD, 2 ROLLBACK, 3 usage, 4 unreachable, 5 rolled back')
      .argument('[profiles...]', 'rollout profiles (YAML) or directories of them; several print one row each and exit with the worst code; none: the default set')
      .option('--phase <name>', 'judge as if the rollout were in this phase (one profile)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
      .option('--replay <file>', 'judge a recording instead of the live sources (one profile)'),
  ).action(async (profiles: string[], opts: CheckOptions) => {
    const { check } = await import('./commands/check.js');
    setExit(await check(profiles, opts));
  });

  stateOptions(
    program
      .command('report')
      .description('the daily review: per-metric min/median/p95/max, time in warn and breach, phase moves and actions')
      .argument('[profiles...]', 'rollout profiles (YAML) or directories of them; several: a summary table, then each report; none: the default set')
      .option('--since <duration>', 'window to review', '24h')
      .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'json', 'text']).default('markdown')),
  ).action(async (profiles: string[], opts: ReportOptions) => {
    const { report } = await import('./commands/report.js');
    setExit(await report(profiles, opts));
  });

  program
    .command('agent')
    .description('judge, act and notify for every profile unattended (headless; JSON-lines logs on stdout)')
    .argument('<profiles...>', 'rollout profiles (YAML), or directories of them')
    .option('--state-dir <dir>', 'where rollout state, history and leases live (default $XDG_STATE_HOME/rollcall)')
    .option('--listen <host:port>', 'serve /metrics, /healthz and /attach (rollcall watch --agent), e.g. 127.0.0.1:9464')
    .option('--retention <duration>', 'how long samples are kept (default: the longest phase plus 7d)')
    .option('--lease-timeout <duration>', 'a leader silent this long is replaced by a standby (default 15s)')
    .action(async (paths: string[], opts: AgentCommandOptions) => {
      const { agent } = await import('./commands/agent.js');
      setExit(await agent(paths, opts));
    });

  program
    .command('validate')
    .description('check profiles; print every error as file:line:col: path: message')
    .argument('<profiles...>', 'rollout profiles (YAML)')
    .action(async (files: string[]) => {
      const { validate } = await import('./commands/validate.js');
      setExit(await validate(files));
    });

  program
    .command('schema')
    .description('print the profile JSON Schema (for editors: # yaml-language-server: $schema=…)')
    .action(async () => {
      const { schema } = await import('./commands/schema.js');
      setExit(await schema());
    });

  stateOptions(
    program
      .command('history')
      .description('print the audit log of a profile')
      .argument('<profile>', 'rollout profile (YAML)')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(async (profile: string, opts: HistoryOptions) => {
    const { history } = await import('./commands/history.js');
    setExit(await history(profile, opts));
  });

  stateOptions(
    program
      .command('demo')
      .description('start the built-in simulated service and open the console on it')
      .addOption(
        new Option('--scenario <name>', 'what the canary does')
          .choices(['healthy', 'incident', 'flaky-source'])
          .default('incident'),
      )
      .option('--speed <n>', 'how fast simulated time runs', number, 1)
      .option('--read-only', 'show everything, run nothing'),
  ).action(async (opts: DemoOptions) => {
    const { demo } = await import('./commands/demo.js');
    setExit(await demo(opts));
  });

  // The demo profile's actions run this (hidden: it only makes sense against the demo simulator).
  program
    .command('demo-ctl', { hidden: true })
    .description("change the demo simulator's canary share: demo-ctl --url URL share N | status")
    .requiredOption('--url <url>', 'the simulator, e.g. http://127.0.0.1:43121')
    .argument('<command>', 'share or status')
    .argument('[value]', 'for share: the canary share, 0..100')
    .action(async (command: string, value: string | undefined, opts: { url: string }) => {
      const { demoControl } = await import('./demo/control.js');
      setExit(await demoControl({ url: opts.url, command, value }));
    });

  return program;
}


/**
 * `rollcall profile.yaml` means `rollcall watch profile.yaml` and `rollcall profiles/` the roll call
 * of a directory (unless a command has that name). `rollcall` alone opens the default set when the
 * config file lists one, and prints this help when there is none.
 */
async function normaliseArgs(args: string[], commands: ReadonlySet<string>): Promise<string[]> {
  const first = args[0];
  if (first === undefined) {
    const { configFile } = await import('./commands/default-set.js');
    return existsSync(configFile()) ? ['watch'] : args;
  }
  if (!first.startsWith('-') && !commands.has(first) && (/\.ya?ml$/i.test(first) || isDirectory(first))) {
    return ['watch', ...args];
  }
  return args;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.green;
  const program = buildProgram((c) => (code = c));
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    const commands = new Set(program.commands.map((cmd) => cmd.name()));
    await program.parseAsync(await normaliseArgs(argv, commands), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; every usage mistake is 3.
      return error.exitCode === 0 ? ExitCode.green : ExitCode.usage;
    }
    process.stderr.write(`rollcall: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.usage;
  }
  return code;
}

if (isEntryPoint(import.meta.url)) {
  applyNodeFlags();
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
