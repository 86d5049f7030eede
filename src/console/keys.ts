// What the keyboard sent, as key names: one read from the terminal holds one key, or several when
// they were typed faster than an SSH link delivers them, or pasted. Names are what the keymap and
// the profile compiler use (`p`, `R`, `up`, `tab`, `enter`, `space`, `escape`, `ctrl+c`).
//
// Node's readline has a keypress decoder, but it holds a lone Esc for 500 ms in case more of a
// sequence follows; here Esc is "back" and "cancel the countdown", so a read that is only ESC is
// the Esc key at once, as in Ink and blessed. A sequence this does not know (a function key, a
// focus or mouse report) is skipped whole: its characters are never taken for keys.

import { keyNameOf } from '../profile/builtin-keys.js';

const ESC = '\x1b';

/** CSI and SS3 sequences (parameters dropped: ctrl+↑ is ↑) that name a key the console knows. */
const SEQUENCE_NAMES: Readonly<Record<string, string>> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  '5~': 'pageup',
  '6~': 'pagedown',
  // Delete is taken as backspace (a typed confirmation has no cursor to delete under).
  '3~': 'backspace',
  // Shift-tab moves between panes like tab.
  Z: 'tab',
  H: 'home',
  F: 'end',
  '1~': 'home',
  '4~': 'end',
};

/** The key names in one read from the terminal, in the order typed. */
export function keyNames(input: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < input.length) {
    if (input[i] === ESC) {
      const { name, length } = escapeSequence(input, i);
      if (name) names.push(name);
      i += length;
      continue;
    }
    const character = String.fromCodePoint(input.codePointAt(i)!);
    i += character.length;
    const name = characterName(character);
    if (name) names.push(name);
  }
  return names;
}

/** A character outside any escape sequence: itself, a named key, ctrl+letter, or nothing. */
function characterName(character: string): string | undefined {
  const named = keyNameOf(character);
  if (named !== character) return named;
  const code = character.codePointAt(0)!;
  // Ctrl with a letter sends 1–26; tab, enter and backspace among them are named above.
  if (code >= 1 && code <= 26) return `ctrl+${String.fromCharCode(code + 96)}`;
  // Other C0 and C1 controls are no key.
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return undefined;
  return character;
}

/** The escape sequence at `at`: the key it names (if one the console knows) and its length. */
function escapeSequence(input: string, at: number): { name: string | undefined; length: number } {
  const next = input[at + 1];
  // ESC alone, or ESC before another ESC: the Esc key.
  if (next === undefined || next === ESC) return { name: 'escape', length: 1 };
  if (next === '[') {
    // CSI: parameter bytes 0x30–0x3f, intermediate bytes 0x20–0x2f, one final byte 0x40–0x7e.
    let end = at + 2;
    while (end < input.length && input.charCodeAt(end) >= 0x30 && input.charCodeAt(end) <= 0x3f) end++;
    while (end < input.length && input.charCodeAt(end) >= 0x20 && input.charCodeAt(end) <= 0x2f) end++;
    const final = input.charCodeAt(end);
    if (!(final >= 0x40 && final <= 0x7e)) return { name: undefined, length: input.length - at };
    const params = input.slice(at + 2, end);
    const finalChar = input[end]!;
    // Modifiers (`1;5A`) do not change which key it is; `5~`, `3~` are the key's own number.
    const key = finalChar === '~' ? `${params.split(';')[0]}~` : finalChar;
    return { name: SEQUENCE_NAMES[key], length: end + 1 - at };
  }
  if (next === 'O') {
    // SS3: arrows and home/end in the terminal's application mode.
    const final = input[at + 2];
    return { name: final === undefined ? undefined : SEQUENCE_NAMES[final], length: Math.min(3, input.length - at) };
  }
  // Alt with a key: no binding uses alt, and acting on the key alone would surprise.
  return { name: undefined, length: 1 + String.fromCodePoint(input.codePointAt(at + 1)!).length };
}
