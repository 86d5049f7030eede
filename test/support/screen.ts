// A console screen on a real terminal emulator: the controller's frames go through the frame
// writer and the screen loop's drawing (console/screen-loop.ts drawScreen) into xterm.js, headless,
// and keys go in as the bytes a keyboard sends. What a test reads is what a terminal shows.

import { PassThrough } from 'node:stream';
import xterm from '@xterm/headless';
import { drawScreen, type Screen } from '../../src/console/screen-loop.js';
import type { ScreenController } from '../../src/console/screen.js';
import { frameWriter } from '../../src/console/frame-writer.js';
import type { Line } from '../../src/view/line.js';

export interface ScreenOnTerminal {
  /** Sends what a keyboard sends, one read per argument, and waits for the frames it causes. */
  type(...keys: string[]): Promise<void>;
  /** Waits for frames already due. */
  settle(): Promise<void>;
  /** The frame's rows as the terminal shows them (rows − 1 of them), trailing blanks trimmed. */
  lines(): string[];
  /** lines() joined with newlines. */
  frame(): string;
  /** Every write that reached the terminal, in order. */
  writes: string[];
  /** A resize: the screen is cleared and drawn whole at the new size. */
  resize(size: { columns: number; rows: number }): Promise<void>;
  unmount(): void;
}

const mounted = new Set<ScreenOnTerminal>();

/** Unmounts every screen a test mounted (for afterEach). */
export function unmountScreens(): void {
  for (const screen of mounted) screen.unmount();
}

/**
 * Mounts the controller's screen on a terminal of `size`. Frames are drawn as soon as they change
 * (the 10-per-second limit is the loop's own business, measured in bench/).
 */
export async function screenOnTerminal(controller: ScreenController, size: { columns: number; rows: number }): Promise<ScreenOnTerminal> {
  let rows = size.rows;
  const term = new xterm.Terminal({ cols: size.columns, rows, allowProposedApi: true });
  const keys = new PassThrough();
  const writes: string[] = [];
  let flushed = Promise.resolve();
  const write = (text: string) => {
    writes.push(text);
    flushed = flushed.then(() => new Promise<void>((resolve) => term.write(text, resolve)));
  };
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await flushed;
  };
  let screen: Screen | undefined = drawScreen(controller, { write, columns: size.columns, keys, minFrameMs: 0 });
  const lines = () => {
    const buffer = term.buffer.active;
    return Array.from({ length: rows - 1 }, (_, y) => (buffer.getLine(y)?.translateToString(true) ?? '').trimEnd());
  };
  const handle: ScreenOnTerminal = {
    async type(...sent) {
      for (const k of sent) {
        keys.write(k);
        await settle();
      }
    },
    settle,
    lines,
    frame: () => lines().join('\n'),
    writes,
    async resize(next) {
      rows = next.rows;
      term.resize(next.columns, next.rows);
      screen?.resized(next);
      await settle();
    },
    unmount() {
      screen?.unmount();
      screen = undefined;
      mounted.delete(handle);
      term.dispose();
    },
  };
  mounted.add(handle);
  await settle();
  return handle;
}

/** Lines as the frame writer draws them on a cleared terminal: the text it shows, and the bytes it was sent. */
export async function linesOnTerminal(lines: readonly Line[], opts: { columns: number; color: boolean }): Promise<{ text: string; bytes: string }> {
  const rows = lines.length + 1;
  const term = new xterm.Terminal({ cols: opts.columns, rows, allowProposedApi: true });
  const bytes = frameWriter(opts.columns).update(lines, opts.color);
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const text = Array.from({ length: lines.length }, (_, y) => (term.buffer.active.getLine(y)?.translateToString(true) ?? '').trimEnd()).join('\n');
  term.dispose();
  return { text, bytes };
}
