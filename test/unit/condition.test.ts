import { describe, expect, it } from 'vitest';
import { compare, parseCondition, parseCriterion } from '../../src/profile/condition.js';

const parsed = (text: string) => {
  const result = parseCondition(text);
  if ('error' in result) throw new Error(result.error);
  return result.condition;
};

describe('the rule grammar', () => {
  it('reads a literal with its unit', () => {
    expect(parsed('> 2%')).toMatchObject({ kind: 'literal', op: '>', quantity: { base: 0.02, dimension: 'fraction' } });
    expect(parsed('< 200ms')).toMatchObject({ kind: 'literal', op: '<', quantity: { base: 0.2, dimension: 'time' } });
    expect(parsed('>= 98%')).toMatchObject({ kind: 'literal', op: '>=' });
  });

  it('reads multiples and relative changes of the baseline and of the phase start', () => {
    expect(parsed('> 2x baseline')).toMatchObject({ kind: 'factor', factor: 2, ref: 'baseline' });
    expect(parsed('> +20% baseline')).toMatchObject({ kind: 'relative', percent: 20, ref: 'baseline' });
    expect(parsed('< -5% baseline')).toMatchObject({ kind: 'relative', percent: -5, op: '<' });
    expect(parsed('> +15% start')).toMatchObject({ kind: 'relative', percent: 15, ref: 'start' });
    expect(parsed('> +50ms baseline')).toMatchObject({ kind: 'delta', quantity: { base: 0.05 }, ref: 'baseline' });
  });

  it('reads counts within a window', () => {
    expect(parsed('> 5 in 1h')).toMatchObject({ kind: 'count', count: 5, windowMs: 3_600_000 });
  });

  it.each([
    ['2%', /start with a comparison/],
    ['> two', /is not a value/],
    ['> 5 in an hour', /not a duration/],
    ['> double baseline', /baseline comparison/],
  ])('explains what is wrong with %j', (text, message) => {
    const result = parseCondition(text);
    expect('error' in result && result.error).toMatch(message);
  });

  it('reads a success criterion as a metric and a condition', () => {
    const result = parseCriterion('error_rate < 0.1%');
    expect(result).toMatchObject({ metric: 'error_rate', condition: { kind: 'literal', op: '<' } });
    expect(parseCriterion('error rate is low')).toHaveProperty('error');
  });

  it('compares with every operator', () => {
    expect([compare('>', 3, 2), compare('>=', 2, 2), compare('<', 1, 2), compare('<=', 3, 2), compare('==', 2, 2), compare('!=', 2, 2)]).toEqual([
      true,
      true,
      true,
      false,
      true,
      false,
    ]);
  });
});
