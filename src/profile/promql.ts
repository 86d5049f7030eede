// PromQL syntax, checked at load time with Prometheus' own grammar, so a typo in a query is a
// profile error pointing into the query rather than a red metric at 3 am.

import type * as LezerPromql from '@prometheus-io/lezer-promql';
import { lazyModule } from '../util/lazy-module.js';

/** Loaded on the first check: the grammar's tables cost start-up time, and many profiles hold no PromQL. */
const promql = lazyModule<typeof LezerPromql>('@prometheus-io/lezer-promql', () => require('@prometheus-io/lezer-promql'));

export interface PromQLError {
  /** Offset of the first error in the query text. */
  offset: number;
  message: string;
}

export function checkPromQL(query: string): PromQLError | undefined {
  if (query.trim() === '') return { offset: 0, message: 'the PromQL query is empty' };
  const cursor = promql().parser.parse(query).cursor();
  do {
    if (cursor.type.isError) return { offset: cursor.from, message: describeError(query, cursor.from) };
  } while (cursor.next());
  return undefined;
}

function describeError(query: string, offset: number): string {
  const rest = query.slice(offset);
  if (rest.trim() === '') return 'PromQL syntax error: the query ends too early (an operand or a closing bracket is missing)';
  const near = /^\s*(\S{1,20})/.exec(rest)![1];
  return `PromQL syntax error at "${near}"`;
}
