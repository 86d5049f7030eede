// Ink redraws its whole tree every frame: for each line it measures the width (widest-line,
// string-width) and tokenises the colour codes (@alcalzone/ansi-tokenize) again, although most
// lines did not change since the last frame. Inside the bundle, Ink's own imports of those three
// packages get the versions in src/console/ink-memo.ts: the same answers, computed once per line.
// Ink's code is not changed; test/unit/ink-memo.test.ts fails when Ink's files that use these
// functions change, since remembering is right only while Ink treats what they return as
// read-only (it does: it places the characters in its grid and reads them, nothing more).
// One Ink file is replaced: build/output.js, Ink's Output, by src/console/ink-rows.ts's copy of it
// that writes only the rows whose lines changed (test/unit/ink-rows.test.ts holds it to Ink's).

import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/** Ink's files whose imports are remembered: what the test holds them to. */
export const INK_FILES_MEMOISED = ['build/output.js', 'build/render-node-to-output.js', 'build/measure-text.js'];

/** Ink's file whose class is replaced by src/console/ink-rows.ts's. */
export const INK_OUTPUT_FILE = 'build/output.js';

/** Ink's output.js, as built: Ink's Output over the same (remembered) helpers, rows remembered. */
export function outputModule(rows: string): string {
  return [
    `import sliceAnsi from 'slice-ansi';`,
    `import stringWidth from 'string-width';`,
    `import widestLine from 'widest-line';`,
    `import { styledCharsFromTokens, styledCharsToString, tokenize } from '@alcalzone/ansi-tokenize';`,
    `import { rowMemoOutput } from ${JSON.stringify(rows)};`,
    `export default rowMemoOutput({ sliceAnsi, stringWidth, widestLine, tokenize, styledCharsFromTokens, styledCharsToString });`,
    '',
  ].join('\n');
}

/** The module each package resolves to when Ink imports it; `memo` is src/console/ink-memo.ts. */
export function memoisedModule(pkg: string, memo: string): string | undefined {
  const m = JSON.stringify(memo);
  switch (pkg) {
    case 'widest-line':
      return `import f from 'widest-line';\nimport { rememberWidth } from ${m};\nexport default rememberWidth(f);\n`;
    case 'string-width':
      return `import f from 'string-width';\nimport { rememberWidth } from ${m};\nexport default rememberWidth(f);\n`;
    case '@alcalzone/ansi-tokenize':
      return [
        `export * from '@alcalzone/ansi-tokenize';`,
        `import { tokenize as t, styledCharsFromTokens as c, ansiCodesToString as a, diffAnsiCodes as d } from '@alcalzone/ansi-tokenize';`,
        `import { rememberTokenize, rememberStyledChars, fastCharsToString } from ${m};`,
        `export const tokenize = rememberTokenize(t);`,
        `export const styledCharsFromTokens = rememberStyledChars(c);`,
        `export const styledCharsToString = fastCharsToString(a, d);`,
        '',
      ].join('\n');
    default:
      return undefined;
  }
}

/** The esbuild plugin: Ink's imports of widest-line, string-width and ansi-tokenize, remembered. */
export function inkMemo(root: string): Plugin {
  const memo = join(root, 'src', 'console', 'ink-memo.ts');
  const rows = join(root, 'src', 'console', 'ink-rows.ts');
  const inkOutput = /[\\/]node_modules[\\/]ink[\\/]build[\\/]output\.js$/;
  const inkBuild = /[\\/]node_modules[\\/]ink[\\/]build[\\/]/;
  return {
    name: 'ink-memo',
    setup(b) {
      b.onResolve({ filter: /^(widest-line|string-width|@alcalzone\/ansi-tokenize)$/ }, (args) =>
        inkBuild.test(args.importer) ? { path: args.path, namespace: 'ink-memo', pluginData: { resolveDir: dirname(args.importer) } } : undefined,
      );
      // Its imports keep Ink's output.js as their importer, so they get the remembered helpers too.
      b.onLoad({ filter: inkOutput }, (args) => ({ contents: outputModule(rows), resolveDir: dirname(args.path), loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'ink-memo' }, (args) => ({
        contents: memoisedModule(args.path, memo),
        resolveDir: (args.pluginData as { resolveDir: string }).resolveDir,
        loader: 'js',
      }));
    },
  };
}
