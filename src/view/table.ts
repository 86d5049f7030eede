// The metric table: value, baseline and delta, the threshold that applies, the state as a symbol
// and a word, a sparkline, and the \`for\` countdown or error reason; columns drop from the least
// needed when the width is short, and the selected metric's detail line goes under it.

import type { Profile } from '../profile/types.js';
import { formatValue, type Unit } from '../profile/units.js';
import type { MetricSeries, MetricState, MetricStatus, SeriesGroup } from '../engine/types.js';
import { fit, formatCountdown, formatPercentChange } from './format.js';
import { displayWidth } from '../util/width.js';
import { formatCount, formatP } from '../engine/evidence.js';
import type { Layout } from './layout.js';
import { clip, s, spread, trimLine, type Line, type Span, type Tone } from './line.js';
import type { ModelInput } from './model-input.js';
import { sparkline } from './sparkline.js';

/** A metric state's symbol and tone, wherever a state is shown (the table, the roll call). */
export const STATE_LOOK: Record<MetricState, { symbol: string; tone: Tone }> = {
  ok: { symbol: '✓', tone: 'ok' },
  pending: { symbol: '…', tone: 'pending' },
  warn: { symbol: '!', tone: 'warn' },
  breach: { symbol: '✗', tone: 'bad' },
  insufficient: { symbol: '◌', tone: 'pending' },
  nodata: { symbol: '?', tone: 'warn' },
  error: { symbol: '⚠', tone: 'bad' },
  stale: { symbol: '~', tone: 'warn' },
};

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
  /** Every cell but the trend, which waits for the trend column's width. */
  cells: Omit<Record<ColumnId, Span>, 'trend'>;
  trend: (width: number) => Span;
}

export function pickGroup(series: MetricSeries | undefined, status: MetricStatus): SeriesGroup | undefined {
  const groups = series?.groups ?? [];
  if (status.group) {
    const hit = groups.find((g) => g.key === status.group || status.group!.endsWith(`=${g.key}`));
    if (hit) return hit;
  }
  return groups[0];
}

/**
 * A condition short enough for the table's limit column at 80 columns: `> 1.5x baseline` is
 * `>1.5×b`, `> +30% start` is `>+30%st`, `> 5 in 1h` is `>5/1h`, and one waiting for its `after:`
 * is `<30% from 1d`. The detail line under the table spells out the selected metric's conditions.
 */
export function compactCondition(text: string): string {
  return text
    .trim()
    .replace(/^(>=|<=|==|!=|>|<)\s+/, '$1')
    .replace(/\s*[xX]\s+baseline\b/, '×b')
    // After a % the letter reads as its own word; after a unit (`50ms`) it needs a space.
    .replace(/%\s+baseline\b/, '%b')
    .replace(/\s+baseline\b/, ' b')
    .replace(/%\s+start\b/, '%st')
    .replace(/\s+start\b/, ' st')
    .replace(/\s*\(after (\S+) in phase\)$/, ' from $1')
    .replace(/\s+in\s+/, '/');
}

function thresholdCell(status: MetricStatus): { text: string; tone?: Tone } {
  const shorten = compactCondition;
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
  const evidence = evidenceNote(status);
  if (status.state === 'insufficient' && evidence) return { text: evidence, tone: 'pending' };
  if (status.state === 'pending' && status.pending) return { text: `fires in ${formatCountdown(status.pending.remainingMs)}`, tone: 'pending' };
  if (status.state === 'error' && status.error) return { text: status.error, tone: 'bad' };
  if (status.state === 'breach' && status.firing?.auto && countdownAuto) return { text: 'auto-rb', tone: 'bad' };
  if (status.state === 'stale' && status.error) return { text: status.error, tone: 'warn' };
  const escalation = status.escalation;
  if (escalation?.reached?.to === 'rollback' && status.state === 'breach') return { text: 'escalated to rollback', tone: 'bad' };
  if (escalation?.reached && status.state === 'warn') {
    const key = escalation.reached.key !== undefined ? ` (${escalation.reached.key})` : '';
    const then = escalation.next ? `; ${escalation.next.to} in ${formatCountdown(escalation.next.remainingMs)}` : '';
    return { text: `escalated: ${escalation.reached.to}${key}${then}`, tone: 'bad' };
  }
  if (escalation?.next && status.state === 'warn') return { text: `escalates to ${escalation.next.to} in ${formatCountdown(escalation.next.remainingMs)}`, tone: 'warn' };
  // Why the source answered what it did: the reason behind a "no data", else a quiet remark.
  if (status.note !== undefined) return { text: status.note, tone: status.state === 'nodata' ? 'warn' : 'muted' };
  return evidence ? { text: evidence, tone: 'muted' } : { text: '' };
}

/** `38/200 requests` below the minimum; else `p<0.001 n=1,240` for a tested comparison, `n=1,240` with a count. */
function evidenceNote(status: MetricStatus): string | undefined {
  const { samples, significance } = status;
  if (samples?.min !== undefined && !(samples.n !== undefined && samples.n >= samples.min)) {
    return `${samples.n === undefined ? '?' : formatCount(samples.n)}/${formatCount(samples.min)} ${samples.name}`;
  }
  if (significance) return `${formatP(significance.p)} n=${formatCount(significance.n)}`;
  return samples?.n !== undefined ? `n=${formatCount(samples.n)}` : undefined;
}

function metricRows(input: ModelInput): Row[] {
  const { state, ui } = input;
  return state.snapshot.metrics.map((status, i) => {
    const look = STATE_LOOK[status.state];
    const threshold = thresholdCell(status);
    const note = noteCell(status, input.live.countdown?.metric === status.id);
    const selected = i === ui.selected;
    return {
      trend: (width) => {
        const group = pickGroup(state.series[status.id], status);
        const values = group ? Array.from(group.canary.values().subarray(-Math.max(1, width))) : [];
        return s(sparkline(values, width), look.tone === 'ok' ? 'muted' : look.tone);
      },
      cells: {
        mark: s(selected ? '›' : ' ', 'accent', { bold: true }),
        metric: s(status.title, selected ? 'title' : undefined, { bold: selected }),
        value: s(formatValue(status.value, status.unit), look.tone === 'ok' ? undefined : look.tone),
        base: s(status.baseline === undefined ? '' : formatValue(status.baseline, status.unit), 'muted'),
        delta: s(deltaCell(status, status.unit), 'muted'),
        threshold: s(threshold.text, threshold.tone),
        state: s(`${look.symbol} ${status.state === 'insufficient' ? 'low n' : status.state}`, look.tone, { bold: status.state === 'breach' }),
        note: s(note.text, note.tone),
      },
    };
  });
}

/**
 * A number column is as wide as its longest value, and never narrower than a typical one
 * (`0.499%`, `86.8ms`, `+45%`): sized to the values alone, it narrowed and widened as they moved
 * (`+45%` → `+9%`), and every column right of it moved too, rewriting each row once a second.
 */
const NUMBER_FLOOR: Partial<Record<ColumnId, number>> = { value: 6, base: 6, delta: 5 };

function numeric(id: ColumnId, head: string, longest: number): Column {
  const width = Math.max(NUMBER_FLOOR[id] ?? 4, longest);
  return { id, head, min: width, want: width, align: 'right' };
}

/** The trend's width before the note gets the rest. */
const TREND_FIRST = 12;

function fitColumns(columns: Column[], width: number): Column[] {
  let active = [...columns];
  const total = (cols: Column[], key: 'min' | 'want') => cols.reduce((n, c) => n + c[key], 0) + cols.length - 1;
  while (total(active, 'min') > width) {
    const victim = active.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!)[0];
    if (!victim) break;
    active = active.filter((c) => c !== victim);
  }
  // Start from the minimum and hand out what is left in reading order: metric names first; the
  // trend a dozen cells, then the note in full (a cut "fires in 2…" hides the one number that
  // matters), then the rest of the trend.
  const widths = new Map(active.map((c) => [c.id, c.min]));
  let spare = width - total(active, 'min');
  const rounds: [ColumnId, number][] = [['threshold', Infinity], ['metric', Infinity], ['trend', TREND_FIRST], ['note', Infinity], ['trend', Infinity]];
  for (const [id, cap] of rounds) {
    const col = active.find((c) => c.id === id);
    if (!col || spare <= 0) continue;
    const now = widths.get(id)!;
    const extra = Math.min(spare, Math.max(0, Math.min(col.want, cap) - now));
    widths.set(id, now + extra);
    spare -= extra;
  }
  return active.map((c) => ({ ...c, min: widths.get(c.id)! }));
}

export function tableLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const w = layout.width;
  const statuses = state.snapshot.metrics;
  const hasBaseline = statuses.some((m) => m.baseline !== undefined);
  const rows = metricRows(input);
  const longest = (id: Exclude<ColumnId, 'trend'>, head: string) => Math.max(head.length, ...rows.map((r) => displayWidth(r.cells[id].text)));
  let columns: Column[] = [
    { id: 'mark', head: '', min: 1, want: 1, align: 'left' },
    { id: 'metric', head: 'metric', min: 8, want: Math.min(28, longest('metric', 'metric')), align: 'left' },
    // Numbers are never cut: their columns are as wide as their longest value.
    numeric('value', 'value', longest('value', 'value')),
    ...(hasBaseline ? [{ ...numeric('base', 'base', longest('base', 'base')), drop: 3 }, { ...numeric('delta', 'Δ', longest('delta', 'Δ')), drop: 4 }] : []),
    { id: 'threshold', head: 'limit', min: Math.min(8, longest('threshold', 'limit')), want: Math.min(12, longest('threshold', 'limit')), align: 'left', drop: 5 },
    { id: 'state', head: 'state', min: 9, want: 9, align: 'left' },
    { id: 'trend', head: 'trend', min: 6, want: 20, align: 'left', drop: 2 },
    { id: 'note', head: '', min: 8, want: Math.max(8, Math.min(60, longest('note', ''))), align: 'left', drop: 1 },
  ];
  columns = fitColumns(columns, w);
  const trendWidth = columns.find((c) => c.id === 'trend')?.min ?? 0;

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
  // Only the rows on screen, with a trend column, plot a sparkline.
  for (const row of shown) lines.push(render((c) => (c.id === 'trend' ? row.trend(trendWidth) : row.cells[c.id])));
  const selected = statuses[ui.selected];
  if (selected && height >= 2) lines.push(detail(selected, input.state.profile, w));
  return lines.slice(0, height);
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
      ...(status.note !== undefined && !said.includes(status.note) ? [s(` · ${status.note}`, 'muted')] : []),
      ...(thresholds ? [s(` · ${thresholds}`, 'muted')] : []),
    ],
    width,
  );
}
