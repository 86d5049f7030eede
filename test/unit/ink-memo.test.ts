import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ansiCodesToString, diffAnsiCodes, styledCharsFromTokens, styledCharsToString, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';
import stringWidth from 'string-width';
import { fastCharsToString, rememberStyledChars, rememberTokenize, rememberWidth } from '../../src/console/ink-memo.js';
import { INK_FILES_MEMOISED, memoisedModule } from '../../src/build/ink-memo.js';
import { memoize } from '../../src/util/memo.js';

const modules = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');
const inkRoot = join(modules, 'ink');
const tokenizeRoot = join(modules, '@alcalzone', 'ansi-tokenize');

/**
 * The files read when deciding that remembering is safe: Ink only places and reads what tokenize
 * and styledCharsFromTokens return, and styledCharsToString's diff depends only on which codes
 * each side holds. When one changes (an Ink or ansi-tokenize upgrade), read it again, then update.
 */
const READ: Record<string, string> = {
  'ink/build/output.js': '6fd68da37e1e7519225b7a95a405b78f55d4db2345fb7173dbe6929dc8ebda99',
  'ink/build/render-node-to-output.js': 'd0c06d2474bd6338fa807ba0a0a39fb713a197df38c7a266b9316c6dd80b3297',
  'ink/build/measure-text.js': '4562d24171af3063b91a0d965c652ebdf1e2bdf4fe7f75c6bc8664fefc77df6a',
  'ansi-tokenize/build/styledChars.js': '4b795be4e4b072f02f0bba951b6476ba0c25ba8be059d45a09de9582cef281c2',
  'ansi-tokenize/build/diff.js': '3123566fdc1c3be9889fae180d4e69519ec7dc928552546b66b787791ca91faf',
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A small deterministic generator, so a failure is reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const CODES = ['\x1b[31m', '\x1b[32m', '\x1b[39m', '\x1b[1m', '\x1b[22m', '\x1b[2m', '\x1b[7m', '\x1b[27m', '\x1b[38;2;90;200;250m', '\x1b[0m', '\x1b[90m'];
const TEXT = ['a', 'metric', ' ', '  ', '█', '░', '▶', '✓', '日本', '…', '0.42%', '→'];

/** Lines like the ones Ink writes: text runs with colour and attribute codes between them. */
function line(next: () => number): string {
  let out = '';
  const parts = Math.floor(next() * 12);
  for (let i = 0; i < parts; i++) out += next() < 0.4 ? CODES[Math.floor(next() * CODES.length)] : TEXT[Math.floor(next() * TEXT.length)];
  return out;
}

const blank = (): StyledChar => ({ type: 'char', value: ' ', fullWidth: false, styles: [] });

describe('Ink with remembered widths and tokens', () => {
  it('is built against the Ink and ansi-tokenize files that were read for it', () => {
    expect(INK_FILES_MEMOISED.map((f) => `ink/${f}`).sort()).toEqual(Object.keys(READ).filter((f) => f.startsWith('ink/')).sort());
    for (const [file, hash] of Object.entries(READ)) {
      const path = file.startsWith('ink/') ? join(inkRoot, file.slice(4)) : join(tokenizeRoot, file.slice('ansi-tokenize/'.length));
      expect({ file, hash: sha256(path) }).toEqual({ file, hash });
    }
  });

  it('answers what ansi-tokenize and string-width answer, line by line and row by row', () => {
    const next = rng(15);
    const tok = rememberTokenize(tokenize);
    const chars = rememberStyledChars(styledCharsFromTokens);
    const toString = fastCharsToString(ansiCodesToString, diffAnsiCodes);
    const width = rememberWidth(stringWidth);
    const lines = Array.from({ length: 300 }, () => line(next));
    // Each line twice: once computed, once remembered.
    for (const text of [...lines, ...lines]) {
      expect(tok(text)).toEqual(tokenize(text));
      expect(chars(tok(text))).toEqual(styledCharsFromTokens(tokenize(text)));
      expect(width(text)).toBe(stringWidth(text));
      // A row as Ink's grid holds it: cells of a line (maybe two), then blank cells.
      const row = [...chars(tok(text)), ...(next() < 0.5 ? chars(tok(lines[Math.floor(next() * lines.length)]!)) : []), ...Array.from({ length: Math.floor(next() * 4) }, blank)];
      expect(toString(row)).toBe(styledCharsToString(row));
    }
  });

  it('resolves only Ink’s three helpers to remembered versions', () => {
    for (const pkg of ['widest-line', 'string-width', '@alcalzone/ansi-tokenize']) expect(memoisedModule(pkg, '/m.ts')).toContain('/m.ts');
    expect(memoisedModule('slice-ansi', '/m.ts')).toBeUndefined();
  });
});

describe('memoize', () => {
  it('computes each key once while it is remembered, and again after it is forgotten', () => {
    let calls = 0;
    const double = memoize((k: string) => {
      calls++;
      return k + k;
    }, 2);
    expect([double('a'), double('a'), double('b')]).toEqual(['aa', 'aa', 'bb']);
    expect(calls).toBe(2);
    double('c'); // a and b move to the older generation
    double('d');
    double('e'); // c, d older; a and b forgotten
    calls = 0;
    expect(double('a')).toBe('aa');
    expect(calls).toBe(1);
  });
});
