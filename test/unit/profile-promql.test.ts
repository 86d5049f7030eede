// PromQL syntax as Prometheus' own grammar sees it, with the offset of the first mistake.

import { describe, expect, it } from 'vitest';
import { checkPromQL } from '../../src/profile/promql.js';

describe('checkPromQL', () => {
  it('accepts the queries operators write', () => {
    for (const q of [
      'up',
      'sum(rate(http_requests_total{status=~"5..",track="canary"}[5m])) / sum(rate(http_requests_total{track="canary"}[5m]))',
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
      'max_over_time(queue_depth[10m] offset 1h)',
      'sum without (instance) (rate(x[1m])) > bool 0',
    ]) {
      expect(checkPromQL(q), q).toBeUndefined();
    }
  });

  it('points at the token where the query goes wrong', () => {
    expect(checkPromQL('up == == 1')).toEqual({ offset: 6, message: 'PromQL syntax error at "=="' });
    expect(checkPromQL('foo bar')).toEqual({ offset: 4, message: 'PromQL syntax error at "bar"' });
  });

  it('says when the query stops before it is complete', () => {
    expect(checkPromQL('sum(rate(x[5m])')).toEqual({
      offset: 15,
      message: 'PromQL syntax error: the query ends too early (an operand or a closing bracket is missing)',
    });
  });

  it('refuses an empty query', () => {
    expect(checkPromQL('  ')).toEqual({ offset: 0, message: 'the PromQL query is empty' });
  });
});
