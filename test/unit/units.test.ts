import { describe, expect, it } from 'vitest';
import { convert, formatValue, parseQuantity } from '../../src/profile/units.js';

const value = (literal: string, unit: Parameters<typeof convert>[1]) => {
  const q = parseQuantity(literal);
  if (!q) throw new Error(`not a quantity: ${literal}`);
  return convert(q, unit);
};

describe('threshold literals', () => {
  it.each([
    ['2%', 'ratio', 0.02],
    ['0.02', 'ratio', 0.02],
    ['2%', 'percent', 2],
    ['98', 'percent', 98],
    ['200ms', 'seconds', 0.2],
    ['2.5s', 'seconds', 2.5],
    ['2.5s', 'milliseconds', 2500],
    ['200ms', 'milliseconds', 200],
    ['1m', 'seconds', 60],
    ['1.5GB', 'bytes', 1.5e9],
    ['512MiB', 'bytes', 512 * 1024 ** 2],
    ['30/s', 'per_second', 30],
    ['120/m', 'per_second', 2],
    ['5', 'count', 5],
  ] as const)('converts %s into a %s metric as %d', (literal, unit, expected) => {
    const result = value(literal, unit);
    expect('value' in result && result.value).toBeCloseTo(expected, 9);
  });

  it.each([
    ['200ms', 'ratio'],
    ['2%', 'seconds'],
    ['1.5GB', 'milliseconds'],
    ['2%', 'count'],
    ['30/s', 'bytes'],
  ] as const)('refuses %s on a %s metric with a sentence that shows what to write', (literal, unit) => {
    const result = value(literal, unit);
    expect(result).toHaveProperty('error');
    expect('error' in result && result.error).toMatch(new RegExp(`cannot be compared with a metric in ${unit}; write`));
  });

  it('does not read words as numbers', () => {
    expect(parseQuantity('two percent')).toBeUndefined();
    expect(parseQuantity('5 minutes')).toBeUndefined();
    expect(parseQuantity('')).toBeUndefined();
  });
});

describe('values shown in their unit', () => {
  it.each([
    [0.024, 'ratio', '2.4%'],
    [0.0002, 'ratio', '0.02%'],
    [97.5, 'percent', '97.5%'],
    [0.145, 'seconds', '145ms'],
    [2.5, 'seconds', '2.5s'],
    [2500, 'milliseconds', '2.5s'],
    [12, 'milliseconds', '12ms'],
    [1.5e9, 'bytes', '1.5GB'],
    [12.34, 'per_second', '12.3/s'],
    [5, 'count', '5'],
    [25_000, 'count', '25k'],
  ] as const)('shows %d %s as %s', (n, unit, text) => {
    expect(formatValue(n, unit)).toBe(text);
  });

  it('shows a missing value as a dash, and NaN and infinities as such', () => {
    expect(formatValue(undefined, 'ratio')).toBe('—');
    expect(formatValue(Number.NaN, 'seconds')).toBe('NaN');
    expect(formatValue(Number.POSITIVE_INFINITY, 'seconds')).toBe('+Inf');
  });
});
