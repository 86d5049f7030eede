// The roll call: every rollout on one screen, one row each, the one that most needs a human on top
// (view/attention.ts). Pure, like the console's view model: entries, the overview's own state and
// the terminal size in, a ViewModel out, which the same components draw.
//
// A row says what the on-call engineer decides from: the decision, the phase and its traffic, how
// long it has been in the phase, the worst metric and why, an automatic rollback counting down,
// the next check-in and how old the data is. Below 140 columns a row takes two lines (at 80x24
// ten rollouts fit); from 140 one line. Beyond the screen the rows scroll with the selection.

import type { ConsoleState } from '../console/console-state.js';
import { formatValue } from '../profile/units.js';
import { attentionOrder, countdownOf, worstMetric } from './attention.js';
import { fit, formatClock, formatCountdown, formatElapsed } from './format.js';
import type { TerminalSize } from './layout.js';
import { LEVEL_LOOK, clip, compact, s, spread, trimLine, widthOf, type Line, type Span, type Tone } from './line.js';
import type { ViewModel } from './model.js';
import { freshness } from './sources.js';
import { badge, DECISION_TONE, soakHeadline } from './header.js';
import { STATE_LOOK } from './table.js';
import type { Flash } from './ui.js';

/** One rollout of the roll call: its live state, or why it could not be opened. */
export interface RollcallEntry {
  /** The profile file, as given: unique within a roll call. */
  file: string;
  state?: ConsoleState;
  error?: string;
}

export interface RollcallUi {
  /** The selected rollout's file (the selection follows a rollout as the rows re-sort). */
  selected?: string;
  /** A quit asked while an automatic rollback counts down somewhere: y quits. */
  confirmQuit?: { openedAt: number; why: string };
  flash?: Flash;
}

export interface OverviewInput {
  entries: readonly RollcallEntry[];
  ui: RollcallUi;
  size: TerminalSize;
  color: boolean;
  now: number;
  /** The overview's key hints for the footer, e.g. `↑↓ select`. */
  hints: readonly { keys: string; label: string }[];
}

/** From this width a rollout takes one line. */
const WIDE = 140;
const BADGE = 11;

/** The entries in the order the overview lists them. */
export function overviewOrder(entries: readonly RollcallEntry[]): RollcallEntry[] {
  return attentionOrder(entries.map((e) => e.state)).map((i) => entries[i]!);
}

export function overviewModel(input: OverviewInput): ViewModel {
  const height = Math.max(1, input.size.rows - 1);
  const width = Math.max(1, input.size.columns - 1);
  const rows = overviewOrder(input.entries);
  const perRow = width >= WIDE ? 1 : 2;
  const header = height >= 8 ? 2 : 1;
  const hasFooter = height >= 4;
  const room = Math.max(0, height - header - (hasFooter ? 1 : 0));
  const fits = Math.max(1, Math.floor(room / perRow));
  const selected = Math.max(0, rows.findIndex((e) => e.file === input.ui.selected));
  // Scroll so the selection stays in view, centred where it can be.
  const start = Math.max(0, Math.min(selected - Math.floor(fits / 2), rows.length - fits));
  const shown = rows.slice(start, start + fits);
  const scroll = rows.length > fits ? `${start + 1}-${start + shown.length} of ${rows.length}` : '';

  const body: Line[] = [];
  for (const [i, entry] of shown.entries()) {
    const mine = start + i === selected;
    body.push(...(perRow === 1 ? wideRow(entry, mine, input, width) : narrowRow(entry, mine, input, width)));
  }
  const head = headerLines(rows, input, width, scroll, header);
  const lines = body.slice(0, room);
  return {
    height,
    width,
    color: input.color,
    header: head.map(compact),
    sections: [{ kind: 'rollouts', lines: lines.map(compact) }],
    gap: Math.max(0, height - head.length - lines.length - (hasFooter ? 1 : 0)),
    ...(hasFooter ? { footer: compact(footer(input, width)) } : {}),
  };
}

/** Two lines (title and clock, then the tally) where there is room; else the tally and the clock on one. */
function headerLines(rows: readonly RollcallEntry[], input: OverviewInput, width: number, scroll: string, lines: number): Line[] {
  const counts = new Map<string, { n: number; tone: Tone }>();
  for (const e of rows) {
    const [word, tone] = e.state ? badgeOf(e.state) : (['ERROR', 'bad'] as const);
    const c = counts.get(word) ?? { n: 0, tone };
    counts.set(word, { ...c, n: c.n + 1 });
  }
  const tally: Span[] = [];
  for (const [word, c] of counts) tally.push(...(tally.length ? [s(' · ', 'muted')] : []), s(`${c.n} ${word}`, c.tone, { bold: c.tone === 'bad' }));
  const attached = rows.filter((e) => e.state?.mode.attached).length;
  const title: Line = [s('rollcall ', 'muted'), s('roll call', 'title', { bold: true }), s(` · ${rows.length} rollout${rows.length === 1 ? '' : 's'}`, 'muted')];
  const right: Line = [...(attached ? [s(`${attached} attached to an agent`, 'accent'), s('  ')] : []), s(formatClock(input.now), 'muted')];
  const line1 = spread(title, right, width);
  const line2 = scroll ? spread(tally, [s(scroll, 'muted')], width) : clip(tally, width);
  return lines === 2 ? [line1, line2] : [spread(tally, [s(formatClock(input.now), 'muted')], width)];
}

/** `ROLLBACK`, `ROLLED BACK`, or the decision, with its tone. */
function badgeOf(state: ConsoleState): [string, Tone] {
  if (state.rollout.rolledBack) return ['ROLLED BACK', 'bad'];
  const decision = state.snapshot.decision;
  return [decision, DECISION_TONE[decision]];
}

/** The decision as the console's header shows it, then padding, so every title starts in one column. */
function padded(word: string, tone: Tone, color: boolean): Span[] {
  const shown = badge(word, tone, color);
  return [shown, s(' '.repeat(BADGE + 2 - widthOf([shown])))];
}

function mark(mine: boolean): Span {
  return s(mine ? '▸ ' : '  ', 'accent', { bold: true });
}

/** The row's first part: selection mark, badge and title. */
function lead(entry: RollcallEntry, mine: boolean, color: boolean): Span[] {
  if (!entry.state) return [mark(mine), ...padded('ERROR', 'bad', color), s(' '), s(entry.file, 'title', { bold: true })];
  const [word, tone] = badgeOf(entry.state);
  return [mark(mine), ...padded(word, tone, color), s(' '), s(entry.state.profile.title, 'title', { bold: true })];
}

/** `2/4 canary-25 · 25% · 3h12m in phase` */
function phaseParts(state: ConsoleState): Span[] {
  const { profile, snapshot, rollout } = state;
  const phase = snapshot.phase;
  const traffic = rollout.rolledBack ? rollout.rolledBack.traffic : (snapshot.traffic?.share ?? phase.traffic);
  return [
    s(`${phase.index + 1}/${profile.phases.length} ${phase.name}`),
    s(' · ', 'muted'),
    s(`${traffic}%`, rollout.rolledBack ? 'bad' : snapshot.traffic ? 'warn' : undefined, { bold: true }),
    s(' · ', 'muted'),
    s(`${formatElapsed(phase.elapsedMs)} in phase`, 'muted'),
  ];
}

/** Why the rollout is where it is: the worst metric and its reason, or the decision's own reason. */
function why(entry: RollcallEntry): Span[] {
  const state = entry.state;
  if (!state) return [s('⚠ ', 'bad'), s(entry.error ?? 'could not be opened', 'bad')];
  const worst = worstMetric(state.snapshot.metrics);
  // SOAK's reason to the minute, as the console's header says it: the engine's counts seconds.
  const reason = state.snapshot.decision === 'SOAK' ? soakHeadline(state.snapshot) : (state.snapshot.reasons[0] ?? '');
  if (!worst || worst.state === 'ok' || state.rollout.rolledBack) return [s(reason, 'muted')];
  const look = STATE_LOOK[worst.state];
  const said = worst.error ?? worst.firing?.text ?? worst.reason ?? worst.state;
  const value = worst.value !== undefined ? ` ${formatValue(worst.value, worst.unit)}` : '';
  return [s(`${look.symbol} `, look.tone), s(`${worst.title}${value}`, look.tone, { bold: true }), s(` ${said}`, look.tone)];
}

/** The countdown, the next check-in and the data's age, as the row's right-hand part. */
function timing(state: ConsoleState, now: number): Span[] {
  const out: Span[] = [];
  const countdown = countdownOf(state);
  if (countdown) out.push(s(`auto-rollback in ${formatCountdown(countdown.deadline - now)}`, 'bad', { bold: true }), s(' · ', 'muted'));
  const next = state.snapshot.phase.nextCheckinAt;
  if (next !== undefined && !state.rollout.rolledBack) out.push(s(`check-in ${formatClock(next)}`, 'muted'), s(' · ', 'muted'));
  const fresh = freshness(state.profile, state.sourceAges, state.mode.replay ? { now: state.now, endsAt: state.mode.replayEndsAt } : undefined);
  out.push(s(fresh.text, fresh.tone));
  return out;
}

function narrowRow(entry: RollcallEntry, mine: boolean, input: OverviewInput, width: number): Line[] {
  const state = entry.state;
  const first = state ? spread(lead(entry, mine, input.color), phaseParts(state), width) : clip(lead(entry, mine, input.color), width);
  const indent = s(' '.repeat(2 + BADGE + 3));
  const second = state ? spread([indent, ...why(entry)], timing(state, input.now), width) : clip([indent, ...why(entry)], width);
  return [first, second];
}

/** One line: the lead and phase in fixed columns, then why, then the timing on the right. */
function wideRow(entry: RollcallEntry, mine: boolean, input: OverviewInput, width: number): Line[] {
  const state = entry.state;
  const titleWidth = Math.min(32, Math.max(16, Math.floor(width / 6)));
  const head = lead(entry, mine, input.color);
  const name = head.pop()!;
  const cols: Span[] = [...head, { ...name, text: fit(name.text, titleWidth) }, s(' ')];
  if (!state) return [clip([...cols, ...why(entry)], width)];
  const phase = phaseParts(state);
  const phaseWidth = 40;
  const phaseLine = clip(phase, phaseWidth);
  const pad = phaseWidth - widthOf(phaseLine);
  return [spread([...cols, ...phaseLine, s(' '.repeat(pad + 1)), ...why(entry)], timing(state, input.now), width)];
}

function footer(input: OverviewInput, width: number): Line {
  const { ui } = input;
  // The question's answer keys stay in view; a long reason is cut instead.
  if (ui.confirmQuit) return spread([s('Quit? ', 'warn', { bold: true }), s(ui.confirmQuit.why)], [s('[y/N]', 'accent', { bold: true })], width);
  const hints = trimLine(input.hints.flatMap((h) => [s(h.keys, 'accent', { bold: true }), s(` ${h.label}  `, 'muted')]));
  if (ui.flash && ui.flash.until > input.now) {
    const look = LEVEL_LOOK[ui.flash.level];
    return spread([s(`${look.symbol} ${ui.flash.text}`, look.tone)], hints.slice(-2), width);
  }
  return clip(hints, width);
}
