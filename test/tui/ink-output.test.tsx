// Only the changed cells reach the terminal, and the terminal shows exactly what Ink drew: Ink's
// own incremental output and the filtered one are played into two real terminal emulators
// (xterm.js, headless), whose screens must match cell for cell after every frame.

import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import xterm from '@xterm/headless';
import { changedCellsOnly, filteredStream, type WriteFilter } from '../../src/console/ink-output.js';
import { displayWidth } from '../../src/util/width.js';

// Colour on, whatever the test runner's stdout is, and Ink's live incremental renderer even under
// CI (where Ink would draw only the last frame): both are decided when Ink is first imported.
const saved = { FORCE_COLOR: process.env.FORCE_COLOR, CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
process.env.FORCE_COLOR = '1';
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { Box, render, Text } = await import('ink');
for (const [name, value] of Object.entries(saved)) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
const { Terminal } = xterm;
const COLUMNS = 48;
const ROWS = 12;

type Span = { text: string; color?: 'red' | 'green' | 'cyan' | 'gray'; bold?: boolean };
type Frame = Span[][];

function Screen({ frame }: { frame: Frame }) {
  return (
    <Box flexDirection="column" height={ROWS - 1}>
      {frame.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.length === 0 ? ' ' : line.map((span, j) => <Text key={j} color={span.color} bold={span.bold ?? false}>{span.text}</Text>)}
        </Text>
      ))}
    </Box>
  );
}

/** Ink with incremental rendering on a fake terminal of COLUMNS x ROWS: every write it makes, in order. */
function inkWrites(frames: Frame[]): string[] {
  const writes: string[] = [];
  const stdout = Object.assign(new EventEmitter(), { columns: COLUMNS, rows: ROWS, isTTY: true, write: (text: string) => (writes.push(text), true) });
  const app = render(<Screen frame={frames[0]!} />, { stdout: stdout as never, patchConsole: false, exitOnCtrlC: false, incrementalRendering: true, maxFps: 1000 });
  for (const frame of frames.slice(1)) app.rerender(<Screen frame={frame} />);
  app.unmount();
  return writes;
}

async function play(writes: string[], filters: WriteFilter[]): Promise<{ screen: string[]; bytes: number }> {
  // convertEol: a terminal's line discipline turns Ink's \n into \r\n (ONLCR), as over SSH.
  const term = new Terminal({ cols: COLUMNS, rows: ROWS, allowProposedApi: true, convertEol: true });
  let bytes = 0;
  for (const write of writes) {
    const text = filters.reduce((t, f) => f(t), write);
    bytes += Buffer.byteLength(text);
    await new Promise<void>((resolve) => term.write(text, resolve));
  }
  const screen: string[] = [];
  for (let y = 0; y < ROWS; y++) {
    const line = term.buffer.active.getLine(y)!;
    let cells = '';
    for (let x = 0; x < COLUMNS; x++) {
      const cell = line.getCell(x)!;
      if (cell.getWidth() === 0) continue;
      cells += `${cell.getChars() || ' '}${cell.getFgColor()}${cell.isBold() ? 'b' : ''}|`;
    }
    screen.push(cells);
  }
  const cursor = `${term.buffer.active.cursorX},${term.buffer.active.cursorY}`;
  term.dispose();
  return { screen: [...screen, cursor], bytes };
}

const span: fc.Arbitrary<Span> = fc.record(
  {
    text: fc.constantFrom('ok', '0.42%', ' ', '✓', '▁▂▃', '中文', 'p95 latency', '—', '  ', 'x', '👍', 'e\u0301'),
    color: fc.constantFrom('red', 'green', 'cyan', 'gray'),
    bold: fc.boolean(),
  },
  { requiredKeys: ['text'] },
);
const line = fc.array(span, { maxLength: 8 });
const frame = fc.array(line, { minLength: ROWS - 1, maxLength: ROWS - 1 });
/** The next frame: mostly the same rows, some changed, as a console's frames are. */
const nextFrame = (base: Frame) =>
  fc.array(fc.option(line, { freq: 3 }), { minLength: base.length, maxLength: base.length }).map((rows) => rows.map((row, i) => row ?? base[i]!));

describe('writing only the cells that changed', () => {
  it("leaves the terminal showing exactly what Ink's own output shows, frame after frame", async () => {
    await fc.assert(
      fc.asyncProperty(
        frame.chain((first) => fc.tuple(fc.constant(first), nextFrame(first)).chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), nextFrame(b)))),
        async ([a, b, c]) => {
          const writes = inkWrites([a, b, c]);
          expect(writes.length).toBeGreaterThan(1);
          const [ink, filtered] = await Promise.all([play(writes, []), play(writes, [changedCellsOnly()])]);
          expect(filtered.screen).toEqual(ink.screen);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes a value that changed in the middle of a long row, not the whole row', async () => {
    const row = (value: string): Span[] => [{ text: 'error rate     ' }, { text: value, bold: true }, { text: '    0.31%  +35% > 1%  ', color: 'gray' }, { text: '✓ ok', color: 'green' }];
    const frames: Frame[] = ['0.42%', '0.43%'].map((value) => [row(value), ...Array.from({ length: ROWS - 2 }, () => [])]);
    const writes = inkWrites(frames);
    const [ink, filtered] = await Promise.all([play(writes, []), play(writes, [changedCellsOnly()])]);
    expect(filtered.screen).toEqual(ink.screen);
    // The update is Ink's one incremental write; the filter is fed every write, as it is live.
    const update = writes.findLastIndex((w) => /^\x1b\[\d+A/.test(w));
    const filteredUpdate = changedOnlyOf(writes)[update]!;
    expect(Buffer.byteLength(filteredUpdate)).toBeLessThan(Buffer.byteLength(writes[update]!) / 2);
    expect(filteredUpdate).toContain('3');
    expect(filteredUpdate).not.toContain('error rate');
    expect(writes[update]).toContain('\x1b[90m');
  });

  it('leaves the terminal showing what Ink shows when sparklines scroll, beside whatever stands around them', async () => {
    const bars = fc.stringMatching(/^[▁▂▃▄▅▆▇█ ]{4,20}$/);
    const scrolling = fc
      .record({ before: line, spark: bars, after: fc.array(span, { minLength: 1, maxLength: 3 }), next: fc.constantFrom('▁', '█', ' ', '▅'), color: fc.constantFrom('gray', 'green') })
      // As the console's rows, each fits the terminal (with the two cells a growing sparkline adds).
      .filter(({ before, spark, after }) => displayWidth([...before, ...after].map((x) => x.text).join('')) + spark.length + 2 < COLUMNS);
    await fc.assert(
      fc.asyncProperty(fc.array(scrolling, { minLength: ROWS - 1, maxLength: ROWS - 1 }), fc.boolean(), async (rows, grow) => {
        const at = (step: number): Frame =>
          rows.map(({ before, spark, after, next, color }) => {
            // A new value comes in on the right: a full sparkline scrolls, its first cell leaving;
            // a filling one is padded on the left to its column's width.
            const values = spark + next.repeat(step);
            const text = grow ? values.padStart(spark.length + 2) : values.slice(step);
            return [...before, { text, color }, ...after];
          });
        const writes = inkWrites([at(0), at(1), at(2)]);
        const [ink, filtered] = await Promise.all([play(writes, []), play(writes, [changedCellsOnly()])]);
        expect(filtered.screen).toEqual(ink.screen);
      }),
      { numRuns: 60 },
    );
  });

  it('moves a scrolled sparkline one cell left on the terminal instead of writing each of its cells again', async () => {
    const spark = '▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆';
    const row = (shift: number): Span[] => [{ text: 'p95 latency  182ms ' }, { text: (spark + spark).slice(shift, shift + 20), color: 'gray' }, { text: ' p<0.001 n=1,240' }];
    const frames: Frame[] = [0, 1].map((shift) => [row(shift), ...Array.from({ length: ROWS - 2 }, () => [])]);
    const writes = inkWrites(frames);
    const [ink, filtered] = await Promise.all([play(writes, []), play(writes, [changedCellsOnly()])]);
    expect(filtered.screen).toEqual(ink.screen);
    const update = writes.findLastIndex((w) => /^\x1b\[\d+A/.test(w));
    const filteredUpdate = changedOnlyOf(writes)[update]!;
    // Delete a cell where the sparkline starts, insert one where it ends, write the new cell.
    expect(filteredUpdate).toContain('\x1b[P');
    expect(filteredUpdate).toContain('\x1b[@');
    expect(filteredUpdate.replace(/\x1b\[[0-9;]*[A-Za-z@]|[\r\n]/g, '')).toBe('▁');
  });

  it('writes nothing when Ink rewrites a row that is already on screen as it is', () => {
    const filter = changedCellsOnly();
    const frameText = 'one\ntwo\nthree\n';
    expect(filter(frameText)).toBe(frameText);
    expect(filter('\x1b[3A\x1b[E\x1b[1Gtwo\x1b[K\n\x1b[E')).toBe('');
  });

  it('passes through what it does not recognise, and forgets the screen until the next whole frame', () => {
    const filter = changedCellsOnly();
    filter('one\ntwo\n');
    const clear = '\x1b[2K\x1b[1A\x1b[2K\x1b[G';
    expect(filter(clear)).toBe(clear);
    const rewrite = '\x1b[2A\x1b[1GONE\x1b[K\n\x1b[E';
    expect(filter(rewrite)).toBe(rewrite);
  });
});

function changedOnlyOf(writes: string[]): string[] {
  const filter = changedCellsOnly();
  return writes.map(filter);
}

describe('the filtered stream', () => {
  it('hands each write through the filters in order and keeps the terminal size visible to Ink', () => {
    const written: string[] = [];
    const stdout = Object.assign(new EventEmitter(), { columns: 80, rows: 24, isTTY: true, write: (text: string) => (written.push(text), true) });
    const stream = filteredStream(stdout as unknown as NodeJS.WriteStream, [(t) => t.toUpperCase(), (t) => `<${t}>`]);
    stream.write('frame');
    expect(written).toEqual(['<FRAME>']);
    expect([stream.columns, stream.rows]).toEqual([80, 24]);
  });
});
