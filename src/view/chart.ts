// The chart of one metric: canary and baseline over a time window, with the warn and rollback
// thresholds drawn across it, the y axis labelled in the metric's unit. asciichart draws each
// series on the same scale; this module buckets the points by absolute time (so the picture
// only shifts when a bucket completes, not on every poll), leaves gaps where a series had no
// data, and composes the layers into tagged cells a component can colour.

import { plot } from 'asciichart';
import type { Unit } from '../profile/units.js';
import { axisFormatter } from './axis.js';
import { formatDuration } from '../profile/duration.js';
import type { Samples } from '../engine/types.js';

export type ChartTone = 'axis' | 'canary' | 'baseline' | 'warn' | 'rollback';

export interface ChartSpan {
  text: string;
  tone: ChartTone;
}

export interface ChartThreshold {
  severity: 'warn' | 'rollback';
  value: number;
}

export interface ChartInput {
  canary: Samples;
  baseline: Samples;
  thresholds: readonly ChartThreshold[];
  unit: Unit;
  windowMs: number;
  now: number;
  /** The metric's poll interval: silence longer than two of them is drawn as a gap. */
  intervalMs: number;
  /** Columns for labels, axis and data together. */
  width: number;
  /** Lines for the plot itself (the time axis comes on top of these). */
  height: number;
}

export interface ChartPlot {
  /** One entry per plot line, top first, as runs of one tone. */
  lines: ChartSpan[][];
  /** The line under the plot: the window's start, middle and `now`. */
  timeAxis: string;
  bucketMs: number;
  /** Thresholds too far from the data to draw without flattening it; the legend names them. */
  offScale: ChartThreshold[];
  /** True when neither series has a point in the window. */
  empty: boolean;
}

/** Glyphs for the layers drawn under the canary line, so they read apart without colour. */
export const THRESHOLD_GLYPH: Record<ChartThreshold['severity'], string> = { warn: '┈', rollback: '┅' };
const BASELINE_GLYPH: Record<string, string> = { '─': '╌', '│': '╎' };

interface Bucketed {
  /** Values to plot, short gaps filled so asciichart can draw a continuous line. */
  values: number[];
  /** Which of those values are fills across a real gap, drawn as blanks. */
  gap: boolean[];
  present: boolean;
}

/**
 * The last point in each bucket. A bucket without a point carries the previous value when that
 * point is recent (samples are sparser than columns), and is a gap when the series went silent.
 */
function bucket(samples: Samples, first: number, count: number, bucketMs: number, maxGapMs: number): Bucketed {
  // Which sample each bucket shows (-1 for none): only the samples inside the buckets are read.
  const raw = new Int32Array(count).fill(-1);
  const end = samples.lowerBound((first + count) * bucketMs);
  for (let k = samples.lowerBound(first * bucketMs); k < end; k++) {
    if (!Number.isFinite(samples.valueAt(k))) continue;
    const i = Math.floor(samples.timeAt(k) / bucketMs) - first;
    // Samples are in time order, so the last one in a bucket wins: the freshest reading.
    if (i >= 0 && i < count) raw[i] = k;
  }
  const firstPoint = raw.find((k) => k >= 0);
  if (firstPoint === undefined) return { values: [], gap: [], present: false };
  let carry = -1;
  const values: number[] = [];
  const gap: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const k = raw[i]!;
    if (k >= 0) carry = k;
    const start = (first + i) * bucketMs;
    gap.push(k < 0 && (carry < 0 || start - samples.timeAt(carry) > maxGapMs));
    values.push(samples.valueAt(k >= 0 ? k : carry >= 0 ? carry : firstPoint));
  }
  return { values, gap, present: true };
}

function rowsFor(min: number, max: number, height: number): number {
  const ratio = height / (max - min);
  return Math.abs(Math.round(max * ratio) - Math.round(min * ratio)) + 1;
}

/** The row asciichart puts a value on, for a given scale (same arithmetic as asciichart). */
function rowOf(value: number, min: number, max: number, height: number, rows: number): number {
  const ratio = height / (max - min);
  return rows - 1 - (Math.round(value * ratio) - Math.round(min * ratio));
}

/** A threshold may stretch the scale to at most this many times the data's own span. */
const THRESHOLD_STRETCH = 4;

/** The value range a plot uses, and the thresholds left off it; the legend is written from these before plotting. */
export function scale(input: Pick<ChartInput, 'canary' | 'baseline' | 'thresholds' | 'unit' | 'now'>, from: number): { min: number; max: number; offScale: ChartThreshold[] } {
  // From the raw points, not the buckets: a spike between two columns still sets the scale.
  const data: number[] = [];
  for (const series of [input.canary, input.baseline]) {
    const end = series.upperBound(input.now);
    for (let k = series.lowerBound(from); k < end; k++) {
      const v = series.valueAt(k);
      if (Number.isFinite(v)) data.push(v);
    }
  }
  const thresholds = input.thresholds.filter((t) => Number.isFinite(t.value));
  let min = data.length > 0 ? Math.min(...data) : Math.min(0, ...thresholds.map((t) => t.value));
  let max = data.length > 0 ? Math.max(...data) : Math.max(1, ...thresholds.map((t) => t.value));
  // A threshold far from the data would squash the line flat: it is named as off scale instead.
  const allowed = THRESHOLD_STRETCH * Math.max(max - min, Math.abs(max) / 2);
  const offScale: ChartThreshold[] = [];
  for (const t of [...thresholds].sort((a, b) => Math.abs(a.value - max) - Math.abs(b.value - max))) {
    const lo = Math.min(min, t.value);
    const hi = Math.max(max, t.value);
    if (data.length > 0 && hi - lo > allowed) offScale.push(t);
    else [min, max] = [lo, hi];
  }
  if (max === min) {
    const pad = Math.abs(min) * 0.1 || (input.unit === 'ratio' ? 0.01 : 1);
    min -= min === 0 ? 0 : pad;
    max += pad;
  }
  return { min, max, offScale };
}

function timeAxis(labelWidth: number, columns: number, windowMs: number): string {
  const start = `-${formatDuration(windowMs)}`;
  const mid = `-${formatDuration(windowMs / 2)}`;
  const end = 'now';
  const line = new Array<string>(labelWidth + 1 + columns).fill(' ');
  const put = (text: string, at: number) => {
    for (let i = 0; i < text.length; i++) if (at + i >= 0 && at + i < line.length) line[at + i] = text[i]!;
  };
  put(start, labelWidth + 1);
  if (columns >= start.length + mid.length + end.length + 4) put(mid, labelWidth + 1 + Math.floor(columns / 2) - Math.floor(mid.length / 2));
  put(end, line.length - end.length);
  return line.join('').trimEnd();
}

function runs(cells: { ch: string; tone: ChartTone }[]): ChartSpan[] {
  const out: ChartSpan[] = [];
  for (const cell of cells) {
    const last = out[out.length - 1];
    if (last && last.tone === cell.tone) last.text += cell.ch;
    else out.push({ text: cell.ch, tone: cell.tone });
  }
  return out;
}

/** Plots a metric into at most `height` lines of at most `width` columns. */
export function plotChart(input: ChartInput): ChartPlot {
  const height = Math.max(2, input.height);
  const { min, max, offScale } = scale(input, input.now - input.windowMs);
  let h = height - 1;
  while (h > 1 && rowsFor(min, max, h) > height) h--;
  const rows = rowsFor(min, max, h);
  const label = axisFormatter(min, max, rows, input.unit);
  const labels = Array.from({ length: rows }, (_, y) => label(max - (y * (max - min)) / Math.max(1, rows - 1)));
  const labelWidth = Math.max(2, ...labels.map((l) => l.length)) + 1;
  const columns = Math.max(4, input.width - labelWidth - 1);
  const bucketMs = Math.max(1, Math.ceil(input.windowMs / columns));
  // One bucket more than there are columns: asciichart draws the step into each value.
  const first = Math.floor(input.now / bucketMs) - columns;
  const maxGapMs = Math.max(bucketMs, 2 * input.intervalMs);
  const canary = bucket(input.canary, first, columns + 1, bucketMs, maxGapMs);
  const baseline = bucket(input.baseline, first, columns + 1, bucketMs, maxGapMs);

  const format = (value: number) => label(value).padStart(labelWidth);
  const config = { min, max, height: h, offset: 2, format };
  // Each series is plotted alone on the same scale so its cells can be told apart and its gaps blanked.
  const grids = new Map<'canary' | 'baseline', string[][]>();
  for (const [name, series] of [['canary', canary], ['baseline', baseline]] as const) {
    if (!series.present) continue;
    // Fills from just before the window may lie outside the scale; asciichart cannot draw those.
    const values = series.values.map((v) => Math.min(max, Math.max(min, v)));
    grids.set(name, plot(values, config).split('\n').map((line) => Array.from(line)));
  }
  const axisGrid = (grids.get('canary') ?? grids.get('baseline') ?? plot([min, max], config).split('\n').map((l) => Array.from(l)));

  const thresholdRows = new Map<number, ChartThreshold['severity']>();
  for (const t of input.thresholds) {
    if (!Number.isFinite(t.value) || t.value < min || t.value > max) continue;
    const row = rowOf(t.value, min, max, h, rows);
    if (thresholdRows.get(row) !== 'rollback') thresholdRows.set(row, t.severity);
  }

  const canaryGrid = grids.get('canary');
  const baselineGrid = grids.get('baseline');
  const lines: ChartSpan[][] = [];
  for (let y = 0; y < rows; y++) {
    const axisRow = axisGrid[y] ?? [];
    const threshold = thresholdRows.get(y);
    const cells: { ch: string; tone: ChartTone }[] = [];
    const label = axisRow.slice(0, labelWidth).join('');
    cells.push(...Array.from(label.padStart(labelWidth)).map((ch) => ({ ch, tone: 'axis' as const })));
    cells.push({ ch: axisRow[labelWidth] ?? '┤', tone: 'axis' });
    for (let c = 0; c < columns; c++) {
      const value = c + 1;
      const at = labelWidth + 1 + c;
      const canaryCh = canaryGrid && !canary.gap[value] ? canaryGrid[y]![at] : undefined;
      const baselineCh = baselineGrid && !baseline.gap[value] ? baselineGrid[y]![at] : undefined;
      if (canaryCh && canaryCh !== ' ') cells.push({ ch: canaryCh, tone: 'canary' });
      else if (baselineCh && baselineCh !== ' ') cells.push({ ch: BASELINE_GLYPH[baselineCh] ?? baselineCh, tone: 'baseline' });
      else if (threshold) cells.push({ ch: THRESHOLD_GLYPH[threshold], tone: threshold });
      else cells.push({ ch: ' ', tone: 'axis' });
    }
    lines.push(runs(cells));
  }
  return { lines, timeAxis: timeAxis(labelWidth, columns, input.windowMs), bucketMs, offScale, empty: !canary.present && !baseline.present };
}
