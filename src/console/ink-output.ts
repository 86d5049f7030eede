// What Ink writes, made right for this console and cheap for an SSH link before the terminal gets
// it. Ink 6.6's incremental renderer rewrites a whole row when anything in it changed: a metric
// row whose value and sparkline moved costs its full width plus every colour code in it. Here
// each rewritten row is compared, cell by cell, with what is on screen, and only the runs of
// cells that differ are written — what a curses-style renderer sends — and part of a row that
// moved left (a scrolling sparkline) is moved by the terminal, with delete and insert character.
// Ink keeps drawing; this only shortens what reaches the terminal, and passes through anything it
// does not recognise.
// (A row is read here by a small SGR reader rather than @alcalzone/ansi-tokenize, Ink's own
// tokenizer: that one cost 10 ms for a 20-row update, this one a small fraction of it.)

import { displayWidth } from '../util/width.js';

/** One write on its way from Ink to the terminal: returns what to write instead ('' for nothing). */
export type WriteFilter = (text: string) => string;

/** The terminal as Ink sees it: the same stream, with each write passed through the filters in order. */
export function filteredStream(stdout: NodeJS.WriteStream, filters: readonly WriteFilter[]): NodeJS.WriteStream {
  const write = (chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (stdout.write as (...args: unknown[]) => boolean)(chunk, ...rest);
    const text = filters.reduce((t, filter) => filter(t), chunk);
    if (text === '') {
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    }
    return (stdout.write as (...args: unknown[]) => boolean)(text, ...rest);
  };
  return new Proxy(stdout, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const ERASE_LINE_END = '\x1b[K';
const ERASE_BELOW = '\x1b[J';
const RESET = '\x1b[m';

/**
 * Ink's first frame over the first paint (src/console/paint.ts): Ink writes that frame without
 * erasing what is under it, so each of its lines is erased to its end, and the screen below it.
 */
export function overpaintFirstFrame(): WriteFilter {
  let painted = true;
  return (text) => {
    if (!painted || !text.includes('\n')) return text;
    painted = false;
    return text.replaceAll('\n', `${ERASE_LINE_END}\n`) + ERASE_BELOW;
  };
}

/** Ink's incremental frame: up to the frame's first row, then per row "next line" or a rewrite. */
const UP = /^\x1b\[(\d+)A/;
const NEXT_ROW = '\x1b[E';
const ROW_START = '\x1b[1G';
const ROW_END = '\x1b[K\n';
/** Ink's whole-frame write starts by erasing the old one: erase line, up, to column 1. */
const ERASE_OLD = /^(?:\x1b\[2K|\x1b\[1A|\x1b\[G)*/;
const SGR = /\x1b\[[0-9;]*m/g;
/** Writes that change no cell and move no cursor (showing or hiding the cursor): the screen is as it was. */
const MODES_ONLY = /^(?:\x1b\[\?[0-9;]*[hl])+$/;
/** Unchanged cells shorter than this between two changed runs are rewritten: cheaper than a cursor move. */
const MERGE_GAP = 6;

/**
 * A row as cells: each character, the SGR parameters in force for it (a canonical string, "" for
 * none) and its width. `exact` is false when the row holds something whose width or effect this
 * reader cannot be sure of (combining marks, emoji, other escapes): such a row is rewritten whole.
 */
interface Row {
  text: string;
  chars: string[];
  styles: string[];
  widths: number[];
  exact: boolean;
}

/**
 * Rewrites of whole rows become writes of the changed cells. Knows the screen from Ink's own
 * whole-frame writes (the first frame, and every frame after a clear); until it has seen one, or
 * when a write is not in the shape it knows, the write passes unchanged and it forgets the screen.
 */
export function changedCellsOnly(): WriteFilter {
  let screen: Row[] | undefined;
  return (text) => {
    if (MODES_ONLY.test(text)) return text;
    const frame = parseIncremental(text);
    if (!frame) {
      screen = parseWholeFrame(text);
      return text;
    }
    if (!screen || frame.up !== screen.length || frame.rows.length !== screen.length) {
      screen = undefined;
      return text;
    }
    let out = '';
    // The cursor starts where Ink left it, on the row under the frame; it goes straight up to the
    // first row that changed, and down from one to the next (a line feed for the next row: every
    // row's writes start with the column, and no row of the frame is the terminal's last).
    let row = frame.up;
    frame.rows.forEach((content, r) => {
      if (content === undefined || content === screen![r]!.text) return;
      const next = readRow(content);
      const changes = cheapestRewrite(screen![r]!, next);
      screen![r] = next;
      if (changes === '') return;
      if (r < row) out += `\x1b[${row - r}A`;
      else if (r === row + 1) out += '\n';
      else if (r > row) out += `\x1b[${r - row}B`;
      row = r;
      out += changes;
    });
    if (out === '') return '';
    // Where Ink left the cursor and expects it next time: column 1 of the row under the frame.
    const below = frame.rows.length - row;
    return `${out}${below === 1 ? '\n' : `\x1b[${below}B`}\r`;
  };
}

function parseIncremental(text: string): { up: number; rows: (string | undefined)[] } | undefined {
  const up = UP.exec(text);
  if (!up) return undefined;
  const rows: (string | undefined)[] = [];
  let at = up[0].length;
  while (at < text.length) {
    if (text.startsWith(NEXT_ROW, at)) {
      rows.push(undefined);
      at += NEXT_ROW.length;
    } else if (text.startsWith(ROW_START, at)) {
      const end = text.indexOf(ROW_END, at);
      if (end < 0) return undefined;
      const content = text.slice(at + ROW_START.length, end);
      if (content.includes('\n')) return undefined;
      rows.push(content);
      at = end + ROW_END.length;
    } else {
      return undefined;
    }
  }
  return { up: Number(up[1]), rows };
}

function parseWholeFrame(text: string): Row[] | undefined {
  const output = text.replace(ERASE_OLD, '');
  if (!output.endsWith('\n') || output.replace(SGR, '').includes('\x1b')) return undefined;
  return output.slice(0, -1).split('\n').map(readRow);
}

/** The SGR state a row has built up so far. */
interface Pen {
  intensity: string;
  fg: string;
  bg: string;
  /** italic, underline, blink, inverse, hidden, strike: the parameter that turns each on. */
  flags: Set<string>;
}

const FLAG_ON: Record<string, string> = { '3': '3', '4': '4', '21': '4', '5': '5', '7': '7', '8': '8', '9': '9' };
const FLAG_OFF: Record<string, string[]> = { '23': ['3'], '24': ['4'], '25': ['5'], '27': ['7'], '28': ['8'], '29': ['9'] };

function readRow(text: string): Row {
  const row: Row = { text, chars: [], styles: [], widths: [], exact: true };
  const pen: Pen = { intensity: '', fg: '', bg: '', flags: new Set() };
  let style = '';
  for (let i = 0; i < text.length; ) {
    if (text.charCodeAt(i) === 0x1b) {
      const end = text[i + 1] === '[' ? sgrEnd(text, i + 2) : -1;
      if (end < 0 || !applySgr(pen, text.slice(i + 2, end))) {
        row.exact = false;
        i += 1;
        continue;
      }
      style = penStyle(pen);
      i = end + 1;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const char = String.fromCodePoint(cp);
    i += char.length;
    if (cp < 0x20 || (cp >= 0x300 && !simple(cp))) row.exact = false;
    row.chars.push(char);
    row.styles.push(style);
    row.widths.push(cp < 0x300 ? 1 : displayWidth(char));
  }
  return row;
}

/** Where an SGR sequence's final `m` is, or -1 when this is some other escape. */
function sgrEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x6d) return i;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b)) return -1;
  }
  return -1;
}

/** Applies one SGR sequence's parameters; false for one it does not know (the row is then rewritten whole). */
function applySgr(pen: Pen, params: string): boolean {
  const ps = params === '' ? ['0'] : params.split(';');
  for (let k = 0; k < ps.length; k++) {
    const p = ps[k] === '' ? '0' : ps[k]!;
    const n = Number(p);
    if (p === '0') {
      pen.intensity = pen.fg = pen.bg = '';
      pen.flags.clear();
    } else if (p === '1' || p === '2') pen.intensity = p;
    else if (p === '22') pen.intensity = '';
    else if (FLAG_ON[p]) pen.flags.add(FLAG_ON[p]);
    else if (FLAG_OFF[p]) for (const f of FLAG_OFF[p]) pen.flags.delete(f);
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) pen.fg = p;
    else if (n === 39) pen.fg = '';
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) pen.bg = p;
    else if (n === 49) pen.bg = '';
    else if (n === 38 || n === 48) {
      const take = ps[k + 1] === '5' ? 2 : ps[k + 1] === '2' ? 4 : 0;
      if (take === 0 || k + take >= ps.length) return false;
      const colour = ps.slice(k, k + take + 1).join(';');
      if (n === 38) pen.fg = colour;
      else pen.bg = colour;
      k += take;
    } else return false;
  }
  return true;
}

function penStyle(pen: Pen): string {
  return [pen.intensity, ...[...pen.flags].sort(), pen.fg, pen.bg].filter((p) => p !== '').join(';');
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
function cheapestRewrite(before: Row, after: Row): string {
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
    // Ink closes every style at the end of its rows, so a run starts with none in force.
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
