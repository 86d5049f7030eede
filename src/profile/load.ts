// Profile loading: file → YAML document (with positions) → environment interpolation → schema →
// compiler. Every problem on the way becomes a ProfileIssue with file:line:col, a path, what was
// found and what was expected; none is a stack trace, and none carries a secret.
// What a schema issue says in words is worked out in schema-issues.ts.

import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import * as z from 'zod';
import { compileProfile, type InvalidParts } from './compile.js';
import { interpolate, isDeferred, unresolvedBy, type EnvMode } from './interpolate.js';
import {
  byPosition,
  formatIssue,
  locateIssues,
  ProfileError,
  type PathIssue,
  type ProfileIssue,
} from './issues.js';
import { redact, secretsIn } from './redact.js';
import { reservedKeyIssues } from './reserved.js';
import { phaseSchema, profileSchema, ruleSchema, type ProfileParsed } from './schema.js';
import { explainSchemaIssues, unwrap } from './schema-issues.js';
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
