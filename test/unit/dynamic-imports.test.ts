import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// In the split bundle, a CommonJS package loaded with import() has only a default export: its
// names read straight off the namespace are undefined there (and only there: tsc's tree and the
// tests see Node's own loader, which adds named exports). So every import() of a package goes
// through commonJs(), unless the package is an ES module.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('dynamic imports of packages', () => {
  it('read a CommonJS package through commonJs(), so the split bundle sees its exports', () => {
    const bare: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\('([^.'][^']*)'\)/g)) {
        const pkg = m[1]!;
        const before = text.slice(Math.max(0, m.index - 40), m.index);
        const after = text.slice(m.index + m[0].length, m.index + m[0].length + 20);
        const wrapped = /commonJs\((await )?$/.test(before) || after.startsWith('.then(commonJs)');
        if (!wrapped) bare.push(`${relative(ROOT, file)}: import('${pkg}')`);
      }
    }
    expect(bare).toEqual([]);
  });
});
