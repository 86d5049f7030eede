// Snapshot + series + console state + terminal size → a view model: which sections fit, and every
// line already formatted and truncated to the width. Pure: components only draw what this returns,
// so everything an operator reads is decided (and tested) here without rendering.

import type { Action, Profile } from '../profile/types.js';
import { formatValue, type Unit } from '../profile/units.js';
import { formatDuration } from '../profile/duration.js';
import type { Decision, MetricSeries, MetricState, MetricStatus, SeriesGroup } from '../engine/types.js';
import type { RolloutState } from '../engine/state.js';
import { render as renderArgv, templateValues } from '../actions/template.js';
import type { ConsoleEvent, ConsoleState, EventLevel } from './console-state.js';
import { displayWidth, ellipsize, fit, formatClock, formatClockSeconds, formatCountdown, formatElapsed, formatPercentChange, truncate } from './format.js';
import { keyLabel, type Binding, type Keymap } from './keymap.js';
import { planLayout, type Layout, type SectionKind, type TerminalSize } from './layout.js';
import { sparkline } from './sparkline.js';
import { plotChart, THRESHOLD_GLYPH, type ChartPlot, type ChartThreshold } from './chart.js';
import { CHART_WINDOWS_MS, type UiState } from './ui.js';

export type Tone = 'ok' | 'pending' | 'warn' | 'bad' | 'muted' | 'accent' | 'canary' | 'baseline' | 'title';

export interface Span {
  text: string;
  tone?: Tone;
  bold?: boolean;
  inverse?: boolean;
}

export type Line = readonly Span[];

export interface Section {
  kind: SectionKind;
  lines: Line[];
}

export interface ViewModel {
  /** Lines in the frame (rows − 1) and columns a line may use (columns − 1). */
  height: number;
  width: number;
  color: boolean;
  header: Line[];
  sections: Section[];
  /** Empty lines between the sections and the footer, so the footer sits on the last line. */
  gap: number;
  footer?: Line;
}

/** A one-entry memo for the chart, the costly part of a frame: redrawn only when its inputs change. */
export interface ChartMemo {
  key?: string;
  plot?: ChartPlot;
}

export interface ModelInput {
  /** What the screen shows: the live state, or the copy taken when the screen was frozen. */
  state: ConsoleState;
  /** Always the live state: countdowns, running actions and questions are never frozen. */
  live: ConsoleState;
  ui: UiState;
  size: TerminalSize;
  keymap: Keymap;
  color: boolean;
  chartMemo?: ChartMemo;
}

const STATE_LOOK: Record<MetricState, { symbol: string; tone: Tone }> = {
  ok: { symbol: '✓', tone: 'ok' },
  pending: { symbol: '…', tone: 'pending' },
  warn: { symbol: '!', tone: 'warn' },
  breach: { symbol: '✗', tone: 'bad' },
  nodata: { symbol: '?', tone: 'warn' },
  error: { symbol: '⚠', tone: 'bad' },
  stale: { symbol: '~', tone: 'warn' },
};

export const DECISION_TONE: Record<Decision, Tone> = { PROMOTE: 'ok', SOAK: 'accent', HOLD: 'warn', ROLLBACK: 'bad' };
const LEVEL_LOOK: Record<EventLevel, { symbol: string; tone: Tone }> = {
  info: { symbol: '·', tone: 'muted' },
  ok: { symbol: '✓', tone: 'ok' },
  warn: { symbol: '!', tone: 'warn' },
  bad: { symbol: '✗', tone: 'bad' },
};

// ── lines ──────────────────────────────────────────────────────────────────────────────────

const s = (text: string, tone?: Tone, extra?: { bold?: boolean; inverse?: boolean }): Span => ({ text, ...(tone ? { tone } : {}), ...extra });

function widthOf(line: Line): number {
  return line.reduce((n, span) => n + displayWidth(span.text), 0);
}

/** Cuts a line to `width` columns, the cut marked with `…`. */
export function clip(line: Line, width: number): Line {
  if (widthOf(line) <= width) return line;
  const out: Span[] = [];
  let left = width;
  for (const span of line) {
    const w = displayWidth(span.text);
    if (w < left) {
      out.push(span);
      left -= w;
      continue;
    }
    // This span reaches the edge with more to come: it carries the ellipsis.
    out.push({ ...span, text: ellipsize(span.text, left) });
    break;
  }
  return out;
}

/** Left and right parts on one line; the left is cut first. */
function spread(left: Line, right: Line, width: number): Line {
  const rw = widthOf(right);
  if (rw + 2 > width) return clip(left, width);
  const l = clip(left, width - rw - 1);
  return [...l, s(' '.repeat(width - widthOf(l) - rw)), ...right];
}

/** Parts joined by ` · `, dropping from the end until they fit. */
function parts(items: Line[], width: number, sep = ' · '): Line {
  const out: Span[] = [];
  for (const item of items) {
    const next = out.length === 0 ? [...item] : [s(sep, 'muted'), ...item];
    if (widthOf(out) + widthOf(next) > width) break;
    out.push(...next);
  }
  return out.length > 0 ? out : clip(items[0] ?? [], width);
}

function gauge(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function title(text: string, focused: boolean, width: number, right?: string): Line {
  const left: Line = [s(focused ? '▸ ' : '  ', 'accent'), s(text, focused ? 'accent' : 'title', { bold: true })];
  return right ? spread(left, [s(right, 'muted')], width) : clip(left, width);
}

// ── header ─────────────────────────────────────────────────────────────────────────────────

function badge(decision: Decision, color: boolean): Span {
  return color ? s(` ${decision} `, DECISION_TONE[decision], { bold: true, inverse: true }) : s(`[${decision}]`, undefined, { bold: true });
}

function sourceFreshness(profile: Profile, ages: ConsoleState['sourceAges']): { text: string; tone: Tone } {
  let worst: { source: string; age: number | undefined; late: number } | undefined;
  for (const source of Object.keys(profile.sources)) {
    const interval = Math.min(...Object.values(profile.metrics).filter((m) => m.source === source).map((m) => m.intervalMs));
    if (!Number.isFinite(interval)) continue;
    const age = ages[source];
    const late = age === undefined ? Infinity : age / (2 * interval + 1_000);
    if (!worst || late > worst.late) worst = { source, age, late };
  }
  if (!worst || worst.late <= 1) return { text: 'data live', tone: 'ok' };
  if (worst.age === undefined) return { text: `no data yet from ${worst.source}`, tone: 'warn' };
  return { text: `${worst.source} data ${formatDuration(Math.floor(worst.age / 1_000) * 1_000)} old`, tone: 'warn' };
}

function header(input: ModelInput, layout: Layout): Line[] {
  const { state, ui, color } = input;
  const { profile, snapshot } = state;
  const w = layout.width;
  const phase = snapshot.phase;
  const phaseText = `phase ${phase.index + 1}/${profile.phases.length} ${phase.name}`;
  const decision = state.rollout.rolledBack ? null : snapshot.decision;

  const markers: Span[] = [];
  const mark = (text: string, tone: Tone) => markers.push(s(text, tone, { bold: true }), s(' '));
  if (state.mode.readOnly) mark('READ-ONLY', 'warn');
  if (state.mode.dryRun) mark('DRY-RUN', 'warn');
  if (ui.frozen) mark(`FROZEN ${formatClockSeconds(state.now)}`, 'accent');
  if (state.mode.recording) mark('● REC', 'bad');
  if (state.mode.replay) mark('REPLAY', 'accent');
  const clock = s(formatClock(input.live.now), 'muted');
  const headline: Span[] = decision
    ? [badge(decision, color), s(' '), s(decision === 'SOAK' ? soakHeadline(snapshot) : (snapshot.reasons[0] ?? ''), DECISION_TONE[decision])]
    : [s(color ? ' ROLLED BACK ' : '[ROLLED BACK]', 'bad', { bold: true, inverse: color }), s(' '), s(rolledBackText(profile, state.rollout), 'bad')];

  if (layout.header === 1) {
    return [spread([...headline.slice(0, 2), s(phaseText, 'title'), s(' '), ...headline.slice(2)], [...markers, clock], w)];
  }

  const line1 = spread([s('rollcall ', 'muted'), s(profile.title, 'title', { bold: true })], [...markers, clock], w);
  const metCount = phase.criteria.filter((c) => c.met === true).length;
  const checked = phase.checklist.filter((c) => c.checked).length;
  const fresh = sourceFreshness(profile, state.sourceAges);
  const items: Line[] = [
    [s(phaseText, 'title', { bold: true })],
    [s(`${phase.traffic}% traffic`)],
    [s(`${formatElapsed(phase.elapsedMs)}${phase.durationMs !== undefined ? ` of ${formatDuration(phase.durationMs)}` : ''} in phase`)],
    [s(fresh.text, fresh.tone)],
  ];
  if (phase.criteria.length > 0) items.push([s(`criteria ${metCount}/${phase.criteria.length}`, metCount === phase.criteria.length ? 'ok' : 'warn')]);
  if (phase.checklist.length > 0) items.push([s(`checklist ${checked}/${phase.checklist.length}`, checked === phase.checklist.length ? 'ok' : 'warn')]);
  return [line1, parts(items, w), clip(headline, w)];
}

/**
 * Why the phase soaks, to the minute. The engine's reason counts seconds, which would redraw the
 * header every second for the first hour of every phase while nothing an operator acts on changed.
 * Same order as the engine's: the minimum duration first, then a criterion still building its hold.
 */
function soakHeadline(snapshot: ModelInput['state']['snapshot']): string {
  const phase = snapshot.phase;
  if (phase.durationMs !== undefined && (phase.remainingMs ?? 0) > 0) {
    return `soaking: ${formatElapsed(phase.elapsedMs)} of ${formatDuration(phase.durationMs)}, ${formatElapsed(phase.remainingMs!)} to go`;
  }
  const building = phase.criteria.find((c) => c.met === true && c.heldMs < c.holdMs);
  if (building) return `success: ${building.text} held ${formatElapsed(building.heldMs)} of ${formatDuration(building.holdMs)}`;
  return snapshot.reasons[0] ?? '';
}

function rolledBackText(profile: Profile, rollout: RolloutState): string {
  const rb = rollout.rolledBack;
  if (!rb) return '';
  const target = rb.phase === null ? `${rb.traffic}% traffic` : `phase ${profile.phases[rb.phase]?.name ?? rb.phase + 1}`;
  return `rolled back to ${target} at ${formatClock(rb.at)} by ${rb.by}`;
}

// ── metric table ───────────────────────────────────────────────────────────────────────────

type ColumnId = 'mark' | 'metric' | 'value' | 'base' | 'delta' | 'threshold' | 'state' | 'trend' | 'note';

interface Column {
  id: ColumnId;
  head: string;
  min: number;
  want: number;
  align: 'left' | 'right';
  /** Dropped in this order when the width is short (lower first); absent: never dropped. */
  drop?: number;
}

interface Row {
  id: string;
  cells: Record<ColumnId, Span>;
}

function pickGroup(series: MetricSeries | undefined, status: MetricStatus): SeriesGroup | undefined {
  const groups = series?.groups ?? [];
  if (status.group) {
    const hit = groups.find((g) => g.key === status.group || status.group!.endsWith(`=${g.key}`));
    if (hit) return hit;
  }
  return groups[0];
}

function thresholdCell(status: MetricStatus): { text: string; tone?: Tone } {
  const shorten = (t: string) => t.replace(/\bbaseline\b/g, 'base');
  if (status.firing) return { text: shorten(status.firing.text), tone: status.firing.severity === 'rollback' ? 'bad' : 'warn' };
  const t = status.thresholds.find((x) => x.severity === 'warn') ?? status.thresholds.find((x) => x.severity === 'rollback');
  return t ? { text: shorten(t.text), tone: 'muted' } : { text: '' };
}

function deltaCell(status: MetricStatus, unit: Unit): string {
  if (!status.delta) return '';
  if (status.delta.rel !== undefined) return formatPercentChange(status.delta.rel);
  const v = formatValue(status.delta.abs, unit);
  return status.delta.abs > 0 ? `+${v}` : v;
}

function noteCell(status: MetricStatus, countdownAuto: boolean): { text: string; tone?: Tone } {
  if (status.state === 'pending' && status.pending) return { text: `fires in ${formatCountdown(status.pending.remainingMs)}`, tone: 'pending' };
  if (status.state === 'error' && status.error) return { text: status.error, tone: 'bad' };
  if (status.state === 'breach' && status.firing?.auto && countdownAuto) return { text: 'auto-rollback', tone: 'bad' };
  if (status.state === 'stale' && status.error) return { text: status.error, tone: 'warn' };
  return { text: '' };
}

function metricRows(input: ModelInput, trendWidth: number): Row[] {
  const { state, ui } = input;
  return state.snapshot.metrics.map((status, i) => {
    const look = STATE_LOOK[status.state];
    const group = pickGroup(state.series[status.id], status);
    const values = (group?.canary ?? []).slice(-Math.max(1, trendWidth)).map((p) => p.v);
    const threshold = thresholdCell(status);
    const note = noteCell(status, input.live.countdown?.metric === status.id);
    const selected = i === ui.selected;
    return {
      id: status.id,
      cells: {
        mark: s(selected ? '›' : ' ', 'accent', { bold: true }),
        metric: s(status.title, selected ? 'title' : undefined, { bold: selected }),
        value: s(formatValue(status.value, status.unit), look.tone === 'ok' ? undefined : look.tone),
        base: s(status.baseline === undefined ? '' : formatValue(status.baseline, status.unit), 'muted'),
        delta: s(deltaCell(status, status.unit), 'muted'),
        threshold: s(threshold.text, threshold.tone),
        state: s(`${look.symbol} ${status.state}`, look.tone, { bold: status.state === 'breach' }),
        trend: s(sparkline(values, trendWidth), look.tone === 'ok' ? 'muted' : look.tone),
        note: s(note.text, note.tone),
      },
    };
  });
}

function fitColumns(columns: Column[], width: number): Column[] {
  let active = [...columns];
  const total = (cols: Column[], key: 'min' | 'want') => cols.reduce((n, c) => n + c[key], 0) + cols.length - 1;
  while (total(active, 'min') > width) {
    const victim = active.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!)[0];
    if (!victim) break;
    active = active.filter((c) => c !== victim);
  }
  // Start from the minimum and hand out what is left in reading order: metric names first.
  const widths = new Map(active.map((c) => [c.id, c.min]));
  let spare = width - total(active, 'min');
  for (const id of ['metric', 'value', 'base', 'delta', 'threshold', 'trend', 'note'] as ColumnId[]) {
    const col = active.find((c) => c.id === id);
    if (!col || spare <= 0) continue;
    const extra = Math.min(spare, Math.max(0, col.want - col.min));
    widths.set(id, col.min + extra);
    spare -= extra;
  }
  return active.map((c) => ({ ...c, min: widths.get(c.id)! }));
}

function table(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const w = layout.width;
  const statuses = state.snapshot.metrics;
  const hasBaseline = statuses.some((m) => m.baseline !== undefined);
  const probe = metricRows(input, 0);
  const longest = (id: ColumnId, head: string) => Math.max(head.length, ...probe.map((r) => displayWidth(r.cells[id].text)));
  let columns: Column[] = [
    { id: 'mark', head: '', min: 1, want: 1, align: 'left' },
    { id: 'metric', head: 'metric', min: 8, want: Math.min(28, longest('metric', 'metric')), align: 'left' },
    { id: 'value', head: 'value', min: 6, want: Math.min(10, longest('value', 'value')), align: 'right' },
    ...(hasBaseline
      ? ([
          { id: 'base', head: 'baseline', min: 6, want: Math.min(10, longest('base', 'baseline')), align: 'right', drop: 3 },
          { id: 'delta', head: 'Δ', min: 5, want: Math.min(7, longest('delta', 'Δ')), align: 'right', drop: 4 },
        ] as Column[])
      : []),
    { id: 'threshold', head: 'threshold', min: 8, want: Math.min(16, longest('threshold', 'threshold')), align: 'left', drop: 5 },
    { id: 'state', head: 'state', min: 9, want: 9, align: 'left' },
    { id: 'trend', head: 'trend', min: 6, want: 20, align: 'left', drop: 2 },
    { id: 'note', head: '', min: 8, want: Math.max(8, Math.min(60, longest('note', ''))), align: 'left', drop: 1 },
  ];
  columns = fitColumns(columns, w);
  const trend = columns.find((c) => c.id === 'trend');
  const rows = metricRows(input, trend?.min ?? 0);

  const render = (cells: (c: Column) => Span): Line => {
    const out: Span[] = [];
    columns.forEach((c, i) => {
      const cell = cells(c);
      out.push({ ...cell, text: fit(cell.text, c.min, c.align) });
      if (i < columns.length - 1) out.push(s(' '));
    });
    return clip(trimLine(out), w);
  };

  const bodyRows = Math.max(0, height - 2);
  // Scroll so the selection stays in view, centred where it can be.
  const start = Math.max(0, Math.min(ui.selected - Math.floor(bodyRows / 2), statuses.length - bodyRows));
  const shown = rows.slice(start, start + bodyRows);
  const scroll = statuses.length > bodyRows ? `${start + 1}-${start + shown.length} of ${statuses.length}` : '';
  const head = render((c) => s(c.id === 'mark' ? (ui.focus === 'metrics' ? '▸' : ' ') : c.head, c.id === 'mark' ? 'accent' : 'muted'));
  const lines: Line[] = [scroll ? spread(head, [s(scroll, 'muted')], w) : head];
  for (const row of shown) lines.push(render((c) => row.cells[c.id]));
  const selected = statuses[ui.selected];
  if (selected && height >= 2) lines.push(detail(selected, input.state.profile, w));
  return lines.slice(0, height);
}

function trimLine(line: Span[]): Span[] {
  const out = [...line];
  while (out.length > 0 && out[out.length - 1]!.text.trim() === '') out.pop();
  const last = out[out.length - 1];
  if (last) out[out.length - 1] = { ...last, text: last.text.trimEnd() };
  return out;
}

function detail(status: MetricStatus, profile: Profile, width: number): Line {
  const look = STATE_LOOK[status.state];
  const metric = profile.metrics[status.id];
  const said = status.error ?? status.reason ?? metric?.description ?? `${status.state}`;
  const thresholds = status.thresholds.map((t) => `${t.severity} ${t.text}`).join(', ');
  return clip(
    [
      s('  '),
      s(`${status.id}`, 'title', { bold: true }),
      s(': '),
      s(said, status.state === 'ok' ? undefined : look.tone),
      ...(status.group ? [s(` [${status.group}]`, 'muted')] : []),
      ...(thresholds ? [s(` · ${thresholds}`, 'muted')] : []),
    ],
    width,
  );
}

// ── timeline ───────────────────────────────────────────────────────────────────────────────

/** How long each phase lasted on its last visit, from the rollout history. */
function phaseDurations(rollout: RolloutState): Map<number, number> {
  const out = new Map<number, number>();
  rollout.history.forEach((move, i) => {
    const next = rollout.history[i + 1];
    if (move.to !== null && next) out.set(move.to, next.at - move.at);
  });
  return out;
}

function timeline(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state } = input;
  const { profile, snapshot, rollout } = state;
  const w = layout.width;
  const current = snapshot.phase;
  const durations = phaseDurations(rollout);
  const nameWidth = Math.min(16, Math.max(...profile.phases.map((p) => p.name.length)));
  const lines: Line[] = [title('phases', false, w)];
  for (const phase of profile.phases) {
    const isCurrent = phase.index === current.index;
    const done = phase.index < current.index && !rollout.rolledBack;
    const mark = isCurrent ? (rollout.rolledBack ? '↺' : '▶') : done ? '✓' : '·';
    const tone: Tone = isCurrent ? 'accent' : done ? 'ok' : 'muted';
    const elapsed = isCurrent ? current.elapsedMs : done ? durations.get(phase.index) ?? phase.durationMs ?? 0 : 0;
    const soak = phase.durationMs ? elapsed / phase.durationMs : done || isCurrent ? 1 : 0;
    const soakText = !phase.durationMs
      ? isCurrent || done ? formatElapsed(elapsed) : 'open-ended'
      : isCurrent || done ? `${formatElapsed(elapsed)}/${formatDuration(phase.durationMs)}` : `${formatDuration(phase.durationMs)} min`;
    const count = isCurrent ? current.criteria.length : phase.success.length;
    const criteria = count === 0 ? 'no criteria' : isCurrent ? `criteria ${current.criteria.filter((c) => c.met === true).length}/${count}` : `${count} criteria`;
    const status = isCurrent ? (rollout.rolledBack ? 'rolled back' : 'current') : done ? 'done' : 'next';
    lines.push(
      clip(
        [
          s(` ${mark} `, tone, { bold: isCurrent }),
          s(fit(`${phase.index + 1} ${phase.name}`, nameWidth + 2), isCurrent ? 'title' : tone, { bold: isCurrent }),
          s(' '),
          s(fit(`${phase.traffic}%`, 4, 'right')),
          s(' '),
          s(gauge(phase.traffic / 100, 10), tone),
          s('  soak '),
          s(gauge(soak, 10), tone),
          s(' '),
          s(fit(soakText, 12)),
          s(' '),
          s(fit(criteria, 12), isCurrent ? undefined : 'muted'),
          s(' '),
          s(status, tone),
        ],
        w,
      ),
    );
    if (isCurrent) lines.push(...currentPhaseDetails(input, w));
  }
  return lines.slice(0, height);
}

/** Lines under the current phase in the timeline: its gates and the next check-in. */
export const CURRENT_PHASE_DETAIL_LINES = 2;

function currentPhaseDetails(input: ModelInput, w: number): Line[] {
  const phase = input.state.snapshot.phase;
  const gates: Span[] = [s('     gates ', 'muted')];
  if (phase.criteria.length === 0) gates.push(s('no success criteria', 'muted'));
  for (const c of phase.criteria) {
    const symbol = c.met === true ? '✓' : c.met === false ? '✗' : '?';
    const tone: Tone = c.met === true ? 'ok' : c.met === false ? 'bad' : 'warn';
    gates.push(s(`${symbol} ${c.text}`, tone), s(` held ${formatElapsed(c.heldMs)}/${formatDuration(c.holdMs)}  `, 'muted'));
  }
  const checked = phase.checklist.filter((c) => c.checked).length;
  const second: Line[] = [];
  if (phase.checklist.length > 0) second.push([s(`checklist ${checked}/${phase.checklist.length}`, checked === phase.checklist.length ? 'ok' : 'warn')]);
  if (phase.nextCheckinAt !== undefined) {
    const inMs = phase.nextCheckinAt - input.state.now;
    second.push([s(`next check-in ${formatClock(phase.nextCheckinAt)} (${inMs <= 0 ? 'due now' : `in ${formatElapsed(inMs)}`}${phase.checkinEveryMs ? `, every ${formatDuration(phase.checkinEveryMs)}` : ''})`)]);
  }
  if (phase.remainingMs !== undefined) second.push([s(phase.remainingMs > 0 ? `minimum duration reached in ${formatElapsed(phase.remainingMs)}` : 'minimum duration reached', 'muted')]);
  return [clip(gates, w), second.length > 0 ? [s('     '), ...parts(second, w - 5)] : [s('     no checklist or check-ins', 'muted')]];
}

// ── chart ──────────────────────────────────────────────────────────────────────────────────

function chart(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const w = layout.width;
  const status = state.snapshot.metrics[ui.selected];
  const windowMs = CHART_WINDOWS_MS[ui.windowIndex] ?? CHART_WINDOWS_MS[1];
  if (!status) return [title('chart', false, w)];
  const group = pickGroup(state.series[status.id], status);
  const thresholds: ChartThreshold[] = status.thresholds
    .filter((t): t is typeof t & { severity: 'warn' | 'rollback'; threshold: number } => t.severity !== 'info' && t.threshold !== undefined)
    .map((t) => ({ severity: t.severity, value: t.threshold }));
  const plotHeight = Math.max(2, height - 2);
  const interval = state.profile.metrics[status.id]?.intervalMs ?? state.profile.defaults.intervalMs;
  // Buckets are aligned to absolute time: between new data and bucket boundaries nothing redraws.
  const slot = Math.floor(state.now / Math.max(1, Math.floor(windowMs / w)));
  const key = JSON.stringify([state.seriesVersion, slot, status.id, group?.key, windowMs, w, plotHeight, thresholds]);
  const memo = input.chartMemo;
  let plot = memo?.key === key ? memo.plot : undefined;
  if (!plot) {
    plot = plotChart({
      canary: group?.canary ?? [],
      baseline: group?.baseline ?? [],
      thresholds,
      unit: status.unit,
      windowMs,
      now: state.now,
      intervalMs: interval,
      width: w,
      height: plotHeight,
    });
    if (memo) Object.assign(memo, { key, plot });
  }
  const legend: Span[] = [s('━ canary', 'canary')];
  if (group && group.baseline.length > 0) legend.push(s('  ╌ baseline', 'baseline'));
  for (const t of thresholds) {
    const off = plot.offScale.includes(t) ? (t.value > (status.value ?? 0) ? ' ↑ off scale' : ' ↓ off scale') : '';
    legend.push(s(`  ${THRESHOLD_GLYPH[t.severity]} ${t.severity} ${formatValue(t.value, status.unit)}${off}`, t.severity === 'warn' ? 'warn' : 'bad'));
  }
  const name: Line = [s('  '), s(status.title, 'title', { bold: true }), s(` (${status.unit}) · last ${formatDuration(windowMs)}`, 'muted'), s('  [ ] window', 'muted')];
  // The legend goes beside the name when it fits, else under it (the plot gives up a line).
  const head: Line[] = widthOf(name) + widthOf(legend) + 2 <= w ? [spread(name, legend, w)] : [clip(name, w), clip([s('  '), ...legend], w)];
  if (plot.empty) return [...head, [s(`  no data in the last ${formatDuration(windowMs)}`, 'muted')]];
  const lines: Line[] = [...head, ...plot.lines.map((l) => clip(l.map((c) => s(c.text, c.tone === 'axis' ? 'muted' : c.tone === 'rollback' ? 'bad' : c.tone)), w))];
  // The time axis is the last line, whatever the plot left room for.
  return [...lines.slice(0, height - 1), [s(truncate(plot.timeAxis, w), 'muted')]];
}

// ── log, output, checklist ─────────────────────────────────────────────────────────────────

function eventLine(e: ConsoleEvent, width: number): Line {
  const look = LEVEL_LOOK[e.level];
  return clip(
    [s(formatClockSeconds(e.at), 'muted'), s(` ${look.symbol} `, look.tone), s(e.text, e.level === 'info' ? undefined : look.tone), ...(e.count > 1 ? [s(` ×${e.count}`, 'muted')] : [])],
    width,
  );
}

function log(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const rows = Math.max(0, height - 1);
  const events = state.events;
  const offset = Math.min(ui.logOffset, Math.max(0, events.length - rows));
  const end = events.length - offset;
  const shown = events.slice(Math.max(0, end - rows), end);
  const right = offset > 0 ? `${offset} newer below` : '';
  return [title('events', ui.focus === 'log', layout.width, right), ...shown.map((e) => eventLine(e, layout.width))];
}

function output(input: ModelInput, layout: Layout, height: number): Line[] {
  const out = input.live.output;
  if (!out) return [];
  const w = layout.width;
  const now = input.live.now;
  const status = out.running
    ? s(`running ${formatDuration(Math.floor((now - out.startedAt) / 1_000) * 1_000)}`, 'accent')
    : out.dryRun
      ? s('dry run: nothing was run', 'warn')
      : out.error
        ? s(out.error, 'bad')
        : s(`exit ${out.exitCode ?? '?'} after ${formatDuration((out.endedAt ?? now) - out.startedAt)}`, out.exitCode === 0 ? 'ok' : 'bad');
  const head: Line = clip([s('  '), s(out.action, 'title', { bold: true }), s(' · '), status, s(` · $ ${out.argv.join(' ')}`, 'muted')], w);
  const rows = Math.max(0, height - 1);
  const lines = out.lines.slice(-rows).map((l) => clip([s(l.stream === 'stderr' ? '  ! ' : '    ', 'warn'), s(l.text, l.stream === 'stderr' ? 'warn' : undefined)], w));
  if (lines.length === 0 && rows > 0) lines.push([s(out.running ? '    (no output yet)' : '    (no output)', 'muted')]);
  return [head, ...lines].slice(0, height);
}

function checklist(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const items = state.snapshot.phase.checklist;
  const focused = ui.focus === 'checklist';
  const rows = Math.max(0, height - 1);
  const cursor = Math.min(ui.checklistCursor, items.length - 1);
  const start = Math.max(0, Math.min(cursor - rows + 1, items.length - rows));
  const done = items.filter((c) => c.checked).length;
  const lines: Line[] = [title(`checklist ${state.snapshot.phase.name} ${done}/${items.length}`, focused, layout.width, focused ? 'space ticks' : 'tab to tick')];
  items.slice(start, start + rows).forEach((item, i) => {
    const at = start + i;
    const who = item.checked && item.by ? `  ${item.by}${item.at !== undefined ? ` ${formatClock(item.at)}` : ''}` : '';
    lines.push(
      clip(
        [s(focused && at === cursor ? ' › ' : '   ', 'accent', { bold: true }), s(item.checked ? '[x] ' : '[ ] ', item.checked ? 'ok' : 'warn'), s(item.item), s(who, 'muted')],
        layout.width,
      ),
    );
  });
  return lines;
}

// ── overlays, questions ────────────────────────────────────────────────────────────────────

function help(input: ModelInput, layout: Layout, height: number): Line[] {
  const w = layout.width;
  const groups: Binding['group'][] = ['actions', 'navigate', 'view', 'console'];
  const entries: Line[] = [];
  const keyWidth = Math.max(...input.keymap.bindings.map((b) => keyLabel(b.keys).length)) + 2;
  for (const group of groups) {
    const bindings = input.keymap.bindings.filter((b) => b.group === group);
    if (bindings.length === 0) continue;
    entries.push([s(group, 'title', { bold: true })]);
    for (const b of bindings) entries.push([s(`  ${fit(keyLabel(b.keys), keyWidth)}`, 'accent'), s(b.help)]);
  }
  const rows = Math.max(0, height - 1);
  const columns = entries.length > rows && w >= 100 ? 2 : 1;
  const colWidth = Math.floor(w / columns);
  const perColumn = Math.ceil(entries.length / columns);
  const lines: Line[] = [title('keys', true, w, 'esc or ? closes')];
  for (let r = 0; r < Math.min(rows, perColumn); r++) {
    const row: Span[] = [];
    for (let c = 0; c < columns; c++) {
      const entry = entries[c * perColumn + r];
      if (!entry) continue;
      const cell = clip(entry, colWidth - 1);
      row.push(...cell, s(' '.repeat(Math.max(0, colWidth - widthOf(cell)))));
    }
    lines.push(clip(trimLine(row), w));
  }
  if (perColumn > rows && lines.length > 1) lines[lines.length - 1] = clip([s(`  … ${entries.length - (rows - 1) * columns} more: make the terminal taller`, 'muted')], w);
  return lines.slice(0, height);
}

function ages(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state } = input;
  const w = layout.width;
  const ids = Object.keys(state.profile.sources);
  const idWidth = Math.max(6, ...ids.map((id) => id.length));
  const lines: Line[] = [title('sources', false, w, 'a closes')];
  for (const id of ids) {
    const age = state.sourceAges[id];
    const metrics = Object.values(state.profile.metrics).filter((m) => m.source === id);
    const interval = Math.min(...metrics.map((m) => m.intervalMs));
    const late = age === undefined || (Number.isFinite(interval) && age > 2 * interval + 1_000);
    lines.push(
      clip(
        [
          s(`  ${fit(id, idWidth)} `, 'title'),
          s(fit(state.profile.sources[id]!.type, 11)),
          s(age === undefined ? 'no data yet' : `last data ${Math.floor(age / 1_000)}s ago`, late ? 'warn' : 'ok'),
          s(`  ${metrics.length} metric${metrics.length === 1 ? '' : 's'}${Number.isFinite(interval) ? `, every ${formatDuration(interval)}` : ''}`, 'muted'),
        ],
        w,
      ),
    );
  }
  return lines.slice(0, height);
}

/** The argv an action would run now, placeholders filled. */
export function actionArgv(action: Action, state: ConsoleState): string[] {
  return renderArgv(action.run, templateValues(state.profile, state.rollout.phase, state.mode.user));
}

function confirm(input: ModelInput, layout: Layout, height: number): Line[] {
  const c = input.ui.confirm;
  const w = layout.width;
  if (!c) return [];
  if (c.kind === 'quit') {
    return [
      clip([s('  Quit? ', 'warn', { bold: true }), s(`${input.live.busy ?? 'an action'} is still running and keeps running without this console.`)], w),
      clip([s('  [y/N] ', 'accent', { bold: true })], w),
    ].slice(0, height);
  }
  const action = input.live.profile.actions[c.action];
  if (!action) return [];
  const argv = actionArgv(action, input.live).join(' ');
  const decision = input.live.snapshot.decision;
  const lines: Line[] = [];
  if (c.step === 'force') {
    lines.push(clip([s(`  The decision is ${decision}, not PROMOTE: `, 'bad', { bold: true }), s(input.live.snapshot.reasons[0] ?? '')], w));
    lines.push(clip([s('  Type '), s('force', 'accent', { bold: true }), s(` to run ${c.action} anyway; the audit log records it as forced. esc cancels.`)], w));
  } else if (c.step === 'typed') {
    lines.push(clip([s(`  ${action.title}`, 'warn', { bold: true }), s(`: $ ${argv}`)], w));
    lines.push(clip([s('  Type '), s(c.action, 'accent', { bold: true }), s(` to run it${input.live.mode.dryRun ? ' (dry run: shown, not run)' : ''}. esc cancels.`)], w));
  } else {
    lines.push(clip([s(`  Run ${action.title}?`, 'warn', { bold: true }), s(` $ ${argv}${input.live.mode.dryRun ? '  (dry run: shown, not run)' : ''}`)], w));
  }
  if (c.step === 'yes') lines.push(clip([s('  [y/N] ', 'accent', { bold: true }), s('y runs it, any other key cancels', 'muted')], w));
  else lines.push(clip([s('  > ', 'accent', { bold: true }), s(c.typed), s('▏', 'accent'), ...(c.mismatch ? [s(`   ${c.mismatch}`, 'bad')] : [])], w));
  return lines.slice(0, height);
}

/** Lines the confirmation needs, for the layout. */
function confirmHeight(ui: UiState): number {
  if (!ui.confirm) return 0;
  if (ui.confirm.kind === 'quit') return 2;
  return ui.confirm.step === 'yes' ? 2 : 3;
}

function countdown(input: ModelInput, layout: Layout): Line[] {
  const c = input.live.countdown;
  if (!c) return [];
  const left = c.deadline - input.live.now;
  return [
    clip(
      [
        s(input.color ? ' AUTO-ROLLBACK ' : '[AUTO-ROLLBACK]', 'bad', { bold: true, inverse: input.color }),
        s(` in ${formatCountdown(left)}: ${c.metric} ${c.text}`, 'bad', { bold: true }),
        s(' · press c to cancel', 'accent'),
      ],
      layout.width,
    ),
  ];
}

// ── footer ─────────────────────────────────────────────────────────────────────────────────

function footer(input: ModelInput, width: number): Line {
  const { ui } = input;
  const now = input.live.now;
  if (ui.confirm) {
    const text = ui.confirm.kind === 'action' && ui.confirm.step !== 'yes' ? 'type, then enter · backspace edits · esc cancels' : 'y confirms · any other key cancels';
    return clip([s(text, 'accent')], width);
  }
  const hints = [...input.keymap.bindings.filter((b) => b.footer !== undefined)].sort((a, b) => a.footer! - b.footer!);
  const always = hints.filter((b) => b.command === 'help.toggle' || b.command === 'app.quit');
  const hint = (b: Binding): Span[] => [s(keyLabel(b.keys.slice(0, 1)), 'accent', { bold: true }), s(` ${b.label}  `, 'muted')];
  const tail = always.flatMap(hint);
  if (ui.flash && ui.flash.until > now) {
    const look = LEVEL_LOOK[ui.flash.level];
    return spread([s(`${look.symbol} ${ui.flash.text}`, look.tone)], trimLine(tail), width);
  }
  const out: Span[] = [];
  const room = width - widthOf(tail);
  for (const b of hints) {
    if (always.includes(b)) continue;
    const h = hint(b);
    if (widthOf(out) + widthOf(h) > room) break;
    out.push(...h);
  }
  return clip(trimLine([...out, ...tail]), width);
}

// ── the frame ──────────────────────────────────────────────────────────────────────────────

/** Lines the timeline wants at full size. */
function timelineNeed(profile: Profile): number {
  return profile.phases.length + CURRENT_PHASE_DETAIL_LINES;
}

export function buildModel(input: ModelInput): ViewModel {
  const { state, ui } = input;
  const layout = planLayout(input.size, {
    metrics: state.snapshot.metrics.length,
    timeline: timelineNeed(state.profile),
    checklist: state.snapshot.phase.checklist.length,
    output: input.live.output ? Math.max(1, input.live.output.lines.length) : 0,
    confirm: confirmHeight(ui),
    countdown: input.live.countdown !== undefined,
    help: ui.help ? input.keymap.bindings.length + 4 : 0,
    ages: ui.ages ? Object.keys(state.profile.sources).length : 0,
    enlarged: ui.enlarged,
    focus: ui.focus,
  });
  const sections: Section[] = layout.sections.map(({ kind, height }) => {
    const lines = (() => {
      switch (kind) {
        case 'confirm':
          return confirm(input, layout, height);
        case 'countdown':
          return countdown(input, layout);
        case 'help':
          return help(input, layout, height);
        case 'ages':
          return ages(input, layout, height);
        case 'table':
          return table(input, layout, height);
        case 'output':
          return output(input, layout, height);
        case 'timeline':
          return timeline(input, layout, height);
        case 'checklist':
          return checklist(input, layout, height);
        case 'chart':
          return chart(input, layout, height);
        case 'log':
          return log(input, layout, height);
      }
    })();
    return { kind, lines: lines.slice(0, height) };
  });
  const head = header(input, layout).slice(0, layout.header);
  const hasFooter = layout.height >= 4;
  const used = head.length + sections.reduce((n, sec) => n + sec.lines.length, 0) + (hasFooter ? 1 : 0);
  return {
    height: layout.height,
    width: layout.width,
    color: input.color,
    header: head.map(compact),
    sections: sections.map((sec) => ({ kind: sec.kind, lines: sec.lines.map(compact) })),
    gap: Math.max(0, layout.height - used),
    ...(hasFooter ? { footer: compact(footer(input, layout.width)) } : {}),
  };
}

/**
 * The same line in as few spans as possible: neighbours of one style merge, and blank gaps join
 * the span before them. Each span is a Text node and a pair of colour codes on the wire, so this
 * is less work per frame and fewer bytes per update.
 */
function compact(line: Line): Line {
  const out: Span[] = [];
  for (const span of line) {
    if (span.text === '') continue;
    const last = out[out.length - 1];
    const sameStyle = last && last.tone === span.tone && !!last.bold === !!span.bold && !!last.inverse === !!span.inverse;
    const blankGap = last && !last.inverse && !span.inverse && span.text.trim() === '';
    if (last && (sameStyle || blankGap)) out[out.length - 1] = { ...last, text: last.text + span.text };
    else out.push(span);
  }
  return out;
}

/** Every line of a model as plain text, top to bottom: what a terminal shows without colour. */
export function frameText(model: ViewModel): string[] {
  const text = (line: Line) => line.map((sp) => sp.text).join('');
  return [
    ...model.header.map(text),
    ...model.sections.flatMap((sec) => sec.lines.map(text)),
    ...new Array<string>(model.gap).fill(''),
    ...(model.footer ? [text(model.footer)] : []),
  ];
}
