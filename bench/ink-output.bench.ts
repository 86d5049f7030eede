// The changed-cells filter (src/console/ink-output.ts) runs on every frame Ink writes, so its cost
// is part of the console's CPU per update: here a 120-column frame of 38 rows, 20 of them
// rewritten per update the way Ink writes them (metric rows whose value and sparkline moved), and
// the bytes that reach the terminal beside the bytes Ink wrote. Once with only the sparkline's
// last cell changing, once with full sparklines scrolling a cell left, as they do once a poll.

import { performance } from 'node:perf_hooks';
import { changedCellsOnly } from '../src/console/ink-output.js';
import type { BenchResult } from './result.js';

const ROWS = 38;
const CHANGED = 20;
const UPDATES = 500;

const spark = '▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂';
/** The 40 sparkline cells of a metric row at a tick: the last cell moving, or the whole line scrolling. */
const sparks = {
  last: (i: number, tick: number) => `${spark}${'▁▂▃▄▅▆▇█'[(i + tick) % 8]}`,
  scrolling: (i: number, tick: number) => (spark + spark).slice((i + tick) % 16, ((i + tick) % 16) + 40),
};
/** A metric row as chalk colours it, 119 columns wide, its value and its sparkline moving. */
const row = (i: number, tick: number, trend: (i: number, tick: number) => string) =>
  `\x1b[1m\x1b[36m› \x1b[39mmetric ${String(i).padEnd(8)}\x1b[22m  ${(0.4 + ((i + tick) % 7) / 100).toFixed(2)}% \x1b[90m    0.3%  +33% > 1%      \x1b[32m✓ ok      \x1b[90m${trend(i, tick)}${' '.repeat(20)}\x1b[39m`;

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [kind, trend] of Object.entries(sparks)) {
    const filter = changedCellsOnly();
    filter(Array.from({ length: ROWS }, (_, i) => row(i, 0, trend)).join('\n') + '\n');
    const writes: string[] = [];
    for (let tick = 1; tick <= UPDATES; tick++) {
      let w = `\x1b[${ROWS}A`;
      for (let i = 0; i < ROWS; i++) w += i < CHANGED ? `\x1b[1G${row(i, tick, trend)}\x1b[K\n` : '\x1b[E';
      writes.push(w);
    }
    let out = 0;
    const start = performance.now();
    for (const w of writes) out += Buffer.byteLength(filter(w));
    const ms = (performance.now() - start) / UPDATES;
    const inBytes = writes.reduce((n, w) => n + Buffer.byteLength(w), 0) / UPDATES;
    const name = kind === 'last' ? 'ink_output' : `ink_output.${kind}`;
    const what = kind === 'last' ? 'the last sparkline cell changing' : 'full sparklines scrolling a cell';
    results.push(
      { name: `${name}.ms_per_update`, value: ms, unit: 'ms', note: `${CHANGED} of ${ROWS} rows rewritten by Ink, 120 columns, ${what}` },
      { name: `${name}.bytes_per_update`, value: out / UPDATES, unit: 'B', note: `Ink wrote ${Math.round(inBytes)} B for the same update` },
    );
  }
  return results;
}
