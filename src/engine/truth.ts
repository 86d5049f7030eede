// A condition's truth on every sample of a series at once: FAILS, HOLDS or UNKNOWN per sample,
// worked out in one typed-array pass per operator, and the walks back from a sample over it (the
// run on which it holds, its last hold). Apart from judge.ts so the hot comparison loops and the
// tri-state they produce are read on their own, without the moment-bound view of a series.

import { compare, type Comparator } from '../profile/condition.js';

/** Per sample, whether a condition holds; UNKNOWN when it cannot be judged (no value or no reference). */
export const FAILS = 0;
export const HOLDS = 1;
export const UNKNOWN = 2;

/**
 * A condition judged on every sample. The walks back from a sample are remembered for the last
 * sample asked about: a console asks about the same latest sample until a new one arrives.
 */
export class Judged {
  private run: { at: number; from: number } | undefined;
  private hold: { at: number; last: number } | undefined;

  /** FAILS, HOLDS or UNKNOWN per sample. */
  constructor(readonly truth: Uint8Array) {}

  /** Where the run of samples on which it holds, ending at sample i, begins (-1 if it fails at i). */
  runFrom(i: number): number {
    if (this.run?.at === i) return this.run.from;
    let from = i;
    if (this.truth[i] !== HOLDS) from = -1;
    else while (from > 0 && this.truth[from - 1] === HOLDS) from--;
    this.run = { at: i, from };
    return from;
  }

  /** The last sample at or before i on which it holds (-1 if none). */
  lastHold(i: number): number {
    if (this.hold?.at === i) return this.hold.last;
    let last = i;
    while (last >= 0 && this.truth[last] !== HOLDS) last--;
    this.hold = { at: i, last };
    return last;
  }
}

/**
 * One comparison over every sample: observed[i] op (reference × scale + offset), where the
 * reference is one number or one per sample. A loop per operator keeps the hot path free of
 * dispatch, and NaN on either side is no judgement (UNKNOWN) whatever the operator.
 */
export function compareAll(op: Comparator, observed: Float64Array, reference: Float64Array | number, scale: number, offset: number): Uint8Array {
  const n = observed.length;
  const out = new Uint8Array(n);
  if (typeof reference === 'number') {
    const l = reference * scale + offset;
    if (l !== l) return out.fill(UNKNOWN);
    switch (op) {
      case '>':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a > l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '>=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a >= l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '<':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a < l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
      case '<=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          out[i] = a <= l ? HOLDS : a === a ? FAILS : UNKNOWN;
        }
        return out;
    }
  } else {
    switch (op) {
      case '>':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a > l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '>=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a >= l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '<':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a < l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
      case '<=':
        for (let i = 0; i < n; i++) {
          const a = observed[i]!;
          const l = reference[i]! * scale + offset;
          out[i] = a <= l ? HOLDS : a === a && l === l ? FAILS : UNKNOWN;
        }
        return out;
    }
  }
  // == and != are rare in profiles: the plain way.
  for (let i = 0; i < n; i++) {
    const a = observed[i]!;
    const l = (typeof reference === 'number' ? reference : reference[i]!) * scale + offset;
    out[i] = a !== a || l !== l ? UNKNOWN : compare(op, a, l) ? HOLDS : FAILS;
  }
  return out;
}
