// The first paint (drawn before Ink has loaded) and Ink's first frame over it: an operator must not
// see the frame change shape, and nothing of the paint may survive under Ink's frame.

import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { App } from '../../components/App.js';
import { ConsoleController } from '../../src/console/controller.js';
import { frameText } from '../../src/view/model.js';
import { paintFrame } from '../../src/console/paint.js';
import { filteredStream, overpaintFirstFrame } from '../../src/console/ink-output.js';
import { consoleState, FakeSession } from '../fixtures/console/state.js';

const ESC = /\x1b\[[0-9;?]*[A-Za-z]/g;
const plain = (text: string) => text.replace(ESC, '');

function controllerAt(size: { columns: number; rows: number }, color: boolean) {
  return new ConsoleController(new FakeSession(consoleState()), { size, color, onQuit: () => undefined });
}

describe('the first paint', () => {
  for (const size of [{ columns: 80, rows: 24 }, { columns: 160, rows: 48 }]) {
    it(`shows, at ${size.columns}x${size.rows}, the same text Ink then draws for the same view model`, async () => {
      const controller = controllerAt(size, false);
      const painted = plain(paintFrame(controller.getSnapshot())).split('\r\n');
      // Ink itself at this size (ink-testing-library's terminal is always 100 columns wide).
      const stdout = Object.assign(new EventEmitter(), { ...size, isTTY: true, frames: [] as string[], write(text: string) { this.frames.push(text); return true; } });
      const app = render(<App controller={controller} />, { stdout: stdout as never, debug: true, patchConsole: false, exitOnCtrlC: false });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const drawn = stdout.frames.findLast((frame) => frame.includes('\n'))!.replace(/\n$/, '').split('\n');
      app.unmount();
      expect(painted).toHaveLength(size.rows - 1);
      expect(painted.map((line) => line.trimEnd())).toEqual(drawn.map((line) => line.trimEnd()));
    });
  }

  it('starts and ends at the top-left corner, and erases every line to its end', () => {
    const paint = paintFrame(controllerAt({ columns: 80, rows: 24 }, false).getSnapshot());
    expect(paint.startsWith('\x1b[H')).toBe(true);
    expect(paint.endsWith('\x1b[H')).toBe(true);
    const lines = paint.slice(3, -3).split('\r\n');
    expect(lines).toHaveLength(23);
    for (const line of lines) expect(line.endsWith('\x1b[K')).toBe(true);
  });

  it('colours the decision and states when colour is allowed, and writes no colour under NO_COLOR', () => {
    const coloured = paintFrame(controllerAt({ columns: 80, rows: 24 }, true).getSnapshot());
    const bare = paintFrame(controllerAt({ columns: 80, rows: 24 }, false).getSnapshot());
    expect(coloured).toMatch(/\x1b\[3[1-6]m/);
    expect(bare).not.toMatch(/\x1b\[(3[0-9]|9[0-7]|7)m/);
  });

  it('matches the plain-text frame of the view model line for line', () => {
    const model = controllerAt({ columns: 120, rows: 40 }, true).getSnapshot();
    expect(plain(paintFrame(model)).split('\r\n')).toEqual(frameText(model));
  });
});

describe("Ink's first frame over the paint", () => {
  function terminal() {
    const stream = Object.assign(new PassThrough(), { columns: 80, rows: 24, isTTY: true }) as unknown as NodeJS.WriteStream & PassThrough;
    const written: string[] = [];
    stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    return { stream, written };
  }

  it('erases what the paint left to the right of each of its lines, and below its last line', async () => {
    const { stream, written } = terminal();
    const ink = filteredStream(stream, [overpaintFirstFrame()]);
    ink.write('short\nframe\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written.join('')).toBe('short\x1b[K\nframe\x1b[K\n\x1b[J');
  });

  it("leaves every later write exactly as Ink made it, and shows Ink the terminal's size", async () => {
    const { stream, written } = terminal();
    const ink = filteredStream(stream, [overpaintFirstFrame()]);
    ink.write('\x1b[?25l');
    ink.write('first\n');
    ink.write('\x1b[1Asecond\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['\x1b[?25l', 'first\x1b[K\n\x1b[J', '\x1b[1Asecond\n']);
    expect([ink.columns, ink.rows, ink.isTTY]).toEqual([80, 24, true]);
  });
});
