// Runs every bench/*.bench.ts (built to dist/bench) and prints each figure beside the committed
// baseline (bench/baseline.json) and the budget, so a regression is visible at a glance.
// `npm run bench -- --update-baseline` rewrites the baseline from this run.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.js';

const here = dirname(fileURLToPath(import.meta.url));
const baselineFile = join(here, '..', '..', 'bench', 'baseline.json');

type Baseline = Record<string, { value: number; unit: string }>;

async function readBaseline(): Promise<Baseline> {
  try {
    return JSON.parse(await readFile(baselineFile, 'utf8')) as Baseline;
  } catch {
    return {};
  }
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

function verdict(r: BenchResult, base?: number): string {
  const lower = r.lowerIsBetter !== false;
  const over = r.budget !== undefined && (lower ? r.value > r.budget : r.value < r.budget);
  if (over) return 'OVER BUDGET';
  if (base === undefined) return 'new';
  if (base === 0) return r.value === 0 ? 'ok' : 'regressed';
  const change = (r.value - base) / Math.abs(base);
  const worse = lower ? change > 0.2 : change < -0.2;
  return worse ? `regressed ${(change * 100).toFixed(0)}%` : 'ok';
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const update = process.argv.includes('--update-baseline');
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort();
  const baseline = await readBaseline();
  const results: BenchResult[] = [];
  for (const file of files) {
    const name = file.replace(/\.bench\.js$/, '');
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    const mod = (await import(join(here, file))) as { run: () => Promise<BenchResult[]> };
    try {
      results.push(...(await mod.run()));
    } catch (error) {
      process.stderr.write(`bench: ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
  const rows = results.map((r) => {
    const base = baseline[r.name]?.value;
    return [r.name, `${fmt(r.value)} ${r.unit}`, base === undefined ? '—' : `${fmt(base)} ${r.unit}`, r.budget === undefined ? '—' : `${r.lowerIsBetter === false ? '≥' : '≤'} ${fmt(r.budget)}`, verdict(r, base), r.note ?? ''];
  });
  const header = ['benchmark', 'this run', 'baseline', 'budget', 'verdict', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  if (update) {
    const next: Baseline = { ...baseline };
    for (const r of results) next[r.name] = { value: r.value, unit: r.unit };
    await writeFile(baselineFile, JSON.stringify(next, null, 2) + '\n');
    console.log(`baseline written: ${baselineFile}`);
  }
}

await main();
