// What the keymap shows and asks: the help overlay, the questions before an action (y/N, the
// name typed, "force"), the auto-rollback countdown, and the footer's key hints or message.

import type { Action } from '../profile/types.js';
import { formatValue } from '../profile/units.js';
import type { MetricStatus } from '../engine/types.js';
import { render as renderArgv, templateValues } from '../profile/template.js';
import type { ConsoleState } from '../console/console-state.js';
import { isRetreat } from '../engine/state.js';
import { fit, formatCountdown } from './format.js';
import { keyLabel, type Binding } from '../console/keymap.js';
import type { Layout } from './layout.js';
import { clip, LEVEL_LOOK, s, spread, title, trimLine, widthOf, type Line, type Span } from './line.js';
import type { ModelInput } from './model-input.js';
import { HELP_KEY_HINTS, type HelpScroll } from './help-keys.js';
import { wrapArgv } from './wrap.js';

function helpEntries(input: ModelInput): Line[] {
  const groups: Binding['group'][] = ['actions', 'navigate', 'view', 'console'];
  const entries: Line[] = [];
  const keyWidth = Math.max(...input.keymap.bindings.map((b) => keyLabel(b.keys).length)) + 2;
  for (const group of groups) {
    const bindings = input.keymap.bindings.filter((b) => b.group === group);
    if (bindings.length === 0) continue;
    entries.push([s(group, 'title', { bold: true })]);
    for (const b of bindings) entries.push([s(`  ${fit(keyLabel(b.keys), keyWidth)}`, 'accent'), s(b.help)]);
  }
  return entries;
}

/** How far the overlay scrolls in a section of `height` lines (its title takes one). */
export function helpScroll(input: ModelInput, height: number): HelpScroll {
  const total = helpEntries(input).length;
  const page = Math.max(1, height - 1);
  const max = Math.max(0, total - page);
  return { offset: Math.min(input.ui.helpOffset, max), max, page };
}

export function helpLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const w = layout.width;
  const entries = helpEntries(input);
  const rows = Math.max(0, height - 1);
  // Two columns only when that shows every entry; otherwise one column that scrolls.
  const columns = entries.length > rows && w >= 100 && Math.ceil(entries.length / 2) <= rows ? 2 : 1;
  const colWidth = Math.floor(w / columns);
  const perColumn = Math.ceil(entries.length / columns);
  const { offset, max } = helpScroll(input, height);
  const from = columns === 1 ? offset : 0;
  const shown = Math.min(rows, perColumn - from);
  const where = max > 0 && columns === 1 ? `${from + 1}-${from + shown} of ${entries.length} · j/k PgDn/PgUp · ` : '';
  const lines: Line[] = [title('keys', true, w, `${where}esc or ? closes`)];
  for (let r = from; r < from + shown; r++) {
    const row: Span[] = [];
    for (let c = 0; c < columns; c++) {
      const entry = entries[c * perColumn + r];
      if (!entry) continue;
      const cell = clip(entry, colWidth - 1);
      row.push(...cell, s(' '.repeat(Math.max(0, colWidth - widthOf(cell)))));
    }
    lines.push(clip(trimLine(row), w));
  }
  return lines.slice(0, height);
}

/** The argv an action would run now, placeholders filled. */
function actionArgv(action: Action, state: ConsoleState): string[] {
  return renderArgv(action.run, templateValues(state.profile, state.rollout.phase, state.mode.user));
}

export function confirmLines(input: ModelInput, layout: Layout, height: number): Line[] {
  return questionLines(input, layout.width).slice(0, height);
}

/** The whole question, however many lines the command needs. */
function questionLines(input: ModelInput, w: number): Line[] {
  const c = input.ui.confirm;
  if (!c) return [];
  if (c.kind === 'quit') {
    const why =
      c.countdown !== undefined
        ? `the automatic rollback for ${c.countdown} runs only while this console is open: quitting leaves the rollout without it (audited).`
        : `${input.live.busy ?? 'an action'} is still running and keeps running without this console.`;
    return [
      clip([s('  Quit? ', 'warn', { bold: true }), s(why)], w),
      clip([s('  [y/N] ', 'accent', { bold: true })], w),
    ];
  }
  const action = input.live.profile.actions[c.action];
  if (!action) return [];
  const dry = input.live.mode.dryRun ? ' (dry run: shown, not run)' : '';
  // Every argument, wrapped: the operator answers for the whole command, not for its first line.
  const command = wrapArgv(actionArgv(action, input.live), w - 6).map((text, i): Line => [s(i === 0 ? '    $ ' : '      ', 'muted'), s(text)]);
  const decision = input.live.snapshot.decision;
  const lines: Line[] = [];
  if (c.step === 'force') {
    lines.push(clip([s(`  The decision is ${decision}, not PROMOTE: `, 'bad', { bold: true }), s(input.live.snapshot.reasons[0] ?? '')], w));
    lines.push(clip([s('  Type '), s('force', 'accent', { bold: true }), s(` to run ${c.action} anyway; the audit log records it as forced. esc cancels.`)], w));
  } else if (c.step === 'typed') {
    lines.push(clip([s(`  ${action.title}`, 'warn', { bold: true }), s(`${dry}, runs:`)], w), ...command);
    lines.push(clip([s('  Type '), s(c.action, 'accent', { bold: true }), s(' to run it. esc cancels.')], w));
  } else {
    lines.push(clip([s(`  Run ${action.title}?`, 'warn', { bold: true }), s(dry)], w), ...command);
  }
  if (c.step === 'yes') lines.push(clip([s('  [y/N] ', 'accent', { bold: true }), s('y runs it, any other key cancels', 'muted')], w));
  else lines.push(clip([s('  > ', 'accent', { bold: true }), s(c.typed), s('▏', 'accent'), ...(c.mismatch ? [s(`   ${c.mismatch}`, 'bad')] : [])], w));
  return lines;
}

/** Lines the confirmation needs at a width, for the layout. */
export function confirmHeight(input: ModelInput, width: number): number {
  return questionLines(input, width).length;
}

/**
 * What the countdown is about, with the metric's value now: the countdown's own text is the
 * reading from when it started, and the header right above shows the current one — two values for
 * one metric on adjacent lines. The value at the start is added only when it differs.
 */
export function countdownCause(c: { metric: string; text: string }, status: MetricStatus | undefined): string {
  const space = c.text.indexOf(' ');
  const firedValue = space > 0 ? c.text.slice(0, space) : c.text;
  if (!status || status.value === undefined || status.firing?.severity !== 'rollback') return `${c.metric} fired at ${c.text}`;
  const rule = status.firing.text.trim();
  // A count in a window (`> 5 in 1h`) is not the metric's value: only the reading at the start says it.
  if (/\sin\s/.test(rule)) return `${c.metric} ${rule}, fired at ${firedValue}`;
  const now = formatValue(status.value, status.unit);
  return now === firedValue ? `${c.metric} ${now} ${rule}` : `${c.metric} ${now} ${rule}, fired at ${firedValue}`;
}

export function countdownLines(input: ModelInput, layout: Layout): Line[] {
  const c = input.live.countdown;
  if (!c) return [];
  const left = c.deadline - input.live.now;
  return [
    clip(
      [
        s(input.color ? ' AUTO-ROLLBACK ' : '[AUTO-ROLLBACK]', 'bad', { bold: true, inverse: input.color }),
        s(` in ${formatCountdown(left)} `, 'bad', { bold: true }),
        // The key that stops it comes before the cause, so a narrow terminal never cuts it off.
        s('(c cancels)', 'accent'),
        s(`: ${countdownCause(c, input.live.snapshot.metrics.find((m) => m.id === c.metric))}`, 'bad', { bold: true }),
      ],
      layout.width,
    ),
  ];
}

/** Whether the footer offers a binding: actions only where this console may run them. */
function offered(b: Binding, live: ConsoleState): boolean {
  if (!b.command.startsWith('action.') || !live.mode.readOnly) return true;
  const action = live.profile.actions[b.command.slice('action.'.length)];
  return live.mode.retreatOnly === true && action !== undefined && isRetreat(action);
}

export function footerLine(input: ModelInput, width: number): Line {
  const { ui } = input;
  const now = input.live.now;
  if (ui.confirm) {
    const text = ui.confirm.kind === 'action' && ui.confirm.step !== 'yes' ? 'type, then enter · backspace edits · esc cancels' : 'y confirms · any other key cancels';
    return clip([s(text, 'accent')], width);
  }
  if (ui.help && !(ui.flash && ui.flash.until > now)) {
    return clip(trimLine(HELP_KEY_HINTS.flatMap((h) => [s(h.keys, 'accent', { bold: true }), s(` ${h.label}  `, 'muted')])), width);
  }
  // An action this console cannot run is not offered; pressing its key still says why.
  const hints = [...input.keymap.bindings.filter((b) => b.footer !== undefined && offered(b, input.live))].sort((a, b) => a.footer! - b.footer!);
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
