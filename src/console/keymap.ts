// One keymap of named commands. The footer, the `?` overlay and the key handler are all read from
// it, so what the screen says a key does and what the key does cannot drift apart. The built-in
// keys come from profile/builtin-keys.ts, which the compiler reads too.

import { ACTION_DEFAULT_KEYS, BUILTIN_KEYS, type BuiltinCommand, type KeyGroup } from '../profile/builtin-keys.js';
import type { Profile } from '../profile/types.js';

export type { BuiltinCommand, KeyGroup };

/** A built-in command, or `action.<id>` for an action the profile declares. */
export type Command = BuiltinCommand | `action.${string}`;

export interface Binding {
  command: Command;
  /** Key names as console/keys.ts reports them: `p`, `R`, `up`, `tab`, `enter`, `space`, `ctrl+c`. */
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
