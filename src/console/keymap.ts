// One keymap of named commands. The footer, the `?` overlay and the key handler are all read from
// it, so what the screen says a key does and what the key does cannot drift apart. The built-in
// keys come from profile/builtin-keys.ts, which the compiler reads too.

import { ACTION_DEFAULT_KEYS, BUILTIN_KEYS, keyNameOf, type BuiltinCommand, type KeyGroup } from '../profile/builtin-keys.js';
import type { Profile } from '../profile/types.js';

export type { BuiltinCommand, KeyGroup };

/** A built-in command, or `action.<id>` for an action the profile declares. */
export type Command = BuiltinCommand | `action.${string}`;

export interface Binding {
  command: Command;
  /** Key names as `keyName` reports them: `p`, `R`, `up`, `tab`, `enter`, `space`, `ctrl+c`. */
  keys: string[];
  /** Shown after the keys: short in the footer, whole in the help overlay. */
  label: string;
  help: string;
  group: KeyGroup;
  /** Lower shows first in the footer; absent keeps it out of the footer. */
  footer?: number;
}

export interface Keymap {
  bindings: readonly Binding[];
  /** Profile action keys that a built-in key already takes, as sentences for the event log. */
  conflicts: readonly string[];
  resolve(key: string): Command | undefined;
}

/** The subset of a keypress the keymap needs (Ink's `Key` fits it). */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  shift?: boolean;
}

/** The name of what was pressed: the character itself, or `up`, `tab`, `enter`, `ctrl+c` … */
export function keyName(input: string, key: KeyPress): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl) return `ctrl+${input}`;
  if (input === ' ') return 'space';
  return input;
}

/**
 * Key names for a chunk of input that holds several keys (keys typed faster than the link
 * delivers them arrive together over SSH, and Ink hands them over as one string).
 */
export function splitKeys(chunk: string): string[] {
  // An escape sequence Ink did not recognise (it strips the ESC): not keys to act on.
  if (/^(\[|O)[\d;]*[A-Za-z~]$/.test(chunk)) return [];
  return Array.from(chunk.replace(/\x1b\[([ABCD])/g, (_, c: string) => `\u0000${c}`))
    .map((ch, i, all) => (ch === '\u0000' ? '' : all[i - 1] === '\u0000' ? ARROW[ch]! : keyNameOf(ch)))
    .filter((name) => name !== '' && !/^[\u0000-\u001f]$/.test(name));
}

const ARROW: Record<string, string> = { A: 'up', B: 'down', C: 'right', D: 'left' };

const GLYPH: Record<string, string> = { up: '↑', down: '↓', enter: 'enter', tab: 'tab', space: 'space', escape: 'esc', 'ctrl+c': '^C' };

/** How keys are written on screen: `↑/k`, `^C`. */
export function keyLabel(keys: readonly string[]): string {
  return keys.map((k) => GLYPH[k] ?? k).join('/');
}

/**
 * The built-in bindings plus one per profile action that has (or by convention gets) a key. In a
 * roll call (`rollcall watch <dir>`) esc also leads back to the overview, and the footer says so.
 */
export function buildKeymap(profile: Pick<Profile, 'actions'>, opts: { rollcall?: boolean } = {}): Keymap {
  const bindings: Binding[] = BUILTIN_KEYS.map((b) =>
    opts.rollcall && b.command === 'view.back' ? { ...b, keys: [...b.keys], label: 'overview', footer: 2.5 } : { ...b, keys: [...b.keys] },
  );
  const taken = new Map<string, Command>();
  for (const b of bindings) for (const k of b.keys) taken.set(k, b.command);
  const conflicts: string[] = [];
  const actions = Object.values(profile.actions);
  // promote and rollback first, so they lead the footer.
  actions.sort((a, b) => rank(a.id) - rank(b.id));
  for (const action of actions) {
    const key = action.key ?? ACTION_DEFAULT_KEYS[action.id];
    if (key === undefined) continue;
    const owner = taken.get(key);
    if (owner) {
      conflicts.push(`action ${action.id}: key ${key} is already ${owner}; the action has no key here`);
      continue;
    }
    const command: Command = `action.${action.id}`;
    taken.set(key, command);
    bindings.push({
      command,
      keys: [key],
      label: action.id,
      help: action.title === action.id ? `run ${action.id}` : `${action.title} (${action.id})`,
      group: 'actions',
      footer: rank(action.id),
    });
  }
  return {
    bindings,
    conflicts,
    resolve: (key) => taken.get(key),
  };
}

function rank(id: string): number {
  return id === 'promote' ? 0 : id === 'rollback' ? 1 : 2;
}
