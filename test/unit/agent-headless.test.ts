// `rollcall agent` must run where no terminal is: nothing it can load — static or dynamic
// imports, type-only imports aside — may reach the view, the console or the width function.
// (The CLI's entry loads each command only when it runs, so commands/agent.ts is the root.)

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry`: relative files as paths, packages by name. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      // Erased when compiled: a type-only import loads nothing.
      if (/^(import|export)\s+type\s/.test(m[0])) continue;
      const spec = (m[1] ?? m[2])!;
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        continue;
      }
      const base = join(dirname(file), spec).replace(/\.js$/, '');
      const found = ['.ts', '.tsx'].map((ext) => base + ext).find((f) => existsSync(f));
      if (!found) throw new Error(`${file}: cannot resolve ${spec}`);
      visit(found);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the agent', () => {
  it('loads no view or console module, and no width function', () => {
    const { files, packages } = graph(join(ROOT, 'src', 'commands', 'agent.ts'));
    const relative = [...files].map((f) => f.slice(ROOT.length + 1));
    expect(relative).toContain('src/agent/rollout.ts');
    expect(relative).toContain('src/engine/watch-loop.ts');
    expect(relative.filter((f) => /^src\/(view|console)\//.test(f) || f === 'src/util/width.ts')).toEqual([]);
    expect([...packages].filter((p) => ['string-width'].includes(p))).toEqual([]);
  });

  it('would notice if it did: the console command loads the frame writer and the width function', () => {
    const { files } = graph(join(ROOT, 'src', 'commands', 'watch.ts'));
    const relative = [...files].map((f) => f.slice(ROOT.length + 1));
    expect(relative).toContain('src/console/frame-writer.ts');
    expect(relative).toContain('src/util/width.ts');
  });
});
