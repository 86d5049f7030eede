// Profile loading: file → YAML document (with positions) → environment interpolation → schema →
// compiler. Every problem on the way becomes a ProfileIssue with file:line:col, a path, what was
// found and what was expected; none is a stack trace, and none carries a secret.

import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import * as z from 'zod';
import { compileProfile, type InvalidParts } from './compile.js';
import { interpolate, isDeferred, unresolvedBy, type EnvMode } from './interpolate.js';
import {
  byPosition,
  describeValue,
  formatIssue,
  locateIssues,
  ProfileError,
  type PathIssue,
  type PathSegment,
  type ProfileIssue,
} from './issues.js';
import { redact, secretsIn } from './redact.js';
import { reservedKeyIssues } from './reserved.js';
import { phaseSchema, profileSchema, ruleSchema, type ProfileParsed } from './schema.js';
import { didYouMean } from './suggest.js';
import type { Profile } from './types.js';

export { ProfileError, isProfileError, formatIssue, type ProfileIssue } from './issues.js';

export interface LoadOptions {
  /** Where `${VAR}` is read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** `required` (default): a missing variable is an error; `lenient`: a warning (validate in CI). */
  envMode?: EnvMode;
}

export interface LoadResult {
  profile: Profile;
  warnings: ProfileIssue[];
}

/** Every issue found, in source order; `profile` only when none is an error. */
export interface CheckResult {
  profile?: Profile;
  issues: ProfileIssue[];
}

/** Profiles are a few kilobytes; a file this large is not one, and parsing it would stall. */
const MAX_BYTES = 4 * 1024 * 1024;

export function parseProfile(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  return settle(checkProfileText(text, file, opts));
}

/**
 * For commands: the profile, or exit code 3 after printing every issue to stderr as
 * `file:line:col: path: message`. Warnings are printed either way.
 */
export async function loadProfileOrReport(
  file: string,
  opts: LoadOptions & { stderr?: (text: string) => void } = {},
): Promise<{ profile: Profile } | { exitCode: 3 }> {
  const write = opts.stderr ?? ((text: string) => void process.stderr.write(text));
  const checked = await checkProfileFile(file, opts);
  for (const issue of checked.issues) write(`${formatIssue(issue)}\n`);
  return checked.profile ? { profile: checked.profile } : { exitCode: 3 };
}

function settle(checked: CheckResult): LoadResult {
  if (!checked.profile) throw new ProfileError(checked.issues);
  return { profile: checked.profile, warnings: checked.issues.filter((i) => i.severity === 'warning') };
}

export async function checkProfileFile(file: string, opts: LoadOptions = {}): Promise<CheckResult> {
  const fileIssue = (message: string): CheckResult => ({ issues: [{ file, path: '', message, severity: 'error' }] });
  let text: string;
  try {
    const info = await stat(file);
    if (info.isDirectory()) return fileIssue('is a directory');
    if (!info.isFile()) return fileIssue('is not a regular file');
    if (info.size > MAX_BYTES) return fileIssue(`is too large for a profile (${Math.round(info.size / 1024)} KiB; at most ${MAX_BYTES / 1024} KiB)`);
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fileIssue(readFailure(error));
  }
  const checked = checkProfileText(text, file, opts);
  if (checked.profile) checked.profile.file = resolve(file);
  return checked;
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

export function checkProfileText(text: string, file: string, opts: LoadOptions = {}): CheckResult {
  const env = opts.env ?? process.env;
  const envMode = opts.envMode ?? 'required';
  if (text.trim() === '') return { issues: [{ file, line: 1, col: 1, path: '', message: 'the file is empty', severity: 'error' }] };

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const syntax = [...doc.errors.map((e) => yamlIssue(e, 'error')), ...doc.warnings.map((e) => yamlIssue(e, 'warning'))];
  if (doc.errors.length > 0 || doc.contents === null) {
    const issues = doc.contents === null && doc.errors.length === 0 ? [{ path: [], message: 'the file is empty (only comments)', severity: 'error' as const }] : [];
    return finish(syntax.concat(issues), doc, text, lines, file, []);
  }

  const interpolated = interpolate(doc, text, { env, envMode });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return finish([...syntax, { path: [], message: `the YAML cannot be read: ${why}`, severity: 'error' }], doc, text, lines, file, interpolated.secrets);
  }
  const secrets = [...interpolated.secrets, ...secretsIn(data)];
  const early = [...syntax, ...interpolated.issues, ...reservedKeyIssues(doc)];

  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    // The cross-references of everything that did pass are still worth reporting now.
    const partial = salvage(data);
    const later = partial ? compileProfile(partial.parsed, { file, secrets, invalid: partial.invalid }).issues : [];
    return finish([...early, ...explainSchemaIssues(parsed.error.issues, data), ...later], doc, text, lines, file, secrets);
  }
  const compiled = compileProfile(parsed.data, { file, secrets });
  // A value still holding an unset variable cannot be judged (a notifier URL): it is not checked now.
  const judged = compiled.issues.filter((issue) => !isDeferred(issue.path, interpolated.deferred));
  const checked = finish([...early, ...judged], doc, text, lines, file, secrets);
  const failed = checked.issues.some((i) => i.severity === 'error');
  if (compiled.profile && interpolated.deferred.length > 0) compiled.profile.unresolved = unresolvedBy(interpolated.deferred);
  return compiled.profile && !failed ? { profile: compiled.profile, issues: checked.issues } : checked;
}

function finish(issues: PathIssue[], doc: Document, text: string, lines: LineCounter, file: string, secrets: string[]): CheckResult {
  const located = locateIssues(issues, doc, text, lines, file)
    .map((issue) => ({ ...issue, message: redact(issue.message, secrets) }))
    .sort(byPosition);
  // The YAML parser reports one unclosed bracket once per level it leaves open.
  const seen = new Set<string>();
  return {
    issues: located.filter((issue) => {
      const line = formatIssue(issue);
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    }),
  };
}

function yamlIssue(error: YAMLError, severity: 'error' | 'warning'): PathIssue {
  const first = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const message = error.code === 'MULTIPLE_DOCS' ? 'a profile is one YAML document; remove the second ---' : `YAML: ${first}`;
  return { path: [], message, severity, at: { sourceOffset: error.pos[0] } };
}

/**
 * The parts of a profile that pass the schema on their own: each source, metric and action
 * separately, every other section whole. Undefined when a section the compiler cannot do without
 * is not even a map.
 */
function salvage(data: unknown): { parsed: ProfileParsed; invalid: InvalidParts } | undefined {
  if (!isRecord(data)) return undefined;
  const shape = profileSchema.shape;
  const out: Record<string, unknown> = {};
  const invalid: InvalidParts = { sources: [], metrics: [], actions: [], phases: false };
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const value = data[key];
    if (key === 'sources' || key === 'metrics' || key === 'actions') {
      if (value === undefined && key === 'actions') continue;
      if (!isRecord(value)) return undefined;
      const record = unwrap(shape[key]) as z.ZodRecord;
      const kept: Record<string, unknown> = {};
      for (const [id, entry] of Object.entries(value)) {
        const parsedEntry = z.safeParse(record.valueType, entry);
        if (parsedEntry.success && z.safeParse(record.keyType, id).success) kept[id] = parsedEntry.data;
        else invalid[key].push(id);
      }
      out[key] = kept;
      continue;
    }
    const section = shape[key].safeParse(value);
    if (section.success) out[key] = section.data;
    else if ((key === 'rules' || key === 'phases') && Array.isArray(value)) {
      // One bad rule or phase must not hide the mistakes in the others: keep each that passes,
      // remembering where it stood so its issues carry its own index.
      const element = key === 'rules' ? ruleSchema : phaseSchema;
      const kept: unknown[] = [];
      const at: number[] = [];
      value.forEach((item, index) => {
        const parsedItem = element.safeParse(item);
        if (parsedItem.success) [kept[kept.length], at[at.length]] = [parsedItem.data, index];
      });
      out[key] = kept;
      if (key === 'rules') invalid.ruleIndex = at;
      else [invalid.phases, invalid.phaseIndex] = [true, at];
    } else if (key === 'phases') [out.phases, invalid.phases] = [[], true];
    else if (key === 'name') out.name = '';
  }
  return { parsed: out as ProfileParsed, invalid };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ── schema issues → what was found, what was expected ──────────────────────────────────────

type ZodIssue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

function explainSchemaIssues(issues: readonly ZodIssue[], data: unknown): PathIssue[] {
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

function unwrap(schema: Schema | undefined): Schema | undefined {
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
