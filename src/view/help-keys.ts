// The help overlay is modal: while it is open a key either scrolls it, closes it, or quits; nothing
// else reaches the console behind it (a `j` that moved a hidden selection, or an `r` that opened the
// rollback question under the overlay, did things the operator could not see). Pure, so the
// controller only applies what this decides.

import type { Command } from '../console/keymap.js';

/** Where the overlay is scrolled to and how far it can go; the view model publishes it. */
export interface HelpScroll {
  offset: number;
  /** The largest offset: entries − visible rows (0 when everything fits). */
  max: number;
  /** Entries visible at once: what PgUp and PgDn move by. */
  page: number;
}

export type HelpKeyResult =
  | { kind: 'scroll'; offset: number }
  | { kind: 'close' }
  /** A key that works over the overlay too: quit, and cancel an automatic rollback. */
  | { kind: 'command'; command: Command }
  | { kind: 'ignored' };

/** The keys the overlay answers, for its title and the footer while it is open. */
export const HELP_KEY_HINTS: readonly { keys: string; label: string }[] = [
  { keys: 'j/k', label: 'scroll' },
  { keys: 'PgDn/PgUp', label: 'page' },
  { keys: 'esc/?', label: 'close' },
  { keys: 'q', label: 'quit' },
];

/**
 * What a key does while help is open. `command` is what the keymap would run for the key, so the
 * overlay follows a rebinding of the navigation keys rather than naming its own.
 */
export function helpKey(name: string, command: Command | undefined, scroll: HelpScroll): HelpKeyResult {
  const to = (offset: number): HelpKeyResult => ({ kind: 'scroll', offset: Math.max(0, Math.min(scroll.max, offset)) });
  const from = Math.min(scroll.offset, scroll.max);
  const page = Math.max(1, scroll.page - 1);
  if (command === 'help.toggle' || command === 'view.back') return { kind: 'close' };
  // Quitting, and cancelling an automatic rollback whose countdown shows above the overlay, are
  // never held back by it.
  if (command === 'app.quit' || command === 'autoRollback.cancel') return { kind: 'command', command };
  if (command === 'select.next') return to(from + 1);
  if (command === 'select.prev') return to(from - 1);
  if (name === 'pagedown' || name === 'space') return to(from + page);
  if (name === 'pageup') return to(from - page);
  if (name === 'home' || name === 'g') return to(0);
  if (name === 'end' || name === 'G') return to(scroll.max);
  return { kind: 'ignored' };
}
