// The PostgreSQL driver is loaded only for a profile whose state is shared there: from the agent,
// check, report and a console, no chain of imports that run at load (type-only ones are erased)
// reaches `pg`; the shared-state modules are reached by a dynamic import() only.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The specifiers a file imports when it loads: type-only imports and dynamic import() left out. */
function loadedImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(resolve(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
  }
  return out;
}

/** The chain of files from `start` to one that loads `pg`, or undefined when none does. */
function chainToPg(start: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): string[] | undefined => {
    if (seen.has(file)) return undefined;
    seen.add(file);
    for (const spec of loadedImports(file)) {
      if (spec === 'pg' || spec.startsWith('pg/')) return [...path, file, spec];
      if (!spec.startsWith('.')) continue;
      const stem = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '');
      const next = [`${stem}.ts`, `${stem}.tsx`].find((f) => existsSync(resolve(ROOT, f)));
      const found = next && walk(next, [...path, file]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, []);
}

describe('loading the PostgreSQL driver', () => {
  it.each(['src/agent/agent.ts', 'src/commands/check.ts', 'src/commands/report.ts', 'src/console/open-session.ts'])('is not done by %s for a profile without shared state', (start) => {
    expect(chainToPg(start)).toBeUndefined();
  });

  it('is done by the shared lease and history themselves, which the others import only dynamically', () => {
    for (const file of ['src/actions/lease-postgres.ts', 'src/actions/history-postgres.ts', 'src/actions/history-postgres-read.ts']) {
      expect(chainToPg(file)?.at(-1)).toBe('pg');
    }
  });
});
