// An inline trend for a table cell: the most recent values as block characters, newest on the right.

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * The last `width` values as ▁▂▃▄▅▆▇█, scaled between their own minimum and maximum and padded on
 * the left when there are fewer. A flat series sits on the floor (▁) at zero and mid-height otherwise,
 * so "steady" never looks like "climbing". Values that are not finite leave a gap.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const recent = values.slice(-width);
  const finite = recent.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const flat = finite.length === 0 || max === min;
  const cells = recent.map((v) => {
    if (!Number.isFinite(v)) return ' ';
    if (flat) return v === 0 ? BARS[0] : BARS[3];
    const level = Math.round(((v - min) / (max - min)) * (BARS.length - 1));
    return BARS[level]!;
  });
  return ' '.repeat(width - cells.length) + cells.join('');
}
