// Text that fits: display width, truncation with an ellipsis, padding, and the coarse time forms
// the console shows. Coarse on purpose: a screen that only changes when something an operator
// would notice changes costs no bytes over SSH between polls.

import { formatDuration } from '../profile/duration.js';
import { displayWidth, headToWidth } from '../util/width.js';

/** At most `width` columns; a cut ends in `…` so nothing is ever silently chopped mid-word. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const clean = visible(text);
  if (displayWidth(clean) <= width) return clean;
  return headToWidth(clean, width - 1) + '…';
}

/** Control characters from a source's error message would move the cursor: make them visible. */
function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** At most `width` columns, always ending in `…`: for text cut short by what follows it. */
export function ellipsize(text: string, width: number): string {
  if (width <= 0) return '';
  return headToWidth(visible(text), width - 1) + '…';
}

/** Exactly `width` columns: truncated, then padded on the right (or left for numbers). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - displayWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

/** Elapsed time at minute resolution: `<1m`, `5m`, `2h5m`, `2d3h`. */
export function formatElapsed(ms: number): string {
  if (ms < 60_000) return '<1m';
  return formatDuration(Math.floor(ms / 60_000) * 60_000);
}

/**
 * Time spent towards a duration, in the duration's own unit: `12s` of 20s (not `<1m`), `5m` of 2h.
 * Seconds only for durations that are written in seconds, so a long phase's header still changes
 * once a minute.
 */
export function formatElapsedOf(ms: number, durationMs: number): string {
  if (durationMs < 60_000 || durationMs % 60_000 !== 0) return formatDuration(Math.max(0, Math.floor(ms / 1_000)) * 1_000);
  return formatElapsed(ms);
}

/** `12s of 20s`, or once the duration is reached `4m, 20s minimum met`. */
export function formatProgress(elapsedMs: number, durationMs: number): string {
  if (elapsedMs >= durationMs) return `${formatElapsed(elapsedMs)}, ${formatDuration(durationMs)} minimum met`;
  return `${formatElapsedOf(elapsedMs, durationMs)} of ${formatDuration(durationMs)}`;
}

/** A countdown at second resolution: `4m12s`, `9s`. */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return '0s';
  return formatDuration(Math.ceil(ms / 1_000) * 1_000);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Wall-clock time of day, local: `14:05`. */
export function formatClock(t: number): string {
  const d = new Date(t);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Wall-clock time of day with seconds, local: `14:05:09`. */
export function formatClockSeconds(t: number): string {
  const d = new Date(t);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A signed percentage for a delta column: `+12%`, `-3.4%`, `±0%`. */
export function formatPercentChange(rel: number): string {
  if (!Number.isFinite(rel)) return rel > 0 ? '+∞' : rel < 0 ? '-∞' : '—';
  const pct = rel * 100;
  if (Math.abs(pct) < 0.05) return '±0%';
  const abs = Math.abs(pct);
  const digits = abs >= 10 ? 0 : 1;
  return `${pct > 0 ? '+' : '-'}${Number(abs.toFixed(digits))}%`;
}
