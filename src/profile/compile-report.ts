// How the compiler's parts report while they compile: a problem at a path in the parsed profile
// (the loader turns it into file:line:col), the names whose own definition already failed (so a
// reference to them adds no second error), and lookups of names the profile itself defines.
// Apart from compile.ts so that rules and actions compile in their own files without importing it.

import type { PathIssue, PathSegment } from './issues.js';

export type Report = (path: readonly PathSegment[], message: string, at?: PathIssue['at']) => void;

/** Names whose definition failed: references to them are not reported again. */
export interface Broken {
  sources: Set<string>;
  metrics: Set<string>;
  actions: Set<string>;
  phases: boolean;
}

export function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}

/**
 * An entry the profile itself has, never one every object inherits: a name from the profile
 * (`metric: constructor`) must not find Object's constructor and fail later without a position.
 */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
