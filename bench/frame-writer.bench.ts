// The frame writer (src/console/frame-writer.ts) runs on every frame, so its cost is part of the
// console's CPU per update: here a 120-column frame of 38 rows, 20 of them changed per update
// (metric rows whose value and sparkline moved), and the bytes that reach the terminal beside the
// bytes a whole-row rewrite would send. Once with only the sparkline's last cell changing, once
// with full sparklines scrolling a cell left, as they do once a poll.

import { performance } from 'node:perf_hooks';
import { frameWriter, paintLine } from '../src/console/frame-writer.js';
import type { Line } from '../src/view/line.js';
import type { BenchResult } from './result.js';

const COLUMNS = 120;
const ROWS = 38;
const CHANGED = 20;
const UPDATES = 500;

const spark = '▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂▁▂▃▄▅▆▇█▇▆▅▄▃▂';
/** The 40 sparkline cells of a metric row at a tick: the last cell moving, or the whole line scrolling. */
const sparks = {
  last: (i: number, tick: number) => `${spark}${'▁▂▃▄▅▆▇█'[(i + tick) % 8]}`,
  scrolling: (i: number, tick: number) => (spark + spark).slice((i + tick) % 16, ((i + tick) % 16) + 40),
};
/** A metric row as the view model makes it, 119 columns wide, its value and its sparkline moving. */
const row = (i: number, tick: number, trend: (i: number, tick: number) => string): Line => [
  { text: '› ', tone: 'accent', bold: true },
  { text: `metric ${String(i).padEnd(8)}`, bold: true },
  { text: `  ${(0.4 + ((i + tick) % 7) / 100).toFixed(2)}% ` },
  { text: '    0.3%  +33% > 1%      ', tone: 'muted' },
  { text: '✓ ok      ', tone: 'ok' },
  { text: `${trend(i, tick)}${' '.repeat(20)}`, tone: 'muted' },
];

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [kind, trend] of Object.entries(sparks)) {
    const writer = frameWriter(COLUMNS);
    const frames: Line[][] = [];
    for (let tick = 0; tick <= UPDATES; tick++) frames.push(Array.from({ length: ROWS }, (_, i) => row(i, i < CHANGED ? tick : 0, trend)));
    writer.update(frames[0]!, true);
    let out = 0;
    const start = performance.now();
    for (const frame of frames.slice(1)) out += Buffer.byteLength(writer.update(frame, true));
    const ms = (performance.now() - start) / UPDATES;
    // What rewriting each changed row whole would send: its position, its text, erase to its end.
    const whole = frames.slice(1).reduce((n, frame) => n + frame.slice(0, CHANGED).reduce((m, line) => m + Buffer.byteLength(`\x1b[1;1H${paintLine(line, true)}\x1b[K`), 0), 0) / UPDATES;
    const name = kind === 'last' ? 'frame_writer' : `frame_writer.${kind}`;
    const what = kind === 'last' ? 'the last sparkline cell changing' : 'full sparklines scrolling a cell';
    results.push(
      { name: `${name}.ms_per_update`, value: ms, unit: 'ms', note: `${CHANGED} of ${ROWS} rows changed, ${COLUMNS} columns, ${what}` },
      { name: `${name}.bytes_per_update`, value: out / UPDATES, unit: 'B', note: `rewriting the changed rows whole: ${Math.round(whole)} B` },
    );
  }
  return results;
}
