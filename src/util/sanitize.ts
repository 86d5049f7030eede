// The one sanitiser for text from outside (source answers and errors, label values, command
// output, profile text). A terminal obeys control characters: ESC starts sequences that set the
// window title, clear the screen or write the clipboard (OSC 52); C1 controls (U+0080–U+009F) are
// the same introducers in one code point; BEL, DEL and bidi overrides or isolates make a line read
// differently from what it says. Each of them is shown escaped (`\x1b`, `\u202e`), so the text is
// harmless and still tells what the source sent. Text passes here where it enters (the poller)
// and again where it leaves (screen, check and report, notifiers, action output): one function,
// so the two can never disagree.

/**
 * Code points that must never reach a terminal, a report or a notifier as themselves: C0, DEL,
 * C1, the bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+061C, U+200E,
 * U+200F), and the Unicode line and paragraph separators, which some viewers break lines at.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ANY_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `\x1b`, `\u202e`: the code point written out, the way a programmer would type it. */
function escaped(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of outside text, safe anywhere: every control (newlines and tabs included), DEL, C1
 * and bidi control escaped. For labels, reasons, notes, a table cell, a report line.
 */
export function sanitizeLine(text: string): string {
  return ANY_UNSAFE.test(text) ? text.replace(UNSAFE, escaped) : text;
}

/** Whether a text has anything sanitizeLine would escape. */
export function isClean(text: string): boolean {
  return !ANY_UNSAFE.test(text);
}

/** Labels with keys and values sanitised, for label sets that came from a source. */
export function sanitizeLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  let dirty = false;
  for (const [k, v] of Object.entries(labels)) {
    if (!isClean(k) || !isClean(v)) {
      dirty = true;
      break;
    }
  }
  if (!dirty) return { ...labels };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[sanitizeLine(k)] = sanitizeLine(v);
  return out;
}

/** Code points JSON.stringify leaves as they are that a terminal would still obey or reorder. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with those written as `\uXXXX` escapes: the same JSON value, safe to print. */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The longest label value `check` and `report` print, in columns, as the console cuts one. */
export const MAX_LABEL_COLUMNS = 40;
