// The frame writer writes only the cells that changed, and the terminal shows exactly the frame:
// its updates and, beside them, each frame drawn whole on a cleared screen by a plain painter
// written here are played into two real terminal emulators (xterm.js, headless), whose screens
// must match cell for cell, colour and bold and inverse included, after every frame.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import xterm from '@xterm/headless';
import { frameWriter } from '../../src/console/frame-writer.js';
import type { Line, Span, Tone } from '../../src/view/line.js';
import { buildModel, frameLines, frameText } from '../../src/view/model.js';
import { buildKeymap } from '../../src/console/keymap.js';
import { initialUi } from '../../src/view/ui.js';
import { widthOf } from '../../src/view/line.js';
import { consoleState, snapshot } from '../fixtures/console/state.js';

const COLUMNS = 48;
const ROWS = 12;
/** The colours the palette gives these tones (view/palette.ts), as SGR, for the plain painter. */
const SGR: Partial<Record<Tone, number>> = { bad: 31, ok: 32, warn: 33, muted: 90 };

type Frame = Line[];

/** Each frame drawn whole from a cleared screen, the simplest way there is. */
function wholeFrame(frame: Frame, color: boolean): string {
  let out = '\x1b[2J';
  frame.forEach((line, r) => {
    out += `\x1b[${r + 1};1H`;
    for (const span of line) {
      const codes = [color && span.tone ? SGR[span.tone] : undefined, span.bold ? 1 : undefined, color && span.inverse ? 7 : undefined].filter((c) => c !== undefined);
      out += codes.length > 0 ? `\x1b[${codes.join(';')}m${span.text}\x1b[0m` : span.text;
    }
  });
  return out;
}

/** What a terminal of this size shows after these writes: every cell's text, colour and attributes. */
async function shown(writes: string[], columns = COLUMNS, rows = ROWS): Promise<{ cells: string[]; text: string[] }> {
  const term = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true });
  for (const write of writes) await new Promise<void>((resolve) => term.write(write, resolve));
  const cells: string[] = [];
  const text: string[] = [];
  for (let y = 0; y < rows; y++) {
    const line = term.buffer.active.getLine(y)!;
    let row = '';
    for (let x = 0; x < columns; x++) {
      const cell = line.getCell(x)!;
      if (cell.getWidth() === 0) continue;
      row += `${cell.getChars() || ' '}${cell.getFgColor()}${cell.isBold() ? 'b' : ''}${cell.isInverse() ? 'i' : ''}|`;
    }
    cells.push(row);
    text.push(line.translateToString(true));
  }
  term.dispose();
  return { cells, text };
}

/** The writer's output for each frame in turn, from a cleared screen. */
function updates(frames: Frame[], color = true, columns = COLUMNS): string[] {
  const writer = frameWriter(columns);
  return ['\x1b[2J', ...frames.map((f) => writer.update(f, color))];
}

const span: fc.Arbitrary<Span> = fc.record(
  {
    text: fc.constantFrom('ok', '0.42%', ' ', '✓', '▁▂▃', '中文', 'p95 latency', '—', '  ', 'x', '👍', 'e\u0301', '›'),
    tone: fc.constantFrom<Tone>('bad', 'ok', 'warn', 'muted'),
    bold: fc.boolean(),
    inverse: fc.boolean(),
  },
  { requiredKeys: ['text'] },
);
// As the view model's lines, each fits the width.
const line = fc.array(span, { maxLength: 8 }).filter((l) => widthOf(l) <= COLUMNS);
const frame = fc.array(line, { minLength: ROWS - 1, maxLength: ROWS - 1 });
/** The next frame: mostly the same rows, some changed, as a console's frames are. */
const nextFrame = (base: Frame) =>
  fc.array(fc.option(line, { freq: 3 }), { minLength: base.length, maxLength: base.length }).map((rows) => rows.map((row, i) => row ?? base[i]!));

describe('the frame writer', () => {
  it('leaves the terminal showing exactly each frame drawn whole, frame after frame', async () => {
    await fc.assert(
      fc.asyncProperty(
        frame.chain((first) => fc.tuple(fc.constant(first), nextFrame(first)).chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), nextFrame(b)))),
        fc.boolean(),
        async (frames, color) => {
          const writes = updates(frames, color);
          for (let n = 1; n <= frames.length; n++) {
            const [written, whole] = await Promise.all([shown(writes.slice(0, n + 1)), shown([wholeFrame(frames[n - 1]!, color)])]);
            expect(written.cells).toEqual(whole.cells);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves the terminal right when sparklines scroll, beside whatever stands around them', async () => {
    const bars = fc.stringMatching(/^[▁▂▃▄▅▆▇█ ]{4,20}$/);
    const scrolling = fc
      .record({ before: fc.array(span, { maxLength: 4 }), spark: bars, after: fc.array(span, { minLength: 1, maxLength: 3 }), next: fc.constantFrom('▁', '█', ' ', '▅'), tone: fc.constantFrom<Tone>('muted', 'ok') })
      // As the console's rows, each fits the terminal (with the two cells a growing sparkline adds).
      .filter(({ before, spark, after }) => widthOf([...before, ...after]) + spark.length + 2 < COLUMNS);
    await fc.assert(
      fc.asyncProperty(fc.array(scrolling, { minLength: ROWS - 1, maxLength: ROWS - 1 }), fc.boolean(), async (rows, grow) => {
        const at = (step: number): Frame =>
          rows.map(({ before, spark, after, next, tone }) => {
            // A new value comes in on the right: a full sparkline scrolls, its first cell leaving;
            // a filling one is padded on the left to its column's width.
            const values = spark + next.repeat(step);
            const text = grow ? values.padStart(spark.length + 2) : values.slice(step);
            return [...before, { text, tone }, ...after];
          });
        const frames = [at(0), at(1), at(2)];
        const [written, whole] = await Promise.all([shown(updates(frames)), shown([wholeFrame(frames[2]!, true)])]);
        expect(written.cells).toEqual(whole.cells);
      }),
      { numRuns: 60 },
    );
  });

  it('writes a value that changed in the middle of a long row, not the whole row', async () => {
    const row = (value: string): Line => [{ text: 'error rate     ' }, { text: value, bold: true }, { text: '    0.31%  +35% > 1%  ', tone: 'muted' }, { text: '✓ ok', tone: 'ok' }];
    const frames: Frame[] = ['0.42%', '0.43%'].map((value) => [row(value), ...Array.from({ length: ROWS - 2 }, () => [])]);
    const writes = updates(frames);
    const [written, whole] = await Promise.all([shown(writes), shown([wholeFrame(frames[1]!, true)])]);
    expect(written.cells).toEqual(whole.cells);
    const update = writes.at(-1)!;
    expect(update).toContain('3');
    expect(update).not.toContain('error rate');
    expect(update).not.toContain('✓ ok');
  });

  it('moves a scrolled sparkline one cell left on the terminal instead of writing each of its cells again', async () => {
    const spark = '▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆';
    const row = (shift: number): Line => [{ text: 'p95  182ms ' }, { text: (spark + spark).slice(shift, shift + 20), tone: 'muted' }, { text: ' p<0.001 n=1,240' }];
    const frames: Frame[] = [0, 1].map((shift) => [row(shift), ...Array.from({ length: ROWS - 2 }, () => [])]);
    const writes = updates(frames);
    const [written, whole] = await Promise.all([shown(writes), shown([wholeFrame(frames[1]!, true)])]);
    expect(written.cells).toEqual(whole.cells);
    const update = writes.at(-1)!;
    // Delete a cell where the sparkline starts, insert one where it ends, write the new cell.
    expect(update).toContain('\x1b[P');
    expect(update).toContain('\x1b[@');
    expect(update.replace(/\x1b\[[0-9;?]*[A-Za-z@]/g, '')).toBe('▁');
  });

  it('writes nothing when the frame is what the terminal already shows', () => {
    const writer = frameWriter(COLUMNS);
    const lines: Frame = [[{ text: 'one' }], [{ text: 'two', tone: 'ok' }]];
    expect(writer.update(lines, true)).not.toBe('');
    expect(writer.update(lines.map((l) => l.map((s) => ({ ...s }))), true)).toBe('');
  });

  it('wraps each update in a synchronized update, so a terminal that knows it never shows half a frame', () => {
    const update = frameWriter(COLUMNS).update([[{ text: 'one' }]], false);
    expect(update.startsWith('\x1b[?2026h')).toBe(true);
    expect(update.endsWith('\x1b[?2026l')).toBe(true);
  });

  it('erases the rows a shorter frame no longer has', async () => {
    const frames: Frame[] = [
      [[{ text: 'one' }], [{ text: 'two' }], [{ text: 'three' }]],
      [[{ text: 'one' }]],
    ];
    const { text } = await shown(updates(frames));
    expect(text.slice(0, 3)).toEqual(['one', '', '']);
  });

  it('cuts a line wider than the terminal with an ellipsis instead of letting it wrap onto the next row', async () => {
    const frames: Frame[] = [[[{ text: 'x'.repeat(COLUMNS + 10), tone: 'bad' }], [{ text: 'next row' }]]];
    const { text } = await shown(updates(frames));
    expect(text[0]).toBe(`${'x'.repeat(COLUMNS - 1)}…`);
    expect(text[1]).toBe('next row');
  });

  it('starts drawing again from a cleared screen at the new width', async () => {
    const writer = frameWriter(COLUMNS);
    const lines: Frame = [[{ text: 'one' }]];
    writer.update(lines, false);
    writer.cleared(20);
    const { text } = await shown(['\x1b[2J', writer.update(lines, false)], 20);
    expect(text[0]).toBe('one');
  });

  it('writes no colour when colour is off, and colours the decision and states when it is on', () => {
    const state = consoleState({ snapshot: snapshot({ decision: 'ROLLBACK', reasons: ['bad'] }) });
    const model = (color: boolean) => buildModel({ state, live: state, ui: initialUi, size: { columns: 80, rows: 24 }, keymap: buildKeymap(state.profile), color, chartMemo: {} });
    const bare = frameWriter(80).update(frameLines(model(false)), false);
    const coloured = frameWriter(80).update(frameLines(model(true)), true);
    expect(bare).not.toMatch(/\x1b\[[0-9;]*3\dm/);
    expect(coloured).toMatch(/\x1b\[31/);
  });

  for (const size of [{ columns: 80, rows: 24 }, { columns: 160, rows: 48 }]) {
    it(`shows, at ${size.columns}x${size.rows}, the view model's plain-text frame line for line`, async () => {
      const state = consoleState();
      const model = buildModel({ state, live: state, ui: initialUi, size, keymap: buildKeymap(state.profile), color: false, chartMemo: {} });
      const { text } = await shown(updates([frameLines(model)], false, size.columns), size.columns, size.rows);
      expect(text.slice(0, size.rows - 1).map((l) => l.trimEnd())).toEqual(frameText(model).map((l) => l.trimEnd()));
    });
  }
});
