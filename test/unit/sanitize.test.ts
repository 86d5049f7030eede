// The one sanitiser: whatever a source, a command or a profile sends, nothing that a terminal
// obeys or that reorders text comes out, and what was sent can still be read.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSafe, sanitizeLabels, sanitizeLine } from '../../src/util/sanitize.js';

/** Every code point the sanitiser must never let through as itself. */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Strings rich in what matters: controls, C1, bidi, escape sequences, next to ordinary text. */
const hostile = fc.array(
  fc.oneof(
    fc.string(),
    fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x2000, max: 0x206f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\x1b]0;TITLE\x07', '\x1b[2J', '\x1b]52;c;cm0gLXJmIH4=\x07', '\u202e', '\r\n', '\u009b31m'),
    fc.string({ unit: 'grapheme' }),
  ),
).map((parts) => parts.join(''));

describe('sanitizeLine', () => {
  it('never lets a C0, C1, ESC, BEL, DEL or bidi control code point through', () => {
    fc.assert(fc.property(hostile, (text) => !FORBIDDEN.test(sanitizeLine(text))), { numRuns: 2_000 });
  });

  it('leaves clean text exactly as it was', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).filter((t) => !FORBIDDEN.test(t) && !/[\u061c\u200e\u200f\u2028\u2029]/.test(t)), (text) => sanitizeLine(text) === text));
  });

  it('shows what was sent, escaped the way a programmer would write it', () => {
    expect(sanitizeLine('boom \x1b]0;TITLE\x07 \x1b[2J')).toBe('boom \\x1b]0;TITLE\\x07 \\x1b[2J');
    expect(sanitizeLine('a\u202eb\u2066c\u009bd\x7f')).toBe('a\\u202eb\\u2066c\\x9bd\\x7f');
  });

  it('keeps a label on one line: a newline inside it is shown, not obeyed', () => {
    expect(sanitizeLine('/api\nFAKE [PROMOTE] all gates green')).toBe('/api\\nFAKE [PROMOTE] all gates green');
    expect(sanitizeLine('a\r\nb\tc')).toBe('a\\r\\nb\\tc');
  });
});

describe('sanitizeLabels', () => {
  it('cleans label names and values from a source', () => {
    expect(sanitizeLabels({ 'end\x1bpoint': '/a\n[PROMOTE]' })).toEqual({ 'end\\x1bpoint': '/a\\n[PROMOTE]' });
  });
});

describe('jsonSafe', () => {
  it('escapes what JSON.stringify leaves raw, without changing the JSON value', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const json = jsonSafe(JSON.stringify({ text }));
        return !FORBIDDEN.test(json) && (JSON.parse(json) as { text: string }).text === text;
      }),
      { numRuns: 1_000 },
    );
  });
});
