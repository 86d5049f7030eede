// How many terminal columns text takes: string-width (the measure terminal libraries share), so
// what the view model measures and what the frame writer counts agree. Its
// answers are cached (a screen repeats the same glyphs every frame), with a fast path for the
// Latin text most of a screen is.

import type stringWidth from 'string-width';
import { lazyModule } from './lazy-module.js';

/**
 * Characters of one column each, alone and beside one another: printable ASCII, Latin-1 and Latin
 * Extended letters (not the soft hyphen), Greek, and the runs of punctuation, arrows, mathematical
 * signs, box drawing, blocks, shapes and dingbats in which string-width finds no wide character
 * and no emoji (test/unit/width.test.ts checks every one of them against string-width). The
 * screen's own glyphs (─ │ ▁…█ ▶ ✓ ⚠ → …) are all here, so drawing it never asks string-width,
 * whose emoji expression alone took tens of milliseconds to compile before the first frame.
 */
const NARROW_CLASS =
  '\\u0020-\\u007e\\u00a0-\\u00ac\\u00ae-\\u02ff\\u0370-\\u03ff\\u2010-\\u2029\\u202f-\\u205f\\u2070-\\u20cf\\u20f1-\\u2319\\u231c-\\u2328' +
  '\\u232b-\\u23e8\\u23f4-\\u25fc\\u25ff-\\u2613\\u2616-\\u262f\\u2638-\\u2647\\u2654-\\u267e\\u2680-\\u2689\\u2694-\\u26a0\\u26a2-\\u26a9' +
  '\\u26ac-\\u26bc\\u26c6-\\u26cd\\u26d5-\\u26e9\\u270c-\\u2727\\u2729-\\u274b\\u2758-\\u2794\\u2798-\\u27af\\u27b1-\\u27be\\u27c0-\\u2b1a' +
  '\\u2b1d-\\u2b4f\\u2b56-\\u2bff';
/** Text of those characters only: as many columns as UTF-16 units. */
export const NARROW = new RegExp(`^[${NARROW_CLASS}]*$`);
const CACHE_LIMIT = 4_096;
const cache = new Map<string, number>();
/** Made on first use, like string-width: building a segmenter costs about 15 ms. */
let graphemes: Intl.Segmenter | undefined;
/**
 * Loaded on first use: evaluating string-width compiles its Unicode property expressions and builds
 * a segmenter, about 30 ms before the first frame, and a screen of Latin text never asks it.
 */
const stringWidthModule = lazyModule<{ default: typeof stringWidth }>('string-width', () => require('string-width'));

/** Columns a string occupies in a terminal (escape sequences count for nothing). */
export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let width = cache.get(text);
  if (width === undefined) {
    width = stringWidthModule().default(text);
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
  for (const { segment } of (graphemes ??= new Intl.Segmenter()).segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width) break;
    out += segment;
    used += w;
  }
  return out;
}
