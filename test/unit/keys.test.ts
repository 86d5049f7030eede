// What the keyboard sends, named as the keymap names keys: one read may hold one key, several typed
// together, or an escape sequence, and nothing in an unknown sequence may be taken for a key.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyNames } from '../../src/console/keys.js';
import { BUILTIN_KEYS } from '../../src/profile/builtin-keys.js';

describe('the keys in a read from the terminal', () => {
  it('names arrows, enter, tab, space, backspace, escape and ctrl keys', () => {
    expect(keyNames('\x1b[A')).toEqual(['up']);
    expect(keyNames('\x1bOB')).toEqual(['down']);
    expect(keyNames('\r')).toEqual(['enter']);
    expect(keyNames('\n')).toEqual(['enter']);
    expect(keyNames('\t')).toEqual(['tab']);
    expect(keyNames(' ')).toEqual(['space']);
    expect(keyNames('\x7f')).toEqual(['backspace']);
    expect(keyNames('\b')).toEqual(['backspace']);
    expect(keyNames('\x1b')).toEqual(['escape']);
    expect(keyNames('\x03')).toEqual(['ctrl+c']);
    expect(keyNames('\x04')).toEqual(['ctrl+d']);
    expect(keyNames('\x1b[5~')).toEqual(['pageup']);
    expect(keyNames('\x1b[6~')).toEqual(['pagedown']);
  });

  it('keeps the case of letters and passes other characters as themselves', () => {
    expect(keyNames('R')).toEqual(['R']);
    expect(keyNames('?')).toEqual(['?']);
    expect(keyNames('é')).toEqual(['é']);
    expect(keyNames('😀')).toEqual(['😀']);
  });

  it('splits keys that arrived together into one name each, in order', () => {
    expect(keyNames('\t ')).toEqual(['tab', 'space']);
    expect(keyNames('jj')).toEqual(['j', 'j']);
    expect(keyNames('back\r')).toEqual(['b', 'a', 'c', 'k', 'enter']);
    expect(keyNames('\x1b[Bk')).toEqual(['down', 'k']);
    expect(keyNames('\x1b\x1b')).toEqual(['escape', 'escape']);
  });

  it('takes an arrow with modifiers as the arrow', () => {
    expect(keyNames('\x1b[1;5A')).toEqual(['up']);
    expect(keyNames('\x1b[1;2B')).toEqual(['down']);
  });

  it('skips a sequence it does not know whole, rather than acting on its characters', () => {
    expect(keyNames('\x1b[15~')).toEqual([]);
    expect(keyNames('\x1b[Iq')).toEqual(['q']);
    expect(keyNames('\x1b[<0;12;5M')).toEqual([]);
    expect(keyNames('\x1bOP')).toEqual([]);
    // Alt with a key: no binding uses alt, so neither the Esc nor the key is acted on.
    expect(keyNames('\x1br')).toEqual([]);
    // Cut off in the middle: nothing of it is a key.
    expect(keyNames('\x1b[1;')).toEqual([]);
  });

  it('names no control character as itself', () => {
    for (const code of [0, 0x1c, 0x1d, 0x1e, 0x1f, 0x80, 0x9b]) expect(keyNames(String.fromCharCode(code))).toEqual([]);
  });

  it('can name every built-in key', () => {
    const sent: Record<string, string> = { up: '\x1b[A', down: '\x1b[B', tab: '\t', space: ' ', enter: '\r', escape: '\x1b', 'ctrl+c': '\x03' };
    for (const key of BUILTIN_KEYS.flatMap((b) => b.keys)) expect(keyNames(sent[key] ?? key)).toEqual([key]);
  });

  it('never throws, and never names a key from inside an escape sequence', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        const names = keyNames(input);
        for (const name of names) expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^\x1b\[[0-9;]{0,6}[A-Za-z~]$/), (sequence) => {
        expect(keyNames(sequence).length).toBeLessThanOrEqual(1);
      }),
    );
  });
});
