// "Did you mean": close enough to be a typo, never a wild guess.

import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/profile/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('url', 'urll')).toBe(1);
    expect(editDistance('timout', 'timeout')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('metirc', 'metric')).toBe(1);
    expect(editDistance('fro', 'for')).toBe(1);
  });
});

describe('closest', () => {
  it('finds the key that was meant', () => {
    expect(closest('sucess', ['success', 'checklist', 'rules'])).toBe('success');
    expect(closest('Traffic', ['traffic', 'title'])).toBe('traffic');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(closest('colour', ['name', 'title', 'phases'])).toBeUndefined();
    expect(closest('x', ['q', 'promote'])).toBeUndefined();
    expect(closest('ab', ['ax'])).toBeUndefined();
    expect(closest('AB', ['ab'])).toBe('ab');
  });
});

describe('didYouMean', () => {
  it('reads as a parenthesised question, or nothing', () => {
    expect(didYouMean('eror_rate', ['error_rate', 'latency'])).toBe(' (did you mean "error_rate"?)');
    expect(didYouMean('throughput', ['error_rate', 'latency'])).toBe('');
  });
});
