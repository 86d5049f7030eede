// Changed cells only: a row the terminal already shows, compared cell by cell with the row that
// replaces it, and only the runs of cells that differ written — what a curses-style renderer sends.
// Part of a row that moved left (a scrolling sparkline) is moved by the terminal, with delete and
// insert character, instead of being written again. The frame writer (frame-writer.ts) asks this
// for each row that changed.

import { displayWidth } from '../util/width.js';

const ERASE_LINE_END = '\x1b[K';
const RESET = '\x1b[m';
/** Unchanged cells shorter than this between two changed runs are rewritten: cheaper than a cursor move. */
const MERGE_GAP = 6;

/**
 * A row as cells: each character, the SGR parameters in force for it (a canonical string, "" for
 * none) and its width. `exact` is false when the row holds something whose width or effect this
 * reader cannot be sure of (combining marks, emoji, other escapes): such a row is rewritten whole.
 */
export interface Row {
  text: string;
  chars: string[];
  styles: string[];
  widths: number[];
  exact: boolean;
}

/**
 * A row from runs of text, each in one style (its SGR parameters, in one order for the same style:
 * `31;1`), and the text that draws them (written whole where the row is not exact).
 */
export function styledRow(runs: readonly { text: string; style: string }[], text: string): Row {
  const row: Row = { text, chars: [], styles: [], widths: [], exact: true };
  for (const run of runs) for (let i = 0; i < run.text.length; ) i += pushCell(row, run.text, i, run.style);
  return row;
}

/** The character at `at` as the row's next cell; returns its length in UTF-16 units. */
function pushCell(row: Row, text: string, at: number, style: string): number {
  const cp = text.codePointAt(at)!;
  const char = String.fromCodePoint(cp);
  if (cp < 0x20 || (cp >= 0x300 && !simple(cp))) row.exact = false;
  row.chars.push(char);
  row.styles.push(style);
  row.widths.push(cp < 0x300 ? 1 : displayWidth(char));
  return char.length;
}

/** Characters whose width is certain: box drawing, blocks, arrows, symbols, CJK — not marks or joiners. */
function simple(cp: number): boolean {
  if (cp > 0xffff) return false;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff)) return false;
  if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f)) return false;
  return true;
}

/**
 * The writes that turn row `before` into row `after`: the changed runs, or, when part of the row
 * moved left by a cell or a few (a full sparkline scrolling, a growing one padded on the left),
 * that part moved by the terminal — delete cells where it starts, insert blanks where it ends so
 * what stands right of it stays put — and then the runs that still differ. A scrolled sparkline
 * then costs its new cell and a few escapes instead of every cell of it.
 */
export function cheapestRewrite(before: Row, after: Row): string {
  let best = changedRuns(before, after);
  const move = movedLeft(before, after);
  if (!move) return best;
  const { start, end, by } = move;
  const length = before.chars.length;
  const remove = `\x1b[${start + 1}G${by === 1 ? '\x1b[P' : `\x1b[${by}P`}`;
  const candidates = [remove + changedRuns(cut(shifted(before, start, length, by), length - by), after)];
  // Blanks inserted where the moved part ends put back what stands right of it.
  if (end + by + 1 < length) {
    const insert = `\x1b[${end + 2}G${by === 1 ? '\x1b[@' : `\x1b[${by}@`}`;
    candidates.push(remove + insert + changedRuns(shifted(before, start, end + by + 1, by), after));
  }
  for (const candidate of candidates) if (Buffer.byteLength(candidate) < Buffer.byteLength(best)) best = candidate;
  return best;
}

/** Cells a move must save before it is tried: below this the runs are as cheap. */
const MOVE_WORTH = 3;
/** The farthest move looked for: one new value a poll, a few when frames were skipped. */
const MOVE_MAX = 3;

/**
 * The cells [start, end] of `after` that are `before`'s cells `by` columns to their right, where
 * that saves the most rewritten cells; undefined when no move saves MOVE_WORTH. Rows with a wide
 * or unsure character are not moved: a cell there is not a column.
 */
function movedLeft(before: Row, after: Row): { start: number; end: number; by: number } | undefined {
  if (!before.exact || !after.exact || before.widths.some((w) => w !== 1) || after.widths.some((w) => w !== 1)) return undefined;
  const same = (a: Row, i: number, b: Row, j: number) => a.chars[i] === b.chars[j] && a.styles[i] === b.styles[j];
  let best: { start: number; end: number; by: number } | undefined;
  let bestSaved = MOVE_WORTH - 1;
  for (let by = 1; by <= MOVE_MAX; by++) {
    const length = Math.min(after.chars.length, before.chars.length - by);
    let start = -1;
    let saved = 0;
    for (let i = 0; i <= length; i++) {
      if (i < length && same(after, i, before, i + by)) {
        if (start < 0) [start, saved] = [i, 0];
        if (!same(after, i, before, i)) saved++;
        continue;
      }
      if (start >= 0 && saved > bestSaved) [best, bestSaved] = [{ start, end: i - 1, by }, saved];
      start = -1;
    }
  }
  return best;
}

/**
 * `row` as the terminal holds it after deleting `by` cells at `start`: the cells before `stop`
 * move left into their place, blanks fill in behind them, and the cells from `stop` on stay.
 */
function shifted(row: Row, start: number, stop: number, by: number): Row {
  const move = <T>(cells: T[], blank: T): T[] => [...cells.slice(0, start), ...cells.slice(start + by, stop), ...Array<T>(by).fill(blank), ...cells.slice(stop)];
  return { text: '', chars: move(row.chars, ' '), styles: move(row.styles, ''), widths: move(row.widths, 1), exact: true };
}

/** The row's first `length` cells: past them the terminal shows nothing. */
function cut(row: Row, length: number): Row {
  return { ...row, chars: row.chars.slice(0, length), styles: row.styles.slice(0, length), widths: row.widths.slice(0, length) };
}

/**
 * The writes that turn row `before` into row `after`, from the cursor at some column of that row:
 * each run of differing cells at its column, and an erase when the row got shorter. A row this
 * reader cannot be exact about is written whole; once a wide character shifts the columns, the
 * rest of the row is.
 */
function changedRuns(before: Row, after: Row): string {
  if (!before.exact || !after.exact) return `\x1b[1G${after.text}${ERASE_LINE_END}`;
  const runs: [number, number][] = [];
  const n = after.chars.length;
  let colBefore = 0;
  let colAfter = 0;
  for (let i = 0; i < n; i++) {
    if (colBefore !== colAfter) {
      const last = runs.at(-1);
      if (last && i - last[1] <= MERGE_GAP) last[1] = n - 1;
      else runs.push([i, n - 1]);
      break;
    }
    const same = i < before.chars.length && before.chars[i] === after.chars[i] && before.styles[i] === after.styles[i];
    if (!same) {
      const last = runs.at(-1);
      if (last && i - last[1] <= MERGE_GAP) last[1] = i;
      else runs.push([i, i]);
    }
    colBefore += i < before.widths.length ? before.widths[i]! : 1;
    colAfter += after.widths[i]!;
  }
  let out = '';
  let column = 0;
  let index = 0;
  for (const [from, to] of runs) {
    for (; index < from; index++) column += after.widths[index]!;
    out += `\x1b[${column + 1}G`;
    // Every row closes its styles at its end (frame-writer.ts paintLine), so a run starts with none in force.
    let pen = '';
    for (; index <= to; index++) {
      const style = after.styles[index]!;
      if (style !== pen) {
        // From no style, the style alone; from another, a reset first (`\x1b[m` is `\x1b[0m`).
        out += style === '' ? RESET : pen === '' ? `\x1b[${style}m` : `\x1b[0;${style}m`;
        pen = style;
      }
      out += after.chars[index]!;
      column += after.widths[index]!;
    }
    if (pen !== '') out += RESET;
  }
  for (; index < n; index++) column += after.widths[index]!;
  const widthBefore = before.widths.reduce((sum, w) => sum + w, 0);
  if (column < widthBefore) out += `\x1b[${column + 1}G${ERASE_LINE_END}`;
  return out;
}
