// The rule grammar: the condition strings operators write in profiles.
//
//   > 2%              literal, in the literal's own unit
//   > 2x baseline     a multiple of the baseline (or of `start`, the value when the phase began)
//   > +20% baseline   relative to the baseline (or start)
//   > +50ms baseline  an absolute difference from the baseline (or start)
//   > 5 in 1h         a counter's increase within a window
//   … significant     any of these, firing only when the difference is also statistically
//                     significant (rule `confidence:`, default 95%; see engine/evidence.ts)
//
// Parsing yields a ParsedCondition; the compiler converts literals into the metric's unit.

import { parseDuration, DURATION_FORMS } from './duration.js';
import { parseQuantity, type Quantity } from './units.js';

export const COMPARATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Comparator = (typeof COMPARATORS)[number];
export type Reference = 'baseline' | 'start';

/** `significant`: written with the `significant` suffix. */
type Marked = { significant?: true };

export type ParsedCondition = Marked &
  (
    | { kind: 'literal'; op: Comparator; quantity: Quantity; text: string }
    | { kind: 'factor'; op: Comparator; factor: number; ref: Reference; text: string }
    | { kind: 'relative'; op: Comparator; percent: number; ref: Reference; text: string }
    | { kind: 'delta'; op: Comparator; quantity: Quantity; ref: Reference; text: string }
    | { kind: 'count'; op: Comparator; count: number; windowMs: number; text: string }
  );

/** A condition whose literals are already in the metric's unit; the forms without a quantity stay as parsed. */
export type Condition = Marked &
  (
    | { kind: 'literal'; op: Comparator; threshold: number; text: string }
    | { kind: 'delta'; op: Comparator; delta: number; ref: Reference; text: string }
    | Extract<ParsedCondition, { kind: 'factor' | 'relative' | 'count' }>
  );

export const CONDITION_FORMS = '"> 2%", "< 200ms", ">= 98%", "> 2x baseline", "> +20% baseline", "> +15% start", "> 5 in 1h"';

const HEAD = /^\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$/;
const FACTOR = /^(\d+(?:\.\d+)?)\s*x\s+(baseline|start)$/i;
const RELATIVE = /^([+-]\d+(?:\.\d+)?)\s*%\s+(baseline|start)$/i;
const DELTA = /^([+-]\S+)\s+(baseline|start)$/i;
const COUNT = /^(\d+(?:\.\d+)?)\s+in\s+(.+)$/i;
const SIGNIFICANT = /\s+significant\s*$/i;

export function parseCondition(text: string): { condition: ParsedCondition } | { error: string } {
  if (SIGNIFICANT.test(text)) {
    const parsed = parseBare(text.replace(SIGNIFICANT, ''), text);
    return 'error' in parsed ? parsed : { condition: { ...parsed.condition, significant: true } };
  }
  return parseBare(text, text);
}

/** `text` without the `significant` suffix; `written` is what the operator wrote, kept as the condition's text. */
function parseBare(bare: string, written: string): { condition: ParsedCondition } | { error: string } {
  const text = written;
  const head = HEAD.exec(bare);
  if (!head) {
    return { error: `"${text}" is not a condition: start with a comparison (> < >= <= == !=), e.g. ${CONDITION_FORMS}` };
  }
  const op = head[1] as Comparator;
  const rest = head[2]!;

  let m = FACTOR.exec(rest);
  if (m) return { condition: { kind: 'factor', op, factor: Number(m[1]), ref: m[2]!.toLowerCase() as Reference, text } };
  m = RELATIVE.exec(rest);
  if (m) return { condition: { kind: 'relative', op, percent: Number(m[1]), ref: m[2]!.toLowerCase() as Reference, text } };
  m = DELTA.exec(rest);
  if (m) {
    const quantity = parseQuantity(m[1]!);
    if (!quantity) return { error: `"${m[1]}" in "${text}" is not a number with a unit` };
    return { condition: { kind: 'delta', op, quantity, ref: m[2]!.toLowerCase() as Reference, text } };
  }
  m = COUNT.exec(rest);
  if (m) {
    const windowMs = parseDuration(m[2]!);
    if (windowMs === undefined || windowMs <= 0) {
      return { error: `"${m[2]}" in "${text}" is not a duration; use ${DURATION_FORMS}` };
    }
    return { condition: { kind: 'count', op, count: Number(m[1]), windowMs, text } };
  }
  const quantity = parseQuantity(rest);
  if (quantity) return { condition: { kind: 'literal', op, quantity, text } };
  if (/\b(baseline|start)\b/i.test(rest)) {
    return { error: `"${text}": write a baseline comparison as "> 2x baseline", "> +20% baseline" or "> +50ms baseline"` };
  }
  return { error: `"${rest}" in "${text}" is not a value; expected one of ${CONDITION_FORMS}` };
}

/** A success criterion: `<metric> <condition>`, e.g. `error_rate < 0.1%`. */
export function parseCriterion(text: string): { metric: string; condition: ParsedCondition } | { error: string } {
  const m = /^\s*([A-Za-z_][\w.:-]*)\s*((?:>=|<=|==|!=|>|<).*)$/.exec(text);
  if (!m) {
    return { error: `"${text}" is not a criterion: write "<metric> <condition>", e.g. "error_rate < 0.1%"` };
  }
  const parsed = parseCondition(m[2]!);
  if ('error' in parsed) return parsed;
  return { metric: m[1]!, condition: parsed.condition };
}

export function compare(op: Comparator, a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** +1 when a larger value is worse (`>`), -1 when a smaller one is (`<`), 0 for equality tests. */
export function badDirection(op: Comparator): 1 | -1 | 0 {
  if (op === '>' || op === '>=') return 1;
  if (op === '<' || op === '<=') return -1;
  return 0;
}
