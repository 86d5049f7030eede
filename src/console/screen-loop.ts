// The screen while the console runs: the terminal taken, the frame drawn at once and again whenever
// the view model changes (at most MAX_FPS times a second), every read from the keyboard handed to
// the controller, and on the way out the terminal put back and the sessions closed. One rollout's
// console and the roll call of several both run here.

import { StringDecoder } from 'node:string_decoder';
import { redact } from '../profile/redact.js';
import { ExitCode } from '../commands/exit.js';
import { frameLines } from '../view/model.js';
import { frameWriter } from './frame-writer.js';
import type { ScreenController } from './screen.js';
import type { Session } from './session.js';
import { CLEAR, takeTerminal } from './terminal.js';

/** What runScreen draws and drives: the screen's controller, the sessions behind it. */
export interface ScreenParts {
  /** Makes the controller once the terminal is taken, at its size and colour; `onQuit` ends the screen. */
  screen: (onQuit: () => void, look: { size: { columns: number; rows: number }; color: boolean }) => ScreenController;
  /** Started after the first frame, closed at the end. The first also hears stray output. */
  sessions: readonly Session[];
  /** Redacted from stray output lines. */
  secrets: readonly string[];
  /** Where NO_COLOR is read from (default: the process environment). */
  env?: Record<string, string | undefined>;
}

/** If closing hangs or something still holds the event loop after it, exit anyway after this long. */
const EXIT_GUARD_MS = 3_000;
/** Frames per second at most: enough to follow a poll and keys, little enough for a slow SSH link. */
const MAX_FPS = 10;

/** Whether colour may be used: NO_COLOR set to anything but the empty string turns it off. */
function colorAllowed(env: Record<string, string | undefined>): boolean {
  const noColor = env.NO_COLOR;
  return noColor === undefined || noColor === '';
}

/**
 * Takes the terminal, draws the first frame, starts the sessions and runs until the operator quits
 * (or a signal says so), then puts the terminal back and closes the sessions.
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
  const size = { columns: stdout.columns, rows: stdout.rows };
  const controller = parts.screen(() => finish(0), { size, color: colorAllowed(parts.env ?? process.env) });
  const keys = stdin.isTTY === true;
  if (!keys) for (const session of sessions) session.note('stdin is not a terminal: read-only, and keys do nothing; stop with Ctrl-C', 'warn');

  let code: number = ExitCode.usage;
  let screen: Screen | undefined;
  try {
    terminal.enter();
    screen = drawScreen(controller, { write: terminal.write, columns: size.columns, ...(keys ? { keys: stdin } : {}) });
    terminal.onResize((next) => screen?.resized(next));
    for (const session of sessions) session.start();
    // The clock's timers never hold the process (quitting must not wait for a poll), and without a
    // terminal on stdin nothing else does: this keeps the console up until it is asked to stop.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    code = await finished;
    clearInterval(keepAlive);
  } finally {
    // Quitting must end the process even if closing hangs or a library left a handle open.
    setTimeout(() => process.exit(code), EXIT_GUARD_MS).unref();
    screen?.unmount();
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

/** A controller's frames on a terminal, until unmounted. */
export interface Screen {
  /** A new terminal size: the screen is cleared, the controller told, and the frame drawn whole. */
  resized(size: { columns: number; rows: number }): void;
  /** No more frames, no more keys. */
  unmount(): void;
}

/**
 * Draws the controller's frame now and whenever it changes, and hands it every read from `keys`.
 * The screen is taken to be clear: the first frame is drawn whole.
 */
export function drawScreen(
  controller: ScreenController,
  opts: { write: (text: string) => void; columns: number; keys?: NodeJS.ReadableStream; /** Default 1000 / MAX_FPS. */ minFrameMs?: number },
): Screen {
  const minFrameMs = opts.minFrameMs ?? 1000 / MAX_FPS;
  const writer = frameWriter(opts.columns);
  let lastDraw = -Infinity;
  let pending: NodeJS.Timeout | undefined;
  const draw = () => {
    clearTimeout(pending);
    pending = undefined;
    lastDraw = performance.now();
    const model = controller.getSnapshot();
    const bytes = writer.update(frameLines(model), model.color);
    if (bytes !== '') opts.write(bytes);
  };
  // Changes that come together (a poll's results) make one frame; frames come at most MAX_FPS a
  // second, the first after a quiet spell at once.
  const schedule = () => {
    pending ??= setTimeout(draw, Math.max(0, lastDraw + minFrameMs - performance.now()));
  };
  const decoder = new StringDecoder('utf8');
  // A key is answered at once: keys come at a human pace, and an operator waits on each.
  const onKeys = (chunk: Buffer | string) => {
    controller.press(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    draw();
  };

  draw();
  const unsubscribe = controller.subscribe(schedule);
  opts.keys?.on('data', onKeys);
  opts.keys?.resume();
  return {
    resized(size) {
      // A terminal that changed size may have moved or cut the old frame: redraw from a clear screen.
      opts.write(CLEAR);
      writer.cleared(size.columns);
      controller.resize(size);
      draw();
    },
    unmount() {
      unsubscribe();
      clearTimeout(pending);
      opts.keys?.off('data', onKeys);
      opts.keys?.pause();
    },
  };
}
