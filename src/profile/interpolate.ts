// `${VAR}` and `${VAR:-default}` in string values, resolved on the YAML nodes before validation
// so every later issue still points at the right line. `$${` writes a literal `${`.

import { isMap, isScalar, isSeq, Scalar, type Document } from 'yaml';
import { scalarOffset, type IssueSeverity, type PathIssue, type PathSegment } from './issues.js';
import { isSecretName } from './redact.js';

export type EnvMode = 'required' | 'lenient' | 'sources';

export interface InterpolateOptions {
  env: Record<string, string | undefined>;
  /**
   * `required`: a missing variable is an error; `lenient` (validate in CI): a warning, left as
   * written; `sources` (check, report: nothing runs, nothing is sent): required, except in
   * `actions` and `notify`, where a missing one is left as written and listed in `deferred`.
   */
  envMode: EnvMode;
}

export interface Interpolated {
  issues: PathIssue[];
  /** Values of variables whose names look secret (TOKEN, PASSWORD, …). */
  secrets: string[];
  /** `sources` mode: where a variable of an action or notifier was left unresolved, and its name. */
  deferred: { path: PathSegment[]; name: string }[];
}

/** The sections whose variables only matter when something runs or is sent. */
const USED_ONLY_TO_ACT = new Set<PathSegment>(['actions', 'notify']);

const REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Resolves every reference in the document's string values, in place. */
export function interpolate(doc: Document, source: string, opts: InterpolateOptions): Interpolated {
  const result: Interpolated = { issues: [], secrets: [], deferred: [] };
  const missing = new Map<string, { issue: PathIssue; more: number }>();
  walk(doc.contents, [], (node, path) => resolveScalar(node, path, source, opts, result, missing));
  // One line per missing variable, where it is first used: a profile in CI without its secrets
  // would otherwise list the same variable at every use.
  for (const [name, { issue, more }] of missing) {
    const also = more === 0 ? '' : ` (also used in ${more} more place${more === 1 ? '' : 's'})`;
    const hint = issue.severity === 'error' ? `; set it, or write \${${name}:-default}` : '';
    result.issues.push({ ...issue, message: `${issue.message}${also}${hint}` });
  }
  return result;
}

function walk(node: unknown, path: PathSegment[], visit: (node: Scalar, path: PathSegment[]) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      walk(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], visit));
  } else if (isScalar(node) && typeof node.value === 'string') {
    visit(node, path);
  }
}

function resolveScalar(
  node: Scalar,
  path: PathSegment[],
  source: string,
  opts: InterpolateOptions,
  out: Interpolated,
  missing: Map<string, { issue: PathIssue; more: number }>,
): void {
  const text = node.value as string;
  if (!text.includes('${')) return;
  const issue = (valueOffset: number, message: string, severity: IssueSeverity = 'error'): PathIssue => ({
    path,
    message,
    severity,
    at: { sourceOffset: scalarOffset(node, source, valueOffset) },
  });
  const problem = (valueOffset: number, message: string): void => void out.issues.push(issue(valueOffset, message));

  const resolved = text.replace(REFERENCE, (match: string, body: string | undefined, offset: number) => {
    if (match === '$${') return '${';
    if (!match.endsWith('}')) {
      problem(offset, `"${match}" is not closed: write \${NAME} or \${NAME:-default} (and $\${ for a literal \${)`);
      return match;
    }
    const split = body!.indexOf(':-');
    const name = split < 0 ? body! : body!.slice(0, split);
    const fallback = split < 0 ? undefined : body!.slice(split + 2);
    if (!NAME.test(name)) {
      problem(offset, `"${match}" is not a variable reference: a name is letters, digits and _ (write $\${ for a literal \${)`);
      return match;
    }
    const value = opts.env[name];
    const chosen = value !== undefined && value !== '' ? value : fallback;
    if (chosen === undefined && opts.envMode === 'sources' && USED_ONLY_TO_ACT.has(path[0]!)) {
      out.deferred.push({ path, name });
      return match;
    }
    if (chosen === undefined) {
      const seen = missing.get(name);
      if (seen) seen.more++;
      else missing.set(name, { issue: issue(offset, `environment variable ${name} is not set`, opts.envMode === 'lenient' ? 'warning' : 'error'), more: 0 });
      return match;
    }
    if (isSecretName(name)) out.secrets.push(chosen);
    return chosen;
  });

  // An unquoted `traffic: ${SHARE}` means the number, as it would had the number been written.
  if (node.type === Scalar.PLAIN && NUMBER.test(resolved)) node.value = Number(resolved);
  else if (node.type === Scalar.PLAIN && (resolved === 'true' || resolved === 'false')) node.value = resolved === 'true';
  else node.value = resolved;
}

/** Whether a path lies within a value that still holds a deferred variable. */
export function isDeferred(path: readonly PathSegment[], deferred: Interpolated['deferred']): boolean {
  return deferred.some((d) => d.path.every((segment, i) => path[i] === segment));
}

/** `actions.rollback` → [ROLLCALL_NODE], `notify.0` → [SLACK_WEBHOOK_URL]: what each part is missing. */
export function unresolvedBy(deferred: Interpolated['deferred']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { path, name } of deferred) {
    const part = `${String(path[0])}.${String(path[1])}`;
    const names = (out[part] ??= []);
    if (!names.includes(name)) names.push(name);
  }
  return out;
}
