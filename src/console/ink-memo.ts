// What Ink asks of its width and colour-code helpers every frame, answered from memory. Ink redraws
// its whole tree each frame: it measures every line (widest-line, string-width), tokenises its
// colour codes and turns every row of cells back into a string (@alcalzone/ansi-tokenize), though
// most lines did not change. In the bundle (src/build/ink-memo.ts), Ink's imports of those
// functions get these versions: the same answers, each distinct line worked out once, and rows
// written without diffing the styles of neighbouring cells that have the same style. Right only
// while Ink treats what they return as read-only; test/unit/ink-memo.test.ts holds Ink's files to
// the versions read for that.

import { memoize, memoizeWeak } from '../util/memo.js';

/** ansi-tokenize's types, as far as these functions use them. */
export interface AnsiCode {
  type: 'ansi';
  code: string;
  endCode: string;
}
export interface Char {
  type: 'char';
  value: string;
  fullWidth: boolean;
}
export type Token = AnsiCode | Char;
export interface StyledChar extends Char {
  styles: AnsiCode[];
}

/** Lines Ink tokenises, remembered: two generations of this many (a frame has one per row). */
const TOKENISED_LINES = 256;

/** A width function of one string, remembered; a call with options goes straight through. */
export function rememberWidth<O>(width: (text: string, options?: O) => number): (text: string, options?: O) => number {
  const remembered = memoize((text: string) => width(text));
  return (text, options) => (options === undefined && typeof text === 'string' ? remembered(text) : width(text, options));
}

/** tokenize, remembered per line. */
export function rememberTokenize(tokenize: (text: string, endChar?: number) => Token[]): (text: string, endChar?: number) => Token[] {
  const remembered = memoize((text: string) => tokenize(text), TOKENISED_LINES);
  return (text, endChar) => (endChar === undefined && typeof text === 'string' ? remembered(text) : tokenize(text, endChar));
}

/**
 * styledCharsFromTokens, remembered per token list; neighbours with the same codes share one
 * styles array, so writing the row out (below) can tell they need no codes between them.
 */
export function rememberStyledChars(fromTokens: (tokens: Token[]) => StyledChar[]): (tokens: Token[]) => StyledChar[] {
  return memoizeWeak((tokens: Token[]) => {
    const chars = fromTokens(tokens);
    for (let i = 1; i < chars.length; i++) {
      const prev = chars[i - 1]!.styles;
      const cur = chars[i]!.styles;
      if (prev.length === cur.length && cur.every((code, j) => code === prev[j])) chars[i]!.styles = prev;
    }
    return chars;
  });
}

/**
 * styledCharsToString, skipping the diff between neighbours whose styles are the same array or
 * both empty: that diff is always empty (it depends only on which codes each side holds).
 */
export function fastCharsToString(
  codesToString: (codes: AnsiCode[]) => string,
  diff: (from: AnsiCode[], to: AnsiCode[]) => AnsiCode[],
): (chars: StyledChar[]) => string {
  return (chars) => {
    let out = '';
    const last = chars.length - 1;
    for (let i = 0; i <= last; i++) {
      const char = chars[i]!;
      if (i === 0) out += codesToString(char.styles);
      else {
        const prev = chars[i - 1]!.styles;
        const cur = char.styles;
        if (prev !== cur && (prev.length > 0 || cur.length > 0)) out += codesToString(diff(prev, cur));
      }
      out += char.value;
      if (i === last && char.styles.length > 0) out += codesToString(diff(char.styles, []));
    }
    return out;
  };
}
