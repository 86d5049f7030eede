// A map key named `__proto__` never reaches the schema: copying the YAML into objects turns it
// into the object's prototype, so a metric (or source, or action) of that name silently vanished,
// or failed later with an internal error and no position. It is reported here, on the YAML nodes,
// where its line and column are still known.

import { isMap, isScalar, isSeq, type Document } from 'yaml';
import type { PathIssue, PathSegment } from './issues.js';

const PROTO = '__proto__';

export function reservedKeyIssues(doc: Document): PathIssue[] {
  const issues: PathIssue[] = [];
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (key === PROTO) {
          issues.push({
            path: [...path, key],
            message: `"${PROTO}" cannot be a name: JavaScript gives it a meaning on every object (so do constructor and prototype); choose another`,
            severity: 'error',
            at: 'key',
          });
          continue;
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return issues;
}
