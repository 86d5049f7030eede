// What Ink writes, made right for this console and cheap for an SSH link before the terminal gets
// it. Ink 6.6's incremental renderer rewrites a whole row when anything in it changed: a metric
// row whose value and sparkline moved costs its full width plus every colour code in it. Here
// each rewritten row is compared, cell by cell, with what is on screen, and only the runs of
// cells that differ are written — what a curses-style renderer sends. Ink keeps drawing; this
// only shortens what reaches the terminal, and passes through anything it does not recognise.

import { ansiCodesToString, styledCharsFromTokens, styledCharsToString, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';

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

/**
 * Ink's first frame over the first paint (src/view/paint.ts): Ink writes that frame without
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

interface Cell {
  char: StyledChar;
  /** Its SGR state, as one comparable string. */
  style: string;
}

/**
 * Rewrites of whole rows become writes of the changed cells. Knows the screen from Ink's own
 * whole-frame writes (the first frame, and every frame after a clear); until it has seen one, or
 * when a write is not in the shape it knows, the write passes unchanged and it forgets the screen.
 */
export function changedCellsOnly(): WriteFilter {
  let screen: Cell[][] | undefined;
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
    let row = 0;
    frame.rows.forEach((content, r) => {
      if (content === undefined) return;
      const next = cellsOf(content);
      const changes = changedRuns(screen![r]!, next);
      screen![r] = next;
      if (changes === '') return;
      if (r > row) out += `\x1b[${r - row}B`;
      row = r;
      out += changes;
    });
    if (out === '') return '';
    // Where Ink left the cursor and expects it next time: column 1 of the row under the frame.
    const below = frame.rows.length - row;
    return `\x1b[${frame.up}A${out}\x1b[${below}B\x1b[1G`;
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

function parseWholeFrame(text: string): Cell[][] | undefined {
  const output = text.replace(ERASE_OLD, '');
  if (!output.endsWith('\n') || output.replace(SGR, '').includes('\x1b')) return undefined;
  return output.slice(0, -1).split('\n').map(cellsOf);
}

function cellsOf(content: string): Cell[] {
  return styledCharsFromTokens(tokenize(content)).map((char) => ({ char, style: ansiCodesToString(char.styles) }));
}

const same = (a: Cell, b: Cell) => a.char.value === b.char.value && a.style === b.style;
const width = (cell: Cell) => (cell.char.fullWidth ? 2 : 1);

/**
 * The writes that turn row `before` into row `after`, from the cursor at some column of that row:
 * each run of differing cells at its column, and an erase when the row got shorter. Once a wide
 * character shifts the columns, the rest of the row is written whole.
 */
function changedRuns(before: Cell[], after: Cell[]): string {
  const runs: [number, number][] = [];
  let shiftedFrom: number | undefined;
  let colBefore = 0;
  let colAfter = 0;
  for (let i = 0; i < after.length; i++) {
    if (colBefore !== colAfter) {
      shiftedFrom = i;
      break;
    }
    const old = before[i];
    if (!old || !same(old, after[i]!)) {
      const last = runs.at(-1);
      if (last && i - last[1] <= MERGE_GAP) last[1] = i;
      else runs.push([i, i]);
    }
    colBefore += old ? width(old) : 1;
    colAfter += width(after[i]!);
  }
  if (shiftedFrom !== undefined) {
    const last = runs.at(-1);
    if (last && shiftedFrom - last[1] <= MERGE_GAP) last[1] = after.length - 1;
    else runs.push([shiftedFrom, after.length - 1]);
  }
  let out = '';
  const columnOf = (index: number) => after.slice(0, index).reduce((n, cell) => n + width(cell), 0);
  for (const [from, to] of runs) {
    out += `\x1b[${columnOf(from) + 1}G${styledCharsToString(after.slice(from, to + 1).map((cell) => cell.char))}`;
  }
  const widthBefore = before.reduce((n, cell) => n + width(cell), 0);
  const widthAfter = columnOf(after.length);
  if (widthAfter < widthBefore) out += `\x1b[${widthAfter + 1}G${ERASE_LINE_END}`;
  return out;
}
