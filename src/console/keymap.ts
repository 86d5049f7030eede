// One keymap of named commands. The footer, the `?` overlay and the key handler are all read from
// it, so what the screen says a key does and what the key does cannot drift apart.

import type { Profile } from '../profile/types.js';

export type BuiltinCommand =
  | 'select.next'
  | 'select.prev'
  | 'pane.next'
  | 'chart.enlarge'
  | 'chart.wider'
  | 'chart.narrower'
  | 'checklist.toggle'
  | 'screen.freeze'
  | 'poll.now'
  | 'sources.ages'
  | 'autoRollback.cancel'
  | 'help.toggle'
  | 'view.back'
  | 'app.quit';

/** A built-in command, or `action.<id>` for an action the profile declares. */
export type Command = BuiltinCommand | `action.${string}`;

export type KeyGroup = 'actions' | 'navigate' | 'view' | 'console';

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

const CONTROL: Record<string, string> = { '\t': 'tab', '\r': 'enter', '\n': 'enter', '\x7f': 'backspace', '\b': 'backspace', '\x03': 'ctrl+c', '\x1b': 'escape', ' ': 'space' };

/**
 * Key names for a chunk of input that holds several keys (keys typed faster than the link
 * delivers them arrive together over SSH, and Ink hands them over as one string).
 */
export function splitKeys(chunk: string): string[] {
  // An escape sequence Ink did not recognise (it strips the ESC): not keys to act on.
  if (/^(\[|O)[\d;]*[A-Za-z~]$/.test(chunk)) return [];
  return Array.from(chunk.replace(/\x1b\[([ABCD])/g, (_, c: string) => `\u0000${c}`))
    .map((ch, i, all) => (ch === '\u0000' ? '' : all[i - 1] === '\u0000' ? ARROW[ch]! : (CONTROL[ch] ?? ch)))
    .filter((name) => name !== '' && !/^[\u0000-\u001f]$/.test(name));
}

const ARROW: Record<string, string> = { A: 'up', B: 'down', C: 'right', D: 'left' };

const GLYPH: Record<string, string> = { up: '↑', down: '↓', enter: 'enter', tab: 'tab', space: 'space', escape: 'esc', 'ctrl+c': '^C' };

/** How keys are written on screen: `↑/k`, `^C`. */
export function keyLabel(keys: readonly string[]): string {
  return keys.map((k) => GLYPH[k] ?? k).join('/');
}

const BUILTIN: Binding[] = [
  { command: 'select.next', keys: ['down', 'j'], label: 'next', help: 'select the next metric (or checklist item, log line)', group: 'navigate' },
  { command: 'select.prev', keys: ['up', 'k'], label: 'prev', help: 'select the previous metric (or checklist item, log line)', group: 'navigate' },
  { command: 'pane.next', keys: ['tab'], label: 'pane', help: 'move between the metrics, the checklist and the event log', group: 'navigate', footer: 6 },
  { command: 'checklist.toggle', keys: ['space'], label: 'tick', help: 'tick or untick the selected checklist item (audited)', group: 'navigate' },
  { command: 'chart.enlarge', keys: ['enter'], label: 'chart', help: "enlarge the selected metric's chart (again to shrink)", group: 'view', footer: 3 },
  { command: 'chart.narrower', keys: ['['], label: 'shorter', help: 'chart a shorter time window', group: 'view' },
  { command: 'chart.wider', keys: [']'], label: 'longer', help: 'chart a longer time window', group: 'view' },
  { command: 'screen.freeze', keys: ['f'], label: 'freeze', help: 'freeze the screen (polling and judging go on)', group: 'view', footer: 5 },
  { command: 'sources.ages', keys: ['a'], label: 'ages', help: 'show how old each source’s data is', group: 'view' },
  { command: 'poll.now', keys: ['R'], label: 'poll', help: 'poll every metric now', group: 'console', footer: 4 },
  { command: 'autoRollback.cancel', keys: ['c'], label: 'cancel auto', help: 'cancel an automatic rollback countdown (audited)', group: 'console' },
  { command: 'help.toggle', keys: ['?'], label: 'help', help: 'show or hide this help', group: 'console', footer: 8 },
  { command: 'view.back', keys: ['escape'], label: 'back', help: 'close the help, the enlarged chart or a question', group: 'console' },
  { command: 'app.quit', keys: ['q', 'ctrl+c'], label: 'quit', help: 'quit (the terminal is restored; the rollout is not touched)', group: 'console', footer: 9 },
];

const ACTION_DEFAULT_KEY: Record<string, string> = { promote: 'p', rollback: 'r' };

/** The built-in bindings plus one per profile action that has (or by convention gets) a key. */
export function buildKeymap(profile: Pick<Profile, 'actions'>): Keymap {
  const bindings = BUILTIN.map((b) => ({ ...b, keys: [...b.keys] }));
  const taken = new Map<string, Command>();
  for (const b of bindings) for (const k of b.keys) taken.set(k, b.command);
  const conflicts: string[] = [];
  const actions = Object.values(profile.actions);
  // promote and rollback first, so they lead the footer.
  actions.sort((a, b) => rank(a.id) - rank(b.id));
  for (const action of actions) {
    const key = action.key ?? ACTION_DEFAULT_KEY[action.id];
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
