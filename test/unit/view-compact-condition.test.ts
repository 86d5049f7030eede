// The table's limit column at 80 columns: conditions abbreviated so they fit, never cut.

import { describe, expect, it } from 'vitest';
import { compactCondition } from '../../src/view/table.js';

describe('a condition in the limit column', () => {
  it.each([
    ['> 1%', '>1%'],
    ['> 1.5x baseline', '>1.5×b'],
    ['> 2X baseline', '>2×b'],
    ['< -5% baseline', '<-5%b'],
    ['> +50ms baseline', '>+50ms b'],
    ['> +0.2s start', '>+0.2s st'],
    ['> +30% start', '>+30%st'],
    ['<= +10% start', '<=+10%st'],
    ['> 5 in 1h', '>5/1h'],
    ['< 30% (after 1d in phase)', '<30% from 1d'],
  ])('writes %s as %s', (text, short) => {
    expect(compactCondition(text)).toBe(short);
  });
});
