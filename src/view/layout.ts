// What fits at a terminal size. Every frame is at most rows − 1 lines: a frame as tall as the
// terminal scrolls when its last row is written (and a renderer like Ink then clears the whole
// screen on every update), so the budget here is the one place that guarantees it.

export interface TerminalSize {
  columns: number;
  rows: number;
}

export type SectionKind =
  | 'confirm'
  | 'countdown'
  | 'help'
  | 'ages'
  | 'table'
  | 'output'
  | 'timeline'
  | 'checklist'
  | 'chart'
  | 'log';

export interface LayoutNeeds {
  metrics: number;
  /** Lines the timeline wants: one per phase plus the current phase's details. */
  timeline: number;
  checklist: number;
  /** Lines of action output (0 when no action has run). */
  output: number;
  confirm: number;
  countdown: boolean;
  help: number;
  ages: number;
  enlarged: boolean;
  focus: 'metrics' | 'checklist' | 'log';
}

export interface Layout {
  /** Lines of the whole frame: rows − 1. */
  height: number;
  /** Columns a line may use: columns − 1, so no line ever reaches the last column and wraps. */
  width: number;
  header: number;
  sections: { kind: SectionKind; height: number }[];
  /** Lines of the table given to metric rows (the rest of the table is its head and detail line). */
  tableRows: number;
}

/** Wide enough for the timeline's gauges beside the phase names. */
const WIDE = 100;
/** Tall enough for a chart under the table. */
const TALL = 30;

/** Top to bottom on screen; allocation above goes by importance instead. */
const ORDER: SectionKind[] = ['countdown', 'confirm', 'help', 'ages', 'timeline', 'table', 'output', 'chart', 'checklist', 'log'];

const MIN_CHART = 8;
const MAX_CHART = 14;
const MAX_OUTPUT = 8;

export function planLayout(size: TerminalSize, needs: LayoutNeeds): Layout {
  const height = Math.max(1, size.rows - 1);
  const width = Math.max(1, size.columns - 1);
  const header = height >= 12 ? 3 : 1;
  const footer = height >= 4 ? 1 : 0;
  let left = Math.max(0, height - header - footer);
  const sections: Layout['sections'] = [];
  let tableRows = 0;
  const done = (): Layout => ({
    height,
    width,
    header,
    sections: sections.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind)),
    tableRows,
  });

  const take = (kind: SectionKind, want: number, min = 1): number => {
    const h = Math.min(want, left);
    if (h < min || h <= 0) return 0;
    sections.push({ kind, height: h });
    left -= h;
    return h;
  };

  // Questions and countdowns come first: an operator must never miss one.
  if (needs.confirm > 0) take('confirm', needs.confirm);
  if (needs.countdown) take('countdown', 1);

  if (needs.help > 0) {
    take('help', left);
    return done();
  }
  if (needs.ages > 0) take('ages', needs.ages + 1, 2);

  if (needs.enlarged) {
    take('chart', left, 3);
    return done();
  }

  // Head line, rows, and the selected metric's detail line.
  const tall = size.rows >= TALL;
  const tableWant = needs.metrics + 2;
  const table = take('table', tableWant, Math.min(3, tableWant));
  tableRows = Math.max(0, table - 2);

  if (needs.output > 0) take('output', Math.min(MAX_OUTPUT, needs.output + 1), 2);

  const wide = size.columns >= WIDE;
  if (wide && tall && needs.timeline > 0) take('timeline', needs.timeline + 1, needs.timeline + 1);

  const showChecklist = needs.checklist > 0 && (needs.focus === 'checklist' || (wide && tall));
  if (showChecklist) take('checklist', needs.checklist + 1, 2);

  if (tall && needs.focus !== 'log' && left >= MIN_CHART + 3) take('chart', Math.min(MAX_CHART, left - 3), MIN_CHART);

  take('log', left, 2);
  return done();
}
