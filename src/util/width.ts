// How many terminal columns text takes: string-width, the function Ink lays out with, so what the
// view model measures, what Ink draws and what the changed-cells output filter counts agree. Its
// answers are cached (a screen repeats the same glyphs every frame), with a fast path for the
// Latin text most of a screen is.

import stringWidth from 'string-width';

/** Printable ASCII and Latin-1/Latin Extended letters (not the soft hyphen): one column each. */
const NARROW = /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u02ff]*$/;
const CACHE_LIMIT = 4_096;
const cache = new Map<string, number>();
const graphemes = new Intl.Segmenter();

/** Columns a string occupies in a terminal (escape sequences count for nothing). */
export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let width = cache.get(text);
  if (width === undefined) {
    width = stringWidth(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, width);
  }
  return width;
}

/** The longest start of `text` that fits in `width` columns, cut between whole graphemes. */
export function headToWidth(text: string, width: number): string {
  if (NARROW.test(text)) return text.slice(0, Math.max(0, width));
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width) break;
    out += segment;
    used += w;
  }
  return out;
}
