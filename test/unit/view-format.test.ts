import { describe, expect, it } from 'vitest';
import { ellipsize, fit, formatCountdown, formatElapsed, formatPercentChange, truncate } from '../../src/view/format.js';
import { displayWidth } from '../../src/util/width.js';
import { sparkline } from '../../src/view/sparkline.js';

describe('text that fits a cell', () => {
  it('cuts long text with an ellipsis and never past the width', () => {
    expect(truncate('connection refused (127.0.0.1:9090)', 12)).toBe('connection …');
    expect(displayWidth(truncate('connection refused', 12))).toBeLessThanOrEqual(12);
    expect(truncate('short', 12)).toBe('short');
  });

  it('counts wide characters as two columns', () => {
    expect(displayWidth('監視')).toBe(4);
    expect(displayWidth(truncate('監視ダッシュボード', 7))).toBeLessThanOrEqual(7);
  });

  it('shows control characters from a source message as spaces so they cannot move the cursor', () => {
    expect(truncate('bad\x1b[2Jthing\nnext', 40)).not.toMatch(/[\x00-\x1f]/);
  });

  it('pads to an exact width, numbers to the right', () => {
    expect(fit('12', 5, 'right')).toBe('   12');
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdefgh', 5)).toBe('abcd…');
  });

  it('ends text cut short by what follows with an ellipsis even when it would just fit', () => {
    expect(ellipsize('abcd', 4)).toBe('abc…');
  });
});

describe('coarse time', () => {
  it('shows time in phase by the minute so the screen does not change every second', () => {
    expect(formatElapsed(59_000)).toBe('<1m');
    expect(formatElapsed(61_000)).toBe('1m');
    expect(formatElapsed(6 * 3_600_000 + 59_000)).toBe('6h');
    expect(formatElapsed(26 * 3_600_000)).toBe('1d2h');
  });

  it('counts down in whole seconds, rounding up so 0s means now', () => {
    expect(formatCountdown(4 * 60_000 + 11_200)).toBe('4m12s');
    expect(formatCountdown(0)).toBe('0s');
    expect(formatCountdown(-5)).toBe('0s');
  });

  it('signs a relative change', () => {
    expect(formatPercentChange(0.35)).toBe('+35%');
    expect(formatPercentChange(-0.034)).toBe('-3.4%');
    expect(formatPercentChange(0)).toBe('±0%');
  });
});

describe('sparkline', () => {
  it('draws the newest values on the right, scaled between their own extremes', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0, 7], 4)).toBe('  ▁█');
  });

  it('keeps only as many values as fit', () => {
    expect(sparkline([9, 9, 9, 0, 1], 2)).toBe('▁█');
  });

  it('draws a steady series level, on the floor at zero', () => {
    expect(sparkline([5, 5, 5], 3)).toBe('▄▄▄');
    expect(sparkline([0, 0], 2)).toBe('▁▁');
  });

  it('leaves a gap for a value that is not a number', () => {
    expect(sparkline([1, Number.NaN, 2], 3)).toBe('▁ █');
  });
});
