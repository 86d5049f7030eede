// The changed-cells filter (src/console/ink-output.ts) runs on every frame Ink writes, so its cost
// is part of the console's CPU per update: here a 120-column frame of 38 rows, 20 of them
// rewritten per update the way Ink writes them (metric rows whose value and sparkline moved), and
// the bytes that reach the terminal beside the bytes Ink wrote.

import { performance } from 'node:perf_hooks';
import { changedCellsOnly } from '../src/console/ink-output.js';
import type { BenchResult } from './result.js';

const ROWS = 38;
const CHANGED = 20;
const UPDATES = 500;

const spark = '▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂';
/** A metric row as chalk colours it, 119 columns wide, its value and last sparkline cell moving. */
const row = (i: number, tick: number) =>
  `\x1b[1m\x1b[36m› \x1b[39mmetric ${String(i).padEnd(8)}\x1b[22m  ${(0.4 + ((i + tick) % 7) / 100).toFixed(2)}% \x1b[90m    0.3%  +33% > 1%      \x1b[32m✓ ok      \x1b[90m${spark}${'▁▂▃▄▅▆▇█'[(i + tick) % 8]}${' '.repeat(20)}\x1b[39m`;

export async function run(): Promise<BenchResult[]> {
  const filter = changedCellsOnly();
  filter(Array.from({ length: ROWS }, (_, i) => row(i, 0)).join('\n') + '\n');
  const writes: string[] = [];
  for (let tick = 1; tick <= UPDATES; tick++) {
    let w = `\x1b[${ROWS}A`;
    for (let i = 0; i < ROWS; i++) w += i < CHANGED ? `\x1b[1G${row(i, tick)}\x1b[K\n` : '\x1b[E';
    writes.push(w);
  }
  let out = 0;
  const start = performance.now();
  for (const w of writes) out += Buffer.byteLength(filter(w));
  const ms = (performance.now() - start) / UPDATES;
  const inBytes = writes.reduce((n, w) => n + Buffer.byteLength(w), 0) / UPDATES;
  return [
    { name: 'ink_output.ms_per_update', value: ms, unit: 'ms', note: `${CHANGED} of ${ROWS} rows rewritten by Ink, 120 columns` },
    { name: 'ink_output.bytes_per_update', value: out / UPDATES, unit: 'B', note: `Ink wrote ${Math.round(inBytes)} B for the same update` },
  ];
}
