// A zod issue turned into what a person can act on: the path, what was found and what was
// expected (`expected a duration: 30s, 5m…, found "soon"`), an unknown key with its nearest allowed
// one, the union branch the data was written for. Apart from load.ts because it is about reading
// the schema, not the file: the loader places these issues at file:line:col.

import * as z from 'zod';
import { describeValue, type PathIssue, type PathSegment } from './issues.js';
import { profileSchema } from './schema.js';
import { didYouMean } from './suggest.js';

// ── schema issues → what was found, what was expected ──────────────────────────────────────

type ZodIssue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

export function explainSchemaIssues(issues: readonly ZodIssue[], data: unknown): PathIssue[] {
  return issues.flatMap((issue) => explain(issue, [], data));
}

function explain(issue: ZodIssue, base: PathSegment[], data: unknown): PathIssue[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(data, path);
  const error = (message: string, at?: PathIssue['at'], where: PathSegment[] = path): PathIssue[] => [
    { path: where, message, severity: 'error', ...(at ? { at } : {}) },
  ];

  switch (issue.code) {
    case 'invalid_type': {
      const expected = describeSchema(schemaAt(path, data)) ?? article(issue.expected);
      if (path.length === 0) return error(`a profile is a map with name, sources, metrics and phases; found ${describeValue(value)}`);
      if (!present(data, path)) {
        const key = path[path.length - 1]!;
        return error(`missing ${typeof key === 'number' ? `item ${key}` : `key "${key}"`}: expected ${expected}`, undefined, path.slice(0, -1));
      }
      return error(`expected ${expected}, found ${describeValue(value)}`);
    }
    case 'unrecognized_keys':
      return unknownKeys(issue.keys, path, allowedKeys(taggedBranch(schemaAt(path, data), value)));
    case 'invalid_key': {
      const why = issue.issues[0]?.message ?? 'not a valid id';
      return error(`"${String(path[path.length - 1])}" is not a valid id: ${why}`, 'key');
    }
    case 'invalid_format':
      return error(`${describeValue(value)} is not valid here: ${issue.message}`);
    case 'invalid_value': {
      const options = issue.values.map((v) => (typeof v === 'string' && /^[\w-]+$/.test(v) ? v : JSON.stringify(v)));
      const hint = typeof value === 'string' ? didYouMean(value, issue.values.map(String)) : '';
      return error(`expected ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}, found ${describeValue(value)}${hint}`);
    }
    case 'invalid_union':
      return explainUnion(issue, path, value, data);
    case 'too_big':
    case 'too_small':
      return error(explainSize(issue, value));
    default:
      return error(issue.message);
  }
}

function explainUnion(issue: Extract<ZodIssue, { code: 'invalid_union' }>, path: PathSegment[], value: unknown, data: unknown): PathIssue[] {
  const error = (message: string, where = path): PathIssue[] => [{ path: where, message, severity: 'error' }];
  if ('discriminator' in issue && issue.discriminator) {
    const choices = ('options' in issue ? (issue.options ?? []) : []).map(String);
    if (value === undefined) {
      return error(`missing key "${issue.discriminator}": expected one of ${choices.join(', ')}`, path.slice(0, -1));
    }
    return error(`unknown ${issue.discriminator} ${describeValue(value)}${didYouMean(String(value), choices)}; expected one of ${choices.join(', ')}`);
  }
  // A branch failing on the value's own type was not what the author meant; the others were.
  const candidates = issue.errors
    .map((branch, i) => ({ branch, i }))
    .filter(({ branch }) => !branch.some((b) => b.path.length === 0 && (b.code === 'invalid_type' || b.code === 'invalid_value')));
  const schema = schemaAt(path, data);
  if (candidates.length === 0) {
    return error(`expected ${describeSchema(schema) ?? 'another kind of value'}, found ${describeValue(value)}`);
  }
  // An unknown key every remaining branch rejects is the likeliest mistake: say only that.
  const options = schema instanceof z.ZodUnion ? (schema.options as Schema[]) : [];
  const unknownEverywhere = candidates
    .map(({ branch }) => new Set(branch.flatMap((b) => (b.code === 'unrecognized_keys' && b.path.length === 0 ? b.keys : []))))
    .reduce((common, keys) => new Set([...common].filter((k) => keys.has(k))));
  if (unknownEverywhere.size > 0) {
    const allowed = [...new Set(candidates.flatMap(({ i }) => allowedKeys(options[i])))];
    return unknownKeys([...unknownEverywhere], path, allowed);
  }
  const best = candidates.reduce((a, b) => (b.branch.length < a.branch.length ? b : a));
  return best.branch.flatMap((inner) => explain(inner, path, data));
}

function unknownKeys(keys: readonly string[], path: PathSegment[], allowed: string[]): PathIssue[] {
  return keys.map((key) => {
    const hint = didYouMean(key, allowed);
    const message = hint ? `unknown key "${key}"${hint}` : `unknown key "${key}"; allowed here: ${allowed.join(', ')}`;
    return { path: [...path, key], message, severity: 'error', at: 'key' } satisfies PathIssue;
  });
}

function explainSize(issue: Extract<ZodIssue, { code: 'too_big' | 'too_small' }>, value: unknown): string {
  // A message written in the schema says it better than the generic one.
  if (!/^Too (big|small)/.test(issue.message)) return issue.message;
  const big = issue.code === 'too_big';
  const limit = Number(big ? (issue as { maximum: unknown }).maximum : (issue as { minimum: unknown }).minimum);
  const bound = big ? 'at most' : 'at least';
  switch (issue.origin) {
    case 'string':
      return `expected ${bound} ${limit} character${limit === 1 ? '' : 's'}, found ${describeValue(value)}`;
    case 'array':
      return `expected ${bound} ${limit} item${limit === 1 ? '' : 's'}, found ${Array.isArray(value) ? value.length : 0}`;
    default:
      return `expected a number ${bound} ${limit}, found ${describeValue(value)}`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function present(data: unknown, path: readonly PathSegment[]): boolean {
  const parent = valueAt(data, path.slice(0, -1));
  return parent !== null && typeof parent === 'object' && Object.hasOwn(parent, path[path.length - 1]!);
}

// ── walking the zod schema, for allowed keys and for what a value should have been ──────────

export function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as Schema;
  return s;
}

/** The schema at a path of the data; a union picks the branch the data is written for. */
function schemaAt(path: readonly PathSegment[], data: unknown): Schema | undefined {
  let schema = unwrap(profileSchema);
  let value = data;
  for (const segment of path) {
    schema = unwrap(branchFor(schema, value));
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, Schema>)[String(segment)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as Schema;
    else if (schema instanceof z.ZodArray) schema = schema.element as Schema;
    else return undefined;
    schema = unwrap(schema);
  }
  return schema;
}

function branchFor(schema: Schema | undefined, value: unknown): Schema | undefined {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const options = (schema.options as Schema[]).map(unwrap).filter((o): o is Schema => o !== undefined);
  const objects = options.filter((o): o is z.ZodObject => o instanceof z.ZodObject);
  if (value === null || typeof value !== 'object' || objects.length === 0) return schema;
  const keys = Object.keys(value);
  const discriminator = schema instanceof z.ZodDiscriminatedUnion ? String(schema.def.discriminator) : undefined;
  if (discriminator) {
    const tag = (value as Record<string, unknown>)[discriminator];
    const match = objects.find((o) => {
      const field = (o.shape as Record<string, Schema>)[discriminator];
      return (field instanceof z.ZodLiteral && field.values.has(tag as never)) || (field instanceof z.ZodEnum && (field.options as unknown[]).includes(tag));
    });
    if (match) return match;
  }
  const overlap = (o: z.ZodObject): number => keys.filter((k) => k in o.shape).length;
  return objects.reduce((a, b) => (overlap(b) > overlap(a) ? b : a));
}

/** The branch of a discriminated union its tag names (`type: command`), else the schema as it is. */
function taggedBranch(schema: Schema | undefined, value: unknown): Schema | undefined {
  if (!(schema instanceof z.ZodDiscriminatedUnion)) return schema;
  const branch = branchFor(schema, value);
  return branch instanceof z.ZodObject && String(schema.def.discriminator) in (value as object) ? branch : schema;
}

function allowedKeys(schema: Schema | undefined): string[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodUnion) return [...new Set((s.options as Schema[]).flatMap((o) => allowedKeys(o)))];
  return [];
}

/** What a schema accepts, in words: `a duration: 30s, 5m…`, `one of ok, warn, breach`. */
function describeSchema(schema: Schema | undefined): string | undefined {
  const s = unwrap(schema);
  if (!s) return undefined;
  const description = z.globalRegistry.get(s)?.description;
  if (s instanceof z.ZodPipe) {
    if (description && /^A (duration|condition|success criterion)/.test(description)) return description[0]!.toLowerCase() + description.slice(1);
    return describeSchema(s.in as Schema);
  }
  if (s instanceof z.ZodString) return 'a string';
  if (s instanceof z.ZodNumber) return 'a number';
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodLiteral) return [...s.values].map((v) => JSON.stringify(v)).join(' or ');
  if (s instanceof z.ZodEnum) return `one of ${(s.options as unknown[]).map(String).join(', ')}`;
  if (s instanceof z.ZodArray) return 'a list';
  if (s instanceof z.ZodObject) return `a map with ${Object.keys(s.shape).join(', ')}`;
  if (s instanceof z.ZodRecord) return 'a map';
  if (s instanceof z.ZodUnion) {
    const parts = (s.options as Schema[]).map(describeSchema).filter((p): p is string => p !== undefined);
    return [...new Set(parts)].join(' or ');
  }
  return undefined;
}
