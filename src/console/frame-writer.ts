// The frame on the terminal: the view model's lines in, the bytes that make the screen show them
// out. It keeps what each row shows, and for a row that changed writes only the cells that differ
// (cells.ts), at an absolute position; a row that did not change costs a string comparison. That
// is the whole renderer: the view model has already laid out and cut every line to the width, so
// nothing here measures a layout, and nothing is drawn twice.
//
// A renderer library was measured against this in one run (bench/ and ../shared/tools/anchors):
// Ink redraws its whole tree each frame and costs 3–4× blessed's CPU per update before our own
// view model is counted; this costs about what blessed does. See the README's Benchmarks.

import type { Line, Span } from '../view/line.js';
import { clip, widthOf } from '../view/line.js';
import { TONE_COLOR, type ToneColor } from '../view/palette.js';
import { cheapestRewrite, styledRow, type Row } from './cells.js';

const SGR_COLOR: Record<ToneColor, number> = { red: 31, green: 32, yellow: 33, magenta: 35, cyan: 36, gray: 90 };
const RESET = '\x1b[0m';
const ERASE_LINE_END = '\x1b[K';
/**
 * Synchronized output (DEC mode 2026): a terminal that knows it shows the update at once, not
 * half-drawn over a slow link; one that does not ignores it.
 */
const BEGIN_UPDATE = '\x1b[?2026h';
const END_UPDATE = '\x1b[?2026l';
const COLUMN = /^\x1b\[(\d+)G/;

export interface FrameWriter {
  /** The bytes that turn what the terminal shows into these lines ('' when it already shows them). */
  update(lines: readonly Line[], color: boolean): string;
  /** The screen was cleared (at start, or after a resize to `columns`): the next update draws every row. */
  cleared(columns: number): void;
}

export function frameWriter(columns: number): FrameWriter {
  let width = columns;
  /** What each row of the terminal shows; a missing row is blank. */
  let screen: (Row | undefined)[] = [];
  return {
    update(lines, color) {
      let out = '';
      for (let r = 0; r < Math.max(lines.length, screen.length); r++) {
        const before = screen[r];
        const line = lines[r];
        if (line === undefined) {
          if (before && before.chars.length > 0) out += `\x1b[${r + 1}H${ERASE_LINE_END}`;
          screen[r] = undefined;
          continue;
        }
        const text = paintLine(line, color);
        if (before?.text === text) continue;
        const after = fitted(line, text, color, width);
        screen[r] = after;
        if (!before) {
          if (after.chars.length > 0) out += `\x1b[${r + 1}H${after.text}`;
          continue;
        }
        const changes = cheapestRewrite(before, after);
        if (changes === '') continue;
        // The rewrite starts with the column it writes at: one move puts the cursor on row and column.
        const column = COLUMN.exec(changes);
        out += column ? `\x1b[${r + 1};${column[1]}H${changes.slice(column[0].length)}` : `\x1b[${r + 1}H${changes}`;
      }
      screen = screen.slice(0, lines.length);
      return out === '' ? '' : BEGIN_UPDATE + out + END_UPDATE;
    },
    cleared(columns) {
      width = columns;
      screen = [];
    },
  };
}

/**
 * The row for a line, cut to the width if it is wider. The view model cuts every line it makes;
 * this only keeps a line that slipped through from wrapping onto the next row, which would leave
 * the screen wrong until the next clear.
 */
function fitted(line: Line, text: string, color: boolean, width: number): Row {
  const row = rowOf(line, text, color);
  let columns = 0;
  for (const w of row.widths) columns += w;
  if (columns <= width && row.exact) return row;
  if (widthOf(line) <= width) return row;
  const cut = clip(line, width);
  return rowOf(cut, paintLine(cut, color), color);
}

function rowOf(line: Line, text: string, color: boolean): Row {
  return styledRow(line.map((span) => ({ text: span.text, style: styleOf(span, color) })), text);
}

/** A span's SGR parameters: its colour, bold, inverse (`31;1`); "" for none. */
function styleOf(span: Span, color: boolean): string {
  const tone = color && span.tone ? TONE_COLOR[span.tone] : undefined;
  let style = tone ? `${SGR_COLOR[tone]}` : '';
  if (span.bold) style += style === '' ? '1' : ';1';
  if (color && span.inverse) style += style === '' ? '7' : ';7';
  return style;
}

/** A line as the terminal is sent it: each span's text with its colour, bold and inverse, and every style closed. */
export function paintLine(line: Line, color: boolean): string {
  let out = '';
  for (const span of line) {
    const style = styleOf(span, color);
    out += style === '' ? span.text : `\x1b[${style}m${span.text}${RESET}`;
  }
  return out;
}
