import { describe, expect, it } from 'vitest';
import { shape } from '../../src/engine/shape.js';
import type { SeriesSet } from '../../src/engine/types.js';
import type { Metric } from '../../src/profile/types.js';

function metric(over: Partial<Metric> = {}): Metric {
  return {
    id: 'error_rate',
    title: 'error rate',
    source: 'db',
    query: 'select …',
    unit: 'ratio',
    intervalMs: 5_000,
    timeoutMs: 5_000,
    windowMs: 3_600_000,
    chart: false,
    capacity: 100,
    ...over,
  };
}

const series = (labels: Record<string, string>, ...values: Array<[number, number]>) => ({
  labels,
  points: values.map(([t, v]) => ({ t, v })),
});

const answer = (...s: SeriesSet['series']): SeriesSet => ({ series: s });

describe('shaping an answer', () => {
  it('passes a single series through as the one group', () => {
    expect(shape(answer(series({ job: 'api' }, [1, 0.5], [2, 0.6])), metric(), 'canary')).toEqual({
      groups: new Map([['', [{ t: 1, v: 0.5 }, { t: 2, v: 0.6 }]]]),
    });
  });

  it('treats an answer without series as no data, not an error', () => {
    expect(shape(answer(), metric(), 'canary')).toEqual({ groups: new Map() });
  });

  it('refuses to pick one of several series and says what to add', () => {
    const set = answer(series({ pod: 'a' }, [1, 1]), series({ pod: 'b' }, [1, 2]), series({ pod: 'c' }, [1, 3]));
    expect(shape(set, metric(), 'canary')).toEqual({ error: '3 series answered; add select:, reduce: or split: to metric error_rate' });
  });

  it('picks the series whose labels match select', () => {
    const set = answer(series({ track: 'canary' }, [1, 0.02]), series({ track: 'stable' }, [1, 0.01]));
    expect(shape(set, metric({ select: { track: 'canary' } }), 'canary')).toEqual({ groups: new Map([['', [{ t: 1, v: 0.02 }]]]) });
  });

  it('reads a select baseline from the same answer as the canary', () => {
    const set = answer(series({ track: 'canary' }, [1, 0.02]), series({ track: 'stable' }, [1, 0.01]));
    const m = metric({ select: { track: 'canary' }, baseline: { kind: 'select', labels: { track: 'stable' } } });
    expect(shape(set, m, 'baseline')).toEqual({ groups: new Map([['', [{ t: 1, v: 0.01 }]]]) });
  });

  it('says so when select matched none of the series answered', () => {
    const set = answer(series({ track: 'blue' }, [1, 1]), series({ track: 'green' }, [1, 2]));
    expect(shape(set, metric({ select: { track: 'canary' } }), 'canary')).toEqual({
      groups: new Map(),
      note: 'no series matched {track="canary"} (2 series answered)',
    });
  });

  it.each([
    ['sum', [6, 10]],
    ['avg', [2, 5]],
    ['min', [1, 5]],
    ['max', [3, 5]],
  ] as const)('reduces several series by %s per timestamp', (reduce, expected) => {
    const set = answer(series({ pod: 'a' }, [1, 1], [2, 5]), series({ pod: 'b' }, [1, 2]), series({ pod: 'c' }, [1, 3], [2, 5]));
    const shaped = shape(set, metric({ reduce }), 'canary');
    expect(shaped).toEqual({
      groups: new Map([['', [{ t: 1, v: expected[0] }, { t: 2, v: expected[1] }]]]),
      note: `3 series; reduced by ${reduce}`,
    });
  });

  it('splits by a label into one group per value', () => {
    const set = answer(series({ endpoint: '/farms' }, [1, 0.1]), series({ endpoint: '/orders' }, [1, 0.2]));
    const shaped = shape(set, metric({ split: 'endpoint' }), 'canary');
    expect(shaped).toEqual({ groups: new Map([['/farms', [{ t: 1, v: 0.1 }]], ['/orders', [{ t: 1, v: 0.2 }]]]) });
  });

  it('refuses a split group with several series unless told how to reduce them', () => {
    const set = answer(series({ endpoint: '/farms', pod: 'a' }, [1, 1]), series({ endpoint: '/farms', pod: 'b' }, [1, 2]));
    expect(shape(set, metric({ split: 'endpoint' }), 'canary')).toEqual({
      error: '2 series answered for endpoint=/farms; add select: or reduce: to metric error_rate',
    });
    expect(shape(set, metric({ split: 'endpoint', reduce: 'max' }), 'canary')).toEqual({
      groups: new Map([['/farms', [{ t: 1, v: 2 }]]]),
      note: '2 series in 1 group; reduced by max',
    });
  });

  it('drops NaN and infinite values and notes how many', () => {
    const set = answer(series({}, [1, Number.NaN], [2, 0.5], [3, Number.POSITIVE_INFINITY]));
    expect(shape(set, metric(), 'canary')).toEqual({ groups: new Map([['', [{ t: 2, v: 0.5 }]]]), note: '2 non-finite values dropped' });
  });

  it('does not let a NaN in one series poison a sum', () => {
    const set = answer(series({ pod: 'a' }, [1, Number.NaN]), series({ pod: 'b' }, [1, 2]));
    const shaped = shape(set, metric({ reduce: 'sum' }), 'canary');
    expect('groups' in shaped && shaped.groups.get('')).toEqual([{ t: 1, v: 2 }]);
  });

  it('puts points in time order and keeps the source warnings as the note', () => {
    const set: SeriesSet = { series: [series({}, [3, 3], [1, 1], [2, 2])], warnings: ['PromQL info: metric might not be a counter'] };
    expect(shape(set, metric(), 'canary')).toEqual({
      groups: new Map([['', [{ t: 1, v: 1 }, { t: 2, v: 2 }, { t: 3, v: 3 }]]]),
      note: 'PromQL info: metric might not be a counter',
    });
  });
});
