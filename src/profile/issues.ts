// What is wrong with a profile, and where. The compiler and the schema speak in paths
// (`phases[2].success[0]`); operators read `file:line:col`, so every issue is located in the YAML
// source through the parsed document's node ranges before anyone sees it.

import { sanitizeLine } from '../util/sanitize.js';
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Scalar } from 'yaml';

export type IssueSeverity = 'error' | 'warning';
export type PathSegment = string | number;

export interface ProfileIssue {
  file: string;
  /** 1-based; absent for problems with the file itself (missing, a directory). */
  line?: number;
  col?: number;
  /** `phases[2].success[0]`, or '' for the whole file. */
  path: string;
  message: string;
  severity: IssueSeverity;
}

/** An issue before it is placed in the source: the compiler and the schema only know paths. */
export interface PathIssue {
  path: readonly PathSegment[];
  message: string;
  severity: IssueSeverity;
  /**
   * Where inside the node: its key (an unknown key), a character of its string value (an error
   * inside a PromQL query), or an offset in the source text already worked out.
   */
  at?: 'key' | { valueOffset: number } | { sourceOffset: number };
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  constructor(readonly issues: ProfileIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const first = errors[0] ?? issues[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first ? `${formatIssue(first)}${more}` : 'the profile is not valid');
  }
}

export function isProfileError(error: unknown): error is ProfileError {
  return error instanceof ProfileError;
}

/** `file:line:col: path: message`, with `warning: ` before the message of a warning. */
export function formatIssue(issue: ProfileIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.col ?? 1}`;
  const path = issue.path ? `${issue.path}: ` : '';
  const kind = issue.severity === 'warning' ? 'warning: ' : '';
  // Messages quote profile text (keys, values, file names): one safe line, whatever it holds.
  return sanitizeLine(`${where}: ${path}${kind}${issue.message}`);
}

const PLAIN_KEY = /^[A-Za-z_][\w]*$/;

/** `phases[2].success[0]`; keys that are not plain words are quoted: `metrics["p95.latency"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** A value as an issue quotes it: short, one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…"` : text;
}

/** Places path issues in the document's source; the deepest node the path reaches wins. */
export function locateIssues(
  issues: readonly PathIssue[],
  doc: Document,
  source: string,
  lines: LineCounter,
  file: string,
): ProfileIssue[] {
  return issues.map((issue) => {
    const offset = sourceOffset(issue, doc, source);
    const pos = lines.linePos(offset);
    return { file, line: pos.line, col: pos.col, path: formatPath(issue.path), message: issue.message, severity: issue.severity };
  });
}

/** Orders issues as an editor lists them: by line, then column; file-level ones first. */
export function byPosition(a: ProfileIssue, b: ProfileIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

function sourceOffset(issue: PathIssue, doc: Document, source: string): number {
  if (issue.at && typeof issue.at === 'object' && 'sourceOffset' in issue.at) return issue.at.sourceOffset;
  const found = findNode(doc, issue.path);
  if (issue.at === 'key' && found.key?.range) return found.key.range[0];
  const node = found.value ?? found.key ?? found.parent;
  if (!node?.range) return 0;
  if (issue.at && typeof issue.at === 'object' && isScalar(node) && typeof node.value === 'string') {
    return scalarOffset(node, source, issue.at.valueOffset);
  }
  return node.range[0];
}

interface Found {
  /** The node at the full path, when it exists. */
  value?: Node;
  /** The key of the last path segment, when it is a map key. */
  key?: Node;
  /** The deepest node that exists along the path. */
  parent?: Node;
}

function findNode(doc: Document, path: readonly PathSegment[]): Found {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (!pair) return { parent: node };
      if (last) return { value: (pair.value as Node | null) ?? undefined, key: pair.key as Node, parent: node };
      key = pair.key as Node;
      node = pair.value ?? key;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return { parent: node };
      if (last) return { value: item, parent: node };
      node = item;
    } else {
      return { parent: (node as Node | null) ?? key };
    }
  }
  return { value: (node as Node | null) ?? undefined };
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

/**
 * The source offset of a character of a string scalar's value. Lines of the value appear verbatim
 * in the source for plain, block and escape-free quoted scalars; otherwise (folding, escapes) the
 * text from that character to the next space is looked for, and used when it occurs only once.
 * Failing both, the scalar's start is the honest answer.
 */
export function scalarOffset(node: Scalar, source: string, valueOffset: number): number {
  const start = node.range?.[0] ?? 0;
  const end = node.range?.[1] ?? start;
  const value = String(node.value);
  return byLines(value, source, start, end, valueOffset) ?? byToken(value, source, start, end, valueOffset) ?? start;
}

function byLines(value: string, source: string, start: number, end: number, valueOffset: number): number | undefined {
  let cursor = start;
  let consumed = 0;
  for (const line of value.split('\n')) {
    const at = line === '' ? cursor : source.indexOf(line, cursor);
    if (at < 0 || at > end) return undefined;
    if (valueOffset <= consumed + line.length) return at + (valueOffset - consumed);
    consumed += line.length + 1;
    cursor = at + line.length;
  }
  return undefined;
}

function byToken(value: string, source: string, start: number, end: number, valueOffset: number): number | undefined {
  const token = /^\S{1,40}/.exec(value.slice(valueOffset))?.[0];
  if (!token) return undefined;
  const text = source.slice(start, end);
  const first = text.indexOf(token);
  return first >= 0 && text.indexOf(token, first + 1) < 0 ? start + first : undefined;
}
