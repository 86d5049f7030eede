// What the keymap shows and asks: the help overlay, the questions before an action (y/N, the
// name typed, "force"), the auto-rollback countdown, and the footer's key hints or message.

import type { Action } from '../profile/types.js';
import { render as renderArgv, templateValues } from '../actions/template.js';
import type { ConsoleState } from '../console/console-state.js';
import { fit, formatCountdown } from './format.js';
import { keyLabel, type Binding } from '../console/keymap.js';
import type { Layout } from './layout.js';
import { clip, LEVEL_LOOK, s, spread, title, trimLine, widthOf, type Line, type Span } from './line.js';
import type { ModelInput } from './model-input.js';
import type { UiState } from './ui.js';

export function helpLines(input: ModelInput, layout: Layout, height: number): Line[] {
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

/** The argv an action would run now, placeholders filled. */
function actionArgv(action: Action, state: ConsoleState): string[] {
  return renderArgv(action.run, templateValues(state.profile, state.rollout.phase, state.mode.user));
}

export function confirmLines(input: ModelInput, layout: Layout, height: number): Line[] {
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
export function confirmHeight(ui: UiState): number {
  if (!ui.confirm) return 0;
  if (ui.confirm.kind === 'quit') return 2;
  return ui.confirm.step === 'yes' ? 2 : 3;
}

export function countdownLines(input: ModelInput, layout: Layout): Line[] {
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

export function footerLine(input: ModelInput, width: number): Line {
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
