// Units of metrics and of threshold literals. A literal carries its own unit (`2%`, `200ms`,
// `1.5GB`) and is converted into the metric's unit once, at load time; a literal that cannot be
// converted is a profile error, never a silently wrong comparison.

export const UNITS = ['ratio', 'percent', 'seconds', 'milliseconds', 'bytes', 'count', 'per_second', 'none'] as const;
export type Unit = (typeof UNITS)[number];

/** What a literal measures, judged from its suffix alone. */
export type Dimension = 'plain' | 'fraction' | 'time' | 'bytes' | 'rate';

export interface Quantity {
  /** The number in the literal's base: fraction 0..1, time in seconds, bytes, per second, or plain. */
  base: number;
  dimension: Dimension;
  text: string;
}

const TIME: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3_600 };
const BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};
const RATE: Record<string, number> = { '/s': 1, '/m': 1 / 60, '/h': 1 / 3_600 };

const LITERAL = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(%|ms|s|m|h|b|kb|mb|gb|tb|kib|mib|gib|tib|\/s|\/m|\/h)?$/i;

export function parseQuantity(text: string): Quantity | undefined {
  const m = LITERAL.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  const suffix = (m[2] ?? '').toLowerCase();
  if (suffix === '') return { base: n, dimension: 'plain', text };
  if (suffix === '%') return { base: n / 100, dimension: 'fraction', text };
  if (suffix in TIME) return { base: n * TIME[suffix]!, dimension: 'time', text };
  if (suffix in BYTES) return { base: n * BYTES[suffix]!, dimension: 'bytes', text };
  return { base: n * RATE[suffix]!, dimension: 'rate', text };
}

const ACCEPTS: Record<Unit, Dimension[]> = {
  ratio: ['plain', 'fraction'],
  percent: ['plain', 'fraction'],
  seconds: ['plain', 'time'],
  milliseconds: ['plain', 'time'],
  bytes: ['plain', 'bytes'],
  count: ['plain'],
  per_second: ['plain', 'rate'],
  none: ['plain'],
};

const EXAMPLE: Record<Unit, string> = {
  ratio: '2% or 0.02',
  percent: '2% or 2',
  seconds: '200ms or 0.2',
  milliseconds: '200ms or 2.5s',
  bytes: '1.5GB or 512MiB',
  count: 'a plain number such as 5',
  per_second: '30/s',
  none: 'a plain number',
};

/** The literal in the metric's unit, or a sentence saying why it cannot be converted. */
export function convert(q: Quantity, unit: Unit): { value: number } | { error: string } {
  if (!ACCEPTS[unit].includes(q.dimension)) {
    return { error: `"${q.text.trim()}" cannot be compared with a metric in ${unit}; write ${EXAMPLE[unit]}` };
  }
  if (q.dimension === 'plain') return { value: q.base };
  switch (unit) {
    case 'percent':
      return { value: q.base * 100 };
    case 'milliseconds':
      return { value: q.base * 1_000 };
    default:
      return { value: q.base };
  }
}

function trim(n: number, digits: number): string {
  return Number(n.toFixed(digits)).toString();
}

function significant(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 100) return trim(n, 0);
  if (abs >= 10) return trim(n, 1);
  if (abs >= 1) return trim(n, 2);
  return trim(n, 3);
}

function formatSeconds(s: number): string {
  const abs = Math.abs(s);
  if (abs === 0) return '0s';
  if (abs < 1) return `${significant(s * 1_000)}ms`;
  if (abs < 120) return `${significant(s)}s`;
  if (abs < 7_200) return `${significant(s / 60)}m`;
  return `${significant(s / 3_600)}h`;
}

function formatBytes(b: number): string {
  const abs = Math.abs(b);
  for (const [suffix, size] of [['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) {
    if (abs >= size) return `${significant(b / size)}${suffix}`;
  }
  return `${significant(b)}B`;
}

function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${significant(n / 1e9)}G`;
  if (abs >= 1e6) return `${significant(n / 1e6)}M`;
  if (abs >= 1e4) return `${significant(n / 1e3)}k`;
  return Number.isInteger(n) ? String(n) : significant(n);
}

/** A value in its unit, short enough for a table cell: 2.4%, 145ms, 1.5GB, 12/s. */
export function formatValue(value: number | undefined | null, unit: Unit): string {
  if (value === undefined || value === null) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 'ratio':
      return `${significant(value * 100)}%`;
    case 'percent':
      return `${significant(value)}%`;
    case 'seconds':
      return formatSeconds(value);
    case 'milliseconds':
      return formatSeconds(value / 1_000);
    case 'bytes':
      return formatBytes(value);
    case 'per_second':
      return `${significant(value)}/s`;
    case 'count':
      return formatCount(value);
    case 'none':
      return significant(value);
  }
}
