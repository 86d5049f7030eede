// What a source kind is, in one place: its config (a zod schema the profile schema's union is built
// from), how the compiler checks a metric's query against it, how a source is built, whether it
// can answer a range, and which URL schemes its `url:` takes. Every part is required, so a kind
// that leaves one out does not compile. Adding a kind: one sources/<kind>.ts exporting its
// descriptor through defineSourceKind, plus one line in sources/kinds.ts.
//
// A kind's module is loaded with the profile schema, before the first frame: its client library
// (node:https, pg) must load inside create() or at the first request, never at the top of the module.

import type * as z from 'zod';
import type { Clock } from '../engine/clock.js';
import type { PathIssue, PathSegment } from '../profile/issues.js';
import type { Profile, Query } from '../profile/types.js';
import type { Source } from './source.js';

/** Reports a problem at a path of the profile (the loader places it at file:line:col). */
export type IssueReport = (path: readonly PathSegment[], message: string, at?: PathIssue['at']) => void;

/** What a kind may need beyond its own config to build a source. */
export interface SourceContext {
  clock: Clock;
  profile: Profile;
}

/** A source kind's config: a strict object whose `type` is the kind's name. */
export type SourceConfigSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape, z.core.$strict>;

/** A built source, and optionally how messages about it name it (`host:port`, a program). */
export type BuiltSource = Source & { where?: string };

export interface SourceKind<S extends SourceConfigSchema = SourceConfigSchema> {
  readonly kind: z.output<S>['type'];
  readonly config: S;
  /** Checks a metric's (or baseline's) query at compile time; each problem is reported at `path`. */
  checkQuery(query: Query, path: readonly PathSegment[], report: IssueReport): void;
  /** Builds the source; may throw (a URL that is not one), which makes the source unusable with the reason. */
  create(id: string, config: z.output<S>, ctx: SourceContext): BuiltSource | Promise<BuiltSource>;
  /** Keeps history, so a console can backfill its charts from it. */
  readonly ranged: boolean;
  /** The schemes its `url:` may use; empty when it has no URL. */
  readonly urlSchemes: readonly string[];
}

/** Declares a kind; the type checker rejects one lacking a part or whose name is not its config's `type`. */
export function defineSourceKind<S extends SourceConfigSchema>(kind: SourceKind<S>): SourceKind<S> {
  return kind;
}
