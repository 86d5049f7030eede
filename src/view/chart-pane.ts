// The chart section: the selected metric's plot over the chosen window, its name, unit and legend,
// memoised so a frame that changes elsewhere does not plot again.

import { formatValue } from '../profile/units.js';
import { formatDuration } from '../profile/duration.js';
import { plotChart, scale, THRESHOLD_GLYPH, type ChartThreshold } from './chart.js';
import { truncate } from './format.js';
import type { Layout } from './layout.js';
import { clip, s, spread, title, widthOf, type Line, type Span } from './line.js';
import type { ModelInput } from './model-input.js';
import { pickGroup } from './table.js';
import { SampleView } from '../engine/sample-view.js';
import { CHART_WINDOWS_MS } from './ui.js';

export function chartLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const w = layout.width;
  const status = state.snapshot.metrics[ui.selected];
  const windowMs = CHART_WINDOWS_MS[ui.windowIndex] ?? CHART_WINDOWS_MS[1];
  if (!status) return [title('chart', false, w)];
  const group = pickGroup(state.series[status.id], status);
  const thresholds: ChartThreshold[] = status.thresholds
    .filter((t): t is typeof t & { severity: 'warn' | 'rollback'; threshold: number } => t.severity !== 'info' && t.threshold !== undefined)
    .map((t) => ({ severity: t.severity, value: t.threshold }));

  const interval = state.profile.metrics[status.id]?.intervalMs ?? state.profile.defaults.intervalMs;
  const canary = group?.canary ?? SampleView.EMPTY;
  const baseline = group?.baseline ?? SampleView.EMPTY;
  // The legend (and so how many lines the head takes) comes first: the plot gets what is left,
  // so a legend that wraps under the name never pushes the plot's bottom row off the section.
  const { offScale } = scale({ canary, baseline, thresholds, unit: status.unit, now: state.now }, state.now - windowMs);
  const legend: Span[] = [s('━ canary', 'canary')];
  if (baseline.length > 0) legend.push(s('  ╌ baseline', 'baseline'));
  for (const t of thresholds) {
    const isOff = offScale.some((o) => o.severity === t.severity && o.value === t.value);
    const off = isOff ? (t.value > (status.value ?? 0) ? ' ↑ off scale' : ' ↓ off scale') : '';
    legend.push(s(`  ${THRESHOLD_GLYPH[t.severity]} ${t.severity} ${formatValue(t.value, status.unit)}${off}`, t.severity === 'warn' ? 'warn' : 'bad'));
  }
  const name: Line = [s('  '), s(status.title, 'title', { bold: true }), s(` (${status.unit}) · last ${formatDuration(windowMs)}`, 'muted'), s('  [/] window', 'muted')];
  // The legend goes beside the name when it fits, else under it (the plot gives up a line).
  const head: Line[] = widthOf(name) + widthOf(legend) + 2 <= w ? [spread(name, legend, w)] : [clip(name, w), clip([s('  '), ...legend], w)];
  const plotHeight = Math.max(2, height - head.length - 1);
  // Buckets are aligned to absolute time: between new data and bucket boundaries nothing redraws.
  const slot = Math.floor(state.now / Math.max(1, Math.floor(windowMs / w)));
  const key = JSON.stringify([state.seriesVersion, slot, status.id, group?.key, windowMs, w, plotHeight, thresholds]);
  const memo = input.chartMemo;
  let plot = memo?.key === key ? memo.plot : undefined;
  if (!plot) {
    plot = plotChart({ canary, baseline, thresholds, unit: status.unit, windowMs, now: state.now, intervalMs: interval, width: w, height: plotHeight });
    if (memo) Object.assign(memo, { key, plot });
  }
  if (plot.empty) return [...head, [s(`  no data in the last ${formatDuration(windowMs)}`, 'muted')]];
  const lines: Line[] = [...head, ...plot.lines.map((l) => clip(l.map((c) => s(c.text, c.tone === 'axis' ? 'muted' : c.tone === 'rollback' ? 'bad' : c.tone)), w))];
  // The time axis is the last line, whatever the plot left room for.
  return [...lines.slice(0, height - 1), [s(truncate(plot.timeAxis, w), 'muted')]];
}
