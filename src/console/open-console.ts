// The interactive console on a profile: opens the session, paints the first frame before React and
// Ink have loaded, runs the Ink app on the alternate screen until the operator quits (or a signal
// says so), then puts the terminal back and stops everything so the process can exit. `rollcall
// watch` and `rollcall demo` both end here.

import { redact } from '../profile/redact.js';
import type { Profile } from '../profile/types.js';
import type { Clock } from '../engine/clock.js';
import { ExitCode } from '../commands/exit.js';
import { ConsoleController } from './controller.js';
import { paintFrame } from './paint.js';
import { openSession } from './open-session.js';
import type { Session } from './session.js';
import { CLEAR, takeTerminal } from './terminal.js';
import type { ScreenController } from './screen.js';
import type { Instance } from 'ink';
import { commonJs } from '../util/commonjs.js';

export interface ConsoleOptions {
  stateDir?: string;
  auditLog?: string;
  /** `--phase NAME`: move the rollout there on open (recorded). */
  phase?: string;
  readOnly?: boolean;
  dryRun?: boolean;
  /** `--record FILE`: append every sample and error to a recording. */
  record?: string;
  /** `--replay FILE`: play a recording back instead of polling. */
  replay?: string;
  speed?: number;
  /** `--agent URL`: attach to the agent serving this rollout there (rollcall agent --listen). */
  agent?: string;
  /** A line for the top of the event log, e.g. what the demo is simulating. */
  banner?: string;
  /** Where NO_COLOR is read from (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** What drives time (default the real clock; the demo runs a scaled one at --speed N). */
  clock?: Clock;
}

/** If closing hangs or something still holds the event loop after it, exit anyway after this long. */
const EXIT_GUARD_MS = 3_000;
/** Frames per second at most: enough to follow a poll, little enough for a slow SSH link. */
const MAX_FPS = 10;

/** Whether colour may be used: NO_COLOR set to anything but the empty string turns it off. */
function colorAllowed(env: Record<string, string | undefined>): boolean {
  const noColor = env.NO_COLOR;
  return noColor === undefined || noColor === '';
}

export async function openConsole(profile: Profile, opts: ConsoleOptions): Promise<number> {
  const { stdout, stderr } = process;
  if (!stdout.isTTY) {
    stderr.write(`rollcall watch: stdout is not a terminal; for scripts and cron use \`rollcall check ${profile.file ?? '<profile>'}\`\n`);
    return ExitCode.usage;
  }
  const readOnlyReason = whyReadOnly(opts.readOnly);

  let session: Session;
  try {
    session = await openSession(profile, {
      stateDir: opts.stateDir,
      auditLog: opts.auditLog,
      phase: opts.phase,
      readOnly: readOnlyReason !== undefined,
      readOnlyReason,
      dryRun: opts.dryRun,
      record: opts.record,
      replay: opts.replay,
      speed: opts.speed,
      ...(opts.agent !== undefined ? { agentUrl: opts.agent } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  } catch (error) {
    stderr.write(`rollcall watch: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.usage;
  }

  return runScreen({
    screen: (onQuit, look) => {
      const c = new ConsoleController(session, { ...look, onQuit });
      if (opts.banner) session.note(opts.banner, 'info');
      for (const conflict of c.keymap.conflicts) session.note(conflict, 'warn');
      return c;
    },
    sessions: [session],
    secrets: profile.secrets,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

/** Why a console is read-only before anything is opened: `--read-only`, or no keyboard on stdin. */
export function whyReadOnly(readOnly: boolean | undefined): string | undefined {
  return readOnly ? '--read-only' : process.stdin.isTTY === true ? undefined : 'stdin is not a terminal';
}

/** What runScreen draws and drives: the screen's controller, the sessions behind it. */
export interface ScreenParts {
  /** Makes the controller once the terminal is taken, at its size and colour; `onQuit` ends the screen. */
  screen: (onQuit: () => void, look: { size: { columns: number; rows: number }; color: boolean }) => ScreenController;
  /** Started after the first paint, closed at the end. The first also hears stray output. */
  sessions: readonly Session[];
  /** Redacted from stray output lines. */
  secrets: readonly string[];
  /** Where NO_COLOR is read from (default: the process environment). */
  env?: Record<string, string | undefined>;
}

/**
 * Takes the terminal, paints the first frame, starts the sessions, loads Ink and runs the app
 * until the operator quits (or a signal says so), then puts the terminal back and closes the
 * sessions. One rollout's console and the roll call of several both end here.
 */
export async function runScreen(parts: ScreenParts): Promise<number> {
  const { stdout, stdin, stderr } = process;
  const { sessions } = parts;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const terminal = takeTerminal({
    stdout,
    stdin,
    stderr,
    onStop: (code, why) => {
      // Nobody can be asked now: what a countdown here will not do is audited before closing.
      for (const session of sessions) session.stoppedBy(why);
      finish(code);
    },
    onStray: (line) => sessions[0]?.note(redact(line, parts.secrets), 'warn'),
    secrets: parts.secrets,
  });
  const controller = parts.screen(() => finish(0), { size: { columns: stdout.columns, rows: stdout.rows }, color: colorAllowed(parts.env ?? process.env) });
  if (stdin.isTTY !== true) for (const session of sessions) session.note('stdin is not a terminal: read-only, and keys do nothing; stop with Ctrl-C', 'warn');

  let code: number = ExitCode.usage;
  try {
    // React, Ink and Yoga take longer to load than everything else together: the first frame is
    // painted from the same view model without them, the polls start, and then they load.
    terminal.enter();
    terminal.write(paintFrame(controller.getSnapshot()));
    for (const session of sessions) session.start();
    let app: Instance | undefined;
    terminal.onResize((size) => {
      // A terminal that changed size may have moved or cut the old frame: repaint from scratch.
      terminal.write(CLEAR);
      app?.clear();
      controller.resize(size);
      if (!app) terminal.write(paintFrame(controller.getSnapshot()));
    });
    const { render, createElement, App, output } = await loadInk();
    app = render(createElement(App, { controller }), {
      // Only the cells that changed reach the terminal; Ink's first frame covers the first paint.
      stdout: output.filteredStream(stdout, [output.changedCellsOnly(), output.overpaintFirstFrame()]),
      stdin,
      stderr,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: MAX_FPS,
      incrementalRendering: true,
    });
    // The clock's timers never hold the process (quitting must not wait for a poll), and without a
    // terminal on stdin nothing else does: this keeps the console up until it is asked to stop.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    code = await finished;
    clearInterval(keepAlive);
    app.unmount();
  } finally {
    // Quitting must end the process even if closing hangs or a library left a handle open.
    setTimeout(() => process.exit(code), EXIT_GUARD_MS).unref();
    controller.dispose();
    terminal.restore();
    try {
      await Promise.allSettled(sessions.map((s) => s.close()));
    } finally {
      terminal.release();
    }
  }
  return code;
}

/**
 * React picks its development or production build from NODE_ENV when first loaded, and the
 * development build costs several times the CPU per frame. Load it as production unless the
 * environment says otherwise, and put NODE_ENV back so the actions' commands do not inherit it.
 */
let inkLoading: ReturnType<typeof importInk> | undefined;

function loadInk(): ReturnType<typeof importInk> {
  if (!inkLoading) {
    inkLoading = importInk();
    // Whoever awaits it hears of a failure; a console that never got that far must not crash on it.
    inkLoading.catch(() => undefined);
  }
  return inkLoading;
}

async function importInk() {
  // Through an alias: the bundle defines `process.env.NODE_ENV` as a constant at build time, and
  // this runtime switch must stay a runtime switch there.
  const env = process.env;
  const before = env.NODE_ENV;
  env.NODE_ENV ??= 'production';
  // Ink decides once, when imported, to draw nothing until exit where CI is set. Stdout is a
  // terminal here, so the operator wants the live console even in a shell that exports CI.
  const ci = { CI: env.CI, CONTINUOUS_INTEGRATION: env.CONTINUOUS_INTEGRATION };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  try {
    // The output filters come with Ink: their tokenizer, too, costs start-up time before the first paint.
    const [{ render }, { createElement }, { App }, output] = await Promise.all([
      import('ink'),
      import('react').then(commonJs),
      import('../../components/App.js'),
      import('./ink-output.js'),
    ]);
    return { render, createElement, App, output };
  } finally {
    if (before === undefined) delete env.NODE_ENV;
    for (const [name, value] of Object.entries(ci)) if (value !== undefined) env[name] = value;
  }
}
