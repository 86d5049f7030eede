// Lines as the view model hands them to components: runs of text, each with a tone (what the
// colour means, not which colour) and attributes, and the helpers that fit them to a width.

import type { EventLevel } from '../console/console-state.js';
import { sanitizeLine } from '../util/sanitize.js';
import { ellipsize } from './format.js';
import { displayWidth } from '../util/width.js';

export type Tone = 'ok' | 'pending' | 'warn' | 'bad' | 'muted' | 'accent' | 'canary' | 'baseline' | 'title';

export interface Span {
  text: string;
  tone?: Tone;
  bold?: boolean;
  inverse?: boolean;
}

export type Line = readonly Span[];

export const LEVEL_LOOK: Record<EventLevel, { symbol: string; tone: Tone }> = {
  info: { symbol: '·', tone: 'muted' },
  ok: { symbol: '✓', tone: 'ok' },
  warn: { symbol: '!', tone: 'warn' },
  bad: { symbol: '✗', tone: 'bad' },
};

/**
 * A span: `s('2.4%', 'bad', { bold: true })`. Its text is sanitised here, before any width is
 * measured, so a control character in profile text or a reason is shown escaped and still fits.
 */
export const s = (text: string, tone?: Tone, extra?: { bold?: boolean; inverse?: boolean }): Span => ({ text: sanitizeLine(text), ...(tone ? { tone } : {}), ...extra });

export function widthOf(line: Line): number {
  return line.reduce((n, span) => n + displayWidth(span.text), 0);
}

/** Cuts a line to `width` columns, the cut marked with `…`. */
export function clip(line: Line, width: number): Line {
  if (widthOf(line) <= width) return line;
  const out: Span[] = [];
  let left = width;
  for (const span of line) {
    const w = displayWidth(span.text);
    if (w < left) {
      out.push(span);
      left -= w;
      continue;
    }
    // This span reaches the edge with more to come: it carries the ellipsis.
    out.push({ ...span, text: ellipsize(span.text, left) });
    break;
  }
  return out;
}

/** Left and right parts on one line; the left is cut first. */
export function spread(left: Line, right: Line, width: number): Line {
  const rw = widthOf(right);
  if (rw + 2 > width) return clip(left, width);
  const l = clip(left, width - rw - 1);
  return [...l, s(' '.repeat(width - widthOf(l) - rw)), ...right];
}

/** Parts joined by ` · `, dropping from the end until they fit. */
export function parts(items: Line[], width: number, sep = ' · '): Line {
  const out: Span[] = [];
  for (const item of items) {
    const next = out.length === 0 ? [...item] : [s(sep, 'muted'), ...item];
    if (widthOf(out) + widthOf(next) > width) break;
    out.push(...next);
  }
  return out.length > 0 ? out : clip(items[0] ?? [], width);
}

/** A bar of `width` cells, `fraction` of them full: █████░░░░░. */
export function gauge(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** A section's title line; ▸ marks the section that has the keys. */
export function title(text: string, focused: boolean, width: number, right?: string): Line {
  const left: Line = [s(focused ? '▸ ' : '  ', 'accent'), s(text, focused ? 'accent' : 'title', { bold: true })];
  return right ? spread(left, [s(right, 'muted')], width) : clip(left, width);
}

/** Without trailing blank spans or spaces (a terminal shows none; this keeps the model honest). */
export function trimLine(line: Span[]): Span[] {
  const out = [...line];
  while (out.length > 0 && out[out.length - 1]!.text.trim() === '') out.pop();
  const last = out[out.length - 1];
  if (last) out[out.length - 1] = { ...last, text: last.text.trimEnd() };
  return out;
}

/**
 * The same line in as few spans as possible: neighbours of one style merge, and blank gaps join
 * the span before them. Each span is a Text node and a pair of colour codes on the wire, so this
 * is less work per frame and fewer bytes per update. Every line of the model passes here on its
 * way to the terminal, so this is also the last guard: no control or bidi character gets through
 * (the poller cleans source text already; this catches profile text and anything new).
 */
export function compact(line: Line): Line {
  const out: Span[] = [];
  for (const raw of line) {
    if (raw.text === '') continue;
    const text = sanitizeLine(raw.text);
    const span = text === raw.text ? raw : { ...raw, text };
    const last = out[out.length - 1];
    const sameStyle = last && last.tone === span.tone && !!last.bold === !!span.bold && !!last.inverse === !!span.inverse;
    const blankGap = last && !last.inverse && !span.inverse && span.text.trim() === '';
    if (last && (sameStyle || blankGap)) out[out.length - 1] = { ...last, text: last.text + span.text };
    else out.push(span);
  }
  return out;
}
