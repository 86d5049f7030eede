// Ink's Output (ink/build/output.js), with each row's string remembered. Ink builds a fresh grid of
// width × height cell objects every frame (4,800 at 120x40), places every line's cells in it and
// turns every row back into a string, though most rows did not change: at 1 Hz that grid was the
// largest single cost of an update, and most of its garbage. Here the writes are first gathered
// per row — for each, where it starts and the cells of its line, which the remembered tokenizer
// (console/ink-memo.ts) hands out as the same array for the same line — and only a row whose
// writes differ from the last frame's is placed and written, exactly as Ink does it. Same answer,
// row by row; in the bundle this class is Ink's Output (src/build/ink-memo.ts), held to the
// version of output.js it copies by test/unit/ink-rows.test.ts.

import type { StyledChar, Token } from './ink-memo.js';

/** What Ink's output.js imports, passed in (in the bundle, Ink's remembered versions). */
export interface OutputDeps {
  sliceAnsi: (text: string, start: number, end?: number) => string;
  stringWidth: (text: string) => number;
  widestLine: (text: string) => number;
  tokenize: (text: string) => Token[];
  styledCharsFromTokens: (tokens: Token[]) => StyledChar[];
  styledCharsToString: (chars: StyledChar[]) => string;
}

export interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}
type Transformer = (line: string, index: number) => string;
type Operation = { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] } | { type: 'clip'; clip: Clip } | { type: 'unclip' };

/** One line's cells, placed at column x of a row. */
interface Placement {
  x: number;
  chars: StyledChar[];
}

/** A row as last written: its width, its placements, the string they made. */
interface RowMemo {
  width: number;
  placements: Placement[];
  text: string;
}

export interface InkOutput {
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  clip(clip: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}

const NO_PLACEMENTS: Placement[] = [];
const BLANK: StyledChar = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) as unknown as StyledChar['styles'] }) as StyledChar;

/** The Output class, over these helpers. Rows are remembered across instances: a frame is a new one. */
export function rowMemoOutput(deps: OutputDeps): new (options: { width: number; height: number }) => InkOutput {
  const { sliceAnsi, stringWidth, widestLine, tokenize, styledCharsFromTokens, styledCharsToString } = deps;
  // A row's string is a function of the width and its placements alone, so which Output (the
  // frame, Ink's static part) wrote it last does not matter.
  const rows: (RowMemo | undefined)[] = [];

  /** Ink's own placing and writing, for one row. */
  function writeRow(width: number, placements: Placement[]): string {
    // One blank cell for all: cells are only read from here on (Ink makes a new one for each).
    const row: StyledChar[] = [];
    for (let x = 0; x < width; x++) row.push(BLANK);
    for (const { x, chars } of placements) {
      let offsetX = x;
      for (const character of chars) {
        row[offsetX] = character;
        const characterWidth = Math.max(1, stringWidth(character.value));
        if (characterWidth > 1) {
          for (let index = 1; index < characterWidth; index++) row[offsetX + index] = { type: 'char', value: '', fullWidth: false, styles: character.styles };
        }
        offsetX += characterWidth;
      }
    }
    return styledCharsToString(row.filter((item) => item !== undefined)).trimEnd();
  }

  function rowText(y: number, width: number, placements: Placement[]): string {
    if (placements.length === 0) return '';
    const memo = rows[y];
    if (memo && memo.width === width && samePlacements(memo.placements, placements)) return memo.text;
    const text = writeRow(width, placements);
    rows[y] = { width, placements, text };
    return text;
  }

  return class Output implements InkOutput {
    width: number;
    height: number;
    operations: Operation[] = [];

    constructor(options: { width: number; height: number }) {
      this.width = options.width;
      this.height = options.height;
    }

    write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void {
      if (!text) return;
      this.operations.push({ type: 'write', x, y, text, transformers: options.transformers });
    }

    clip(clip: Clip): void {
      this.operations.push({ type: 'clip', clip });
    }

    unclip(): void {
      this.operations.push({ type: 'unclip' });
    }

    get(): { output: string; height: number } {
      const placed: Placement[][] = [];
      const clips: Clip[] = [];
      for (const operation of this.operations) {
        if (operation.type === 'clip') clips.push(operation.clip);
        if (operation.type === 'unclip') clips.pop();
        if (operation.type !== 'write') continue;
        // From here to the placing: Ink's code, unchanged.
        const { text, transformers } = operation;
        let { x, y } = operation;
        let lines = text.split('\n');
        const clip = clips.at(-1);
        if (clip) {
          const clipHorizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
          const clipVertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
          if (clipHorizontally) {
            const width = widestLine(text);
            if (x + width < clip.x1! || x > clip.x2!) continue;
          }
          if (clipVertically) {
            const height = lines.length;
            if (y + height < clip.y1! || y > clip.y2!) continue;
          }
          if (clipHorizontally) {
            lines = lines.map((line) => {
              const from = x < clip.x1! ? clip.x1! - x : 0;
              const width = stringWidth(line);
              const to = x + width > clip.x2! ? clip.x2! - x : width;
              return sliceAnsi(line, from, to);
            });
            if (x < clip.x1!) x = clip.x1!;
          }
          if (clipVertically) {
            const from = y < clip.y1! ? clip.y1! - y : 0;
            const height = lines.length;
            const to = y + height > clip.y2! ? clip.y2! - y : height;
            lines = lines.slice(from, to);
            if (y < clip.y1!) y = clip.y1!;
          }
        }
        let offsetY = 0;
        for (let [index, line] of lines.entries()) {
          const r = y + offsetY;
          // Ink skips a line with no row under it (and does not move down for it).
          if (!(Number.isInteger(r) && r >= 0 && r < this.height)) continue;
          for (const transformer of transformers) line = transformer(line, index);
          (placed[r] ??= []).push({ x, chars: styledCharsFromTokens(tokenize(line)) });
          offsetY++;
        }
      }
      const out: string[] = [];
      for (let y = 0; y < this.height; y++) out.push(rowText(y, this.width, placed[y] ?? NO_PLACEMENTS));
      return { output: out.join('\n'), height: this.height };
    }
  };
}

function samePlacements(a: Placement[], b: Placement[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.x !== b[i]!.x || a[i]!.chars !== b[i]!.chars) return false;
  return true;
}
