// Labels for a chart's value axis. Every label on one axis is written in one scale (all in ms, or
// all in s) with one number of decimals, enough to tell neighbouring rows apart: an axis reading
// `9.99%` above `0.999%` looks like it jumps a factor of ten where it moves one step.

import type { Unit } from '../profile/units.js';

interface Scale {
  /** Display units per unit of the metric's value. */
  factor: number;
  suffix: string;
}

const STEPS: Record<'seconds' | 'bytes' | 'count', readonly (readonly [number, string])[]> = {
  // Threshold in the metric's unit from which the scale applies, largest first.
  seconds: [[7_200, 'h'], [120, 'm'], [1, 's'], [0, 'ms']],
  bytes: [[1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB'], [0, 'B']],
  count: [[1e9, 'G'], [1e6, 'M'], [1e4, 'k'], [0, '']],
};

const SIZE: Record<string, number> = { h: 3_600, m: 60, s: 1, ms: 0.001, TB: 1e12, GB: 1e9, MB: 1e6, kB: 1e3, B: 1, G: 1e9, M: 1e6, k: 1e3, '': 1 };

function scaleFor(unit: Unit, largest: number): Scale {
  switch (unit) {
    case 'ratio':
      return { factor: 100, suffix: '%' };
    case 'percent':
      return { factor: 1, suffix: '%' };
    case 'per_second':
      return { factor: 1, suffix: '/s' };
    case 'none':
      return { factor: 1, suffix: '' };
    case 'milliseconds': {
      const s = scaleFor('seconds', largest / 1_000);
      return { factor: s.factor / 1_000, suffix: s.suffix };
    }
    case 'seconds':
    case 'bytes':
    case 'count': {
      const [, suffix] = STEPS[unit].find(([from]) => largest >= from) ?? STEPS[unit][STEPS[unit].length - 1]!;
      return { factor: 1 / SIZE[suffix]!, suffix };
    }
  }
}

/** At most this many decimals, however close the rows are. */
const MAX_DECIMALS = 4;

/**
 * A formatter for the labels of an axis from `min` to `max` in `rows` rows: one scale, chosen by
 * the larger end, and as many decimals as the step between rows needs (none for a step of 1+).
 */
export function axisFormatter(min: number, max: number, rows: number, unit: Unit): (value: number) => string {
  const largest = Math.max(Math.abs(min), Math.abs(max));
  const { factor, suffix } = scaleFor(unit, largest);
  const step = (Math.abs(max - min) * factor) / Math.max(1, rows - 1);
  const decimals = step > 0 && Number.isFinite(step) ? Math.max(0, Math.min(MAX_DECIMALS, Math.ceil(-Math.log10(step)))) : 0;
  return (value) => {
    const text = (value * factor).toFixed(decimals);
    // -0.00 is 0.
    return `${/^-0(\.0+)?$/.test(text) ? text.slice(1) : text}${suffix}`;
  };
}
