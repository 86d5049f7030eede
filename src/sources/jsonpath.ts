// Numbers picked out of a JSON answer by a JSONPath (http and exec sources). A path that matches
// nothing is no data; a match that is not a number is a parse error, so a renamed field shows up
// as a reason on screen instead of a quiet zero.

import type { JSONPath } from 'jsonpath-plus';
import { lazyModule } from '../util/lazy-module.js';
import type { Labels, SeriesSet } from '../engine/types.js';
import { parseSampleValue } from './exposition.js';
import { SourceError } from './source.js';
import { shortValue } from './timeout.js';
import type { PathSegment } from '../profile/issues.js';
import type { IssueReport } from './kind.js';

/** Loaded on first use: most profiles query no JSON, and it is 60 kB to compile at every start. */
const jsonpathPlus = lazyModule<{ JSONPath: typeof JSONPath }>('jsonpath-plus', () => require('jsonpath-plus'));

interface Match {
  value: unknown;
  pointer: string;
}

/**
 * One series per match: unlabelled when there is exactly one, else labelled `path` with the
 * match's JSON Pointer (`/items/2/latency`) so `select`/`reduce` can tell them apart. Numeric
 * strings count as numbers (many APIs quote them); null matches are no data.
 */
export function pickNumbers(json: unknown, path: string, t: number, where: string): SeriesSet {
  let matches: Match[];
  try {
    matches = jsonpathPlus().JSONPath({ path, json: json as object, resultType: 'all', wrap: true, eval: 'safe' }) as Match[];
  } catch (error) {
    throw new SourceError('query', `bad JSONPath ${path}: ${error instanceof Error ? error.message : String(error)} (${where})`);
  }
  const present = matches.filter((m) => m.value !== null && m.value !== undefined);
  return {
    series: present.map((m) => {
      const labels: Labels = present.length === 1 ? {} : { path: m.pointer };
      return { labels, points: [{ t, v: toNumber(m.value, path, where) }] };
    }),
  };
}

function toNumber(value: unknown, path: string, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const n = parseSampleValue(value.trim());
    if (n !== undefined) return n;
  }
  throw new SourceError('parse', `${path} matched ${shortValue(value)}, not a number (${where})`);
}

/** At compile time: the query is a JSONPath jsonpath-plus can run; `expected` says what would be. */
export function checkJsonPath(query: string, path: readonly PathSegment[], expected: string, report: IssueReport): void {
  const text = query.trim();
  if (!text.startsWith('$')) return report(path, `"${query}" is not a JSONPath; ${expected}`);
  try {
    jsonpathPlus().JSONPath({ path: text, json: {}, eval: 'safe' });
  } catch (e) {
    report(path, `"${query}" is not a valid JSONPath (${e instanceof Error ? e.message : String(e)}); ${expected}`);
  }
}
