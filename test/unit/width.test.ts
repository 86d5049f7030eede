// One width function for everything that measures: the view's layout, truncation and the frame
// writer all count columns as string-width does, so a line the model thinks fits is one the
// writer draws on one row.

import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { displayWidth, headToWidth, NARROW } from '../../src/util/width.js';
import { truncate } from '../../src/view/format.js';

const SAMPLES = [
  'error_rate 1.2% ok',
  'café — naïve ×2 ±0%',
  '● ✓ ✗ ▁▂▃▄▅▆▇█ │ ↑↓ …',
  '検索 レイテンシ',
  '한국어 ᄀᄀ각',
  'e\u0301 a\u0308',
  'soft\u00adhyphen zero\u200bwidth',
  '👩‍👩‍👧 🇩🇪 1️⃣ ⌚',
  'ｶﾞｷﾞ ＡＢＣ',
];

describe('the width of text', () => {
  it('is what string-width says, for the glyphs a screen shows and the hard cases', () => {
    for (const text of SAMPLES) expect(displayWidth(text), text).toBe(stringWidth(text));
  });

  it('is one column for every character counted without string-width, alone, doubled and before a letter', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const c = String.fromCharCode(cp);
      if (!NARROW.test(c)) continue;
      if (stringWidth(c) !== 1 || stringWidth(c + c) !== 2 || stringWidth(`${c}x`) !== 2 || stringWidth(`x${c}`) !== 2) wrong.push(`U+${cp.toString(16)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('is what string-width says for any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => displayWidth(text) === stringWidth(text)), { numRuns: 500 });
  });

  it('is cut between whole characters, never inside an emoji sequence or before its accent', () => {
    expect(headToWidth('👩‍👩‍👧 family', 1)).toBe('');
    expect(headToWidth('👩‍👩‍👧 family', 2)).toBe('👩‍👩‍👧');
    expect(headToWidth('e\u0301tat', 1)).toBe('e\u0301');
    expect(headToWidth('検索', 3)).toBe('検');
  });

  it('truncated to a width takes at most that width, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (text, width) => displayWidth(truncate(text, width)) <= width),
      { numRuns: 500 },
    );
  });
});
