import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ansiCodesToString, diffAnsiCodes, styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import stringWidth from 'string-width';
import sliceAnsi from 'slice-ansi';
import widestLine from 'widest-line';
import { fastCharsToString, rememberStyledChars, rememberTokenize, rememberWidth } from '../../src/console/ink-memo.js';
import { rowMemoOutput, type Clip, type InkOutput } from '../../src/console/ink-rows.js';
import { INK_OUTPUT_FILE, outputModule } from '../../src/build/ink-memo.js';

const inkRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', 'ink');
/** The output.js that src/console/ink-rows.ts copies. After an Ink upgrade: compare, copy again, then update. */
const OUTPUT_JS_READ = '6fd68da37e1e7519225b7a95a405b78f55d4db2345fb7173dbe6929dc8ebda99';

type OutputClass = new (options: { width: number; height: number }) => InkOutput;
const inkOutput = async () => ((await import(pathToFileURL(join(inkRoot, INK_OUTPUT_FILE)).href)) as { default: OutputClass }).default;

/** What the bundle builds: the row-remembering Output over Ink's remembered helpers. */
const bundled = (): OutputClass =>
  rowMemoOutput({
    sliceAnsi,
    stringWidth: rememberWidth(stringWidth),
    widestLine: rememberWidth(widestLine),
    tokenize: rememberTokenize(tokenize),
    styledCharsFromTokens: rememberStyledChars(styledCharsFromTokens),
    styledCharsToString: fastCharsToString(ansiCodesToString, diffAnsiCodes),
  });

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const CODES = ['\x1b[31m', '\x1b[32m', '\x1b[39m', '\x1b[1m', '\x1b[22m', '\x1b[7m', '\x1b[27m', '\x1b[90m', '\x1b[0m'];
const TEXT = ['a', 'metric', ' ', '  ', '█', '░', '▶', '✓', '日本', '…', '0.42%', '→', '⠁'];

type Op = { kind: 'write'; x: number; y: number; text: string; upper: boolean } | { kind: 'clip'; clip: Clip } | { kind: 'unclip' };

/** A frame's operations, like Ink's: lines at places, some several rows tall, some clipped, some off the grid. */
function frame(next: () => number, pool: string[], width: number, height: number): Op[] {
  const ops: Op[] = [];
  const pick = (n: number) => Math.floor(next() * n);
  for (let i = 0, n = 2 + pick(height * 2); i < n; i++) {
    const roll = next();
    if (roll < 0.08) ops.push({ kind: 'clip', clip: next() < 0.5 ? { x1: pick(width), x2: pick(width * 2), y1: pick(height), y2: pick(height * 2) } : { x1: pick(width), x2: width - pick(3) } });
    else if (roll < 0.14) ops.push({ kind: 'unclip' });
    else {
      const lines = Array.from({ length: next() < 0.8 ? 1 : 1 + pick(3) }, () => pool[pick(pool.length)]!);
      const x = next() < 0.7 ? 0 : pick(width + 4) - 2;
      const y = next() < 0.95 ? pick(height + 1) : -1;
      ops.push({ kind: 'write', x, y, text: lines.join('\n'), upper: next() < 0.1 });
    }
  }
  return ops;
}

function line(next: () => number): string {
  let out = '';
  for (let i = 0, n = Math.floor(next() * 14); i < n; i++) out += next() < 0.35 ? CODES[Math.floor(next() * CODES.length)] : TEXT[Math.floor(next() * TEXT.length)];
  return out;
}

function draw(Output: OutputClass, ops: Op[], width: number, height: number): { output: string; height: number } {
  const output = new Output({ width, height });
  const upper = (text: string) => text.toUpperCase();
  for (const op of ops) {
    if (op.kind === 'write') output.write(op.x, op.y, op.text, { transformers: op.upper ? [upper] : [] });
    else if (op.kind === 'clip') output.clip(op.clip);
    else output.unclip();
  }
  return output.get();
}

describe("Ink's Output with rows remembered", () => {
  it('is a copy of the output.js of the Ink that is installed', () => {
    const hash = createHash('sha256').update(readFileSync(join(inkRoot, INK_OUTPUT_FILE))).digest('hex');
    expect(hash).toBe(OUTPUT_JS_READ);
  });

  it('gives what Ink gives, frame after frame, when few lines change and when many do', async () => {
    const Ink = await inkOutput();
    const Rows = bundled();
    const next = rng(15);
    for (let run = 0; run < 40; run++) {
      const width = 1 + Math.floor(next() * 30);
      const height = 1 + Math.floor(next() * 10);
      const pool = Array.from({ length: 4 + Math.floor(next() * 20) }, () => line(next));
      let ops = frame(next, pool, width, height);
      for (let f = 0; f < 12; f++) {
        expect(draw(Rows, ops, width, height)).toEqual(draw(Ink, ops, width, height));
        // The next frame: most operations as they were, a few new, or a new frame altogether.
        if (next() < 0.2) ops = frame(next, pool, width, height);
        else ops = ops.map((op) => (op.kind === 'write' && next() < 0.2 ? { ...op, text: pool[Math.floor(next() * pool.length)]! } : op));
      }
    }
  });

  it('draws a row again when the width changed, though its lines did not', async () => {
    const Ink = await inkOutput();
    const Rows = bundled();
    const ops: Op[] = [{ kind: 'write', x: 0, y: 0, text: '\x1b[31mabc\x1b[39m  ', upper: false }];
    for (const width of [10, 2, 10]) expect(draw(Rows, ops, width, 1)).toEqual(draw(Ink, ops, width, 1));
  });

  it('is what the bundle loads for Ink’s output.js, over the helpers Ink imports', () => {
    const module = outputModule('/x/ink-rows.ts');
    expect(module).toContain('import { rowMemoOutput } from "/x/ink-rows.ts"');
    for (const pkg of ["'slice-ansi'", "'string-width'", "'widest-line'", "'@alcalzone/ansi-tokenize'"]) expect(module).toContain(pkg);
  });
});
