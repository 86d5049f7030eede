// The console's own keys, written once. The keymap binds them (and the footer and the `?` overlay
// are read from the keymap), and the compiler refuses a profile action on any of them, or on a
// key no keypress can ever produce, with the action's file:line:col. Both sides name keys as the
// keymap's keyName reports them: `p`, `R`, `up`, `tab`, `enter`, `space`, `escape`, `ctrl+c`.

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

export type KeyGroup = 'actions' | 'navigate' | 'view' | 'console';

export interface BuiltinKey {
  command: BuiltinCommand;
  /** Key names as the keymap's keyName reports them. */
  keys: readonly string[];
  /** Shown after the keys: short in the footer, whole in the help overlay. */
  label: string;
  help: string;
  group: KeyGroup;
  /** Lower shows first in the footer; absent keeps it out of the footer. */
  footer?: number;
}

export const BUILTIN_KEYS: readonly BuiltinKey[] = [
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
  { command: 'view.back', keys: ['escape'], label: 'back', help: 'close help, enlarged chart or question; else back to the roll call', group: 'console' },
  { command: 'app.quit', keys: ['q', 'ctrl+c'], label: 'quit', help: 'quit (the terminal is restored; the rollout is not touched)', group: 'console', footer: 9 },
];

/** The roll call's commands (`rollcall watch <dir>`): the overview of every rollout. */
export type OverviewCommand = 'rollout.next' | 'rollout.prev' | 'rollout.open' | 'poll.all' | 'app.quit';

/**
 * The overview's keys. The same keys as the console's for the same ideas (j/k move, enter opens,
 * R polls, q quits), so nothing is learnt twice; profile actions have no key here (an action acts
 * on one rollout, so it runs from that rollout's console). Listed in footer order.
 */
export const OVERVIEW_KEYS: readonly { command: OverviewCommand; keys: readonly string[]; label: string }[] = [
  { command: 'rollout.next', keys: ['down', 'j'], label: 'next' },
  { command: 'rollout.prev', keys: ['up', 'k'], label: 'prev' },
  { command: 'rollout.open', keys: ['enter'], label: 'open' },
  { command: 'poll.all', keys: ['R'], label: 'poll all' },
  { command: 'app.quit', keys: ['q', 'ctrl+c'], label: 'quit' },
];

/** Actions that get a key by convention when the profile gives them none. */
export const ACTION_DEFAULT_KEYS: Readonly<Record<string, string>> = { promote: 'p', rollback: 'r' };

/** What a typed character is called once the terminal has delivered it. */
const CHARACTER_NAMES: Readonly<Record<string, string>> = {
  '\t': 'tab',
  '\r': 'enter',
  '\n': 'enter',
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\x03': 'ctrl+c',
  '\x1b': 'escape',
  ' ': 'space',
};

/** The key name a single character written in a profile arrives as (`\t` → `tab`, `x` → `x`). */
export function keyNameOf(character: string): string {
  return CHARACTER_NAMES[character] ?? character;
}

/** The built-in key a character would collide with, if any. */
export function builtinKeyOf(character: string): BuiltinKey | undefined {
  const name = keyNameOf(character);
  return BUILTIN_KEYS.find((b) => b.keys.includes(name));
}

/**
 * Why no keypress can run an action bound to this character, or undefined when one can. Control
 * characters arrive as named keys or as ctrl+<letter>, never as themselves; a lone surrogate is
 * half a character.
 */
export function unreachableKey(character: string): string | undefined {
  const code = character.codePointAt(0) ?? 0;
  if (code === 0) return 'NUL cannot be typed as a key';
  if (keyNameOf(character) === 'backspace') return 'backspace is never an action key';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `U+${code.toString(16).toUpperCase().padStart(4, '0')} is a control character, not a key`;
  if (code >= 0xd800 && code <= 0xdfff) return 'half a character (a lone surrogate) cannot be typed as a key';
  return undefined;
}

/** How a key is named in a message: `"x"`, `space`, `tab`, `ctrl+c`. */
export function describeKey(character: string): string {
  const name = keyNameOf(character);
  return name === character && name.length === 1 ? `"${character}"` : name;
}

/** The built-in keys a profile could write, for messages: `j k tab space enter [ ] f a R c ? esc q ^C`. */
export function builtinKeyList(): string {
  const shown: Record<string, string> = { escape: 'esc', 'ctrl+c': '^C' };
  return BUILTIN_KEYS.flatMap((b) => b.keys)
    .filter((k) => k !== 'up' && k !== 'down')
    .map((k) => shown[k] ?? k)
    .join(' ');
}
