// What happened: the event log (state changes, source errors folded with a count, actions,
// notification failures) and the output pane of the running or last action.

import { sanitizeLine } from '../util/sanitize.js';
import { formatDuration } from '../profile/duration.js';
import type { ConsoleEvent } from '../console/console-state.js';
import { formatClockSeconds } from './format.js';
import type { Layout } from './layout.js';
import { clip, LEVEL_LOOK, s, title, type Line } from './line.js';
import type { ModelInput } from './model-input.js';

function eventLine(e: ConsoleEvent, width: number): Line {
  const look = LEVEL_LOOK[e.level];
  return clip(
    [s(formatClockSeconds(e.at), 'muted'), s(` ${look.symbol} `, look.tone), s(e.text, e.level === 'info' ? undefined : look.tone), ...(e.count > 1 ? [s(` ×${e.count}`, 'muted')] : [])],
    width,
  );
}

export function logLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const rows = Math.max(0, height - 1);
  const events = state.events;
  const offset = Math.min(ui.logOffset, Math.max(0, events.length - rows));
  const end = events.length - offset;
  const shown = events.slice(Math.max(0, end - rows), end);
  const right = offset > 0 ? `${offset} newer below` : '';
  return [title('events', ui.focus === 'log', layout.width, right), ...shown.map((e) => eventLine(e, layout.width))];
}

export function outputLines(input: ModelInput, layout: Layout, height: number): Line[] {
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
  const lines = out.lines.slice(-rows).map((l) => clip([s(l.stream === 'stderr' ? '  ! ' : '    ', 'warn'), s(sanitizeLine(l.text), l.stream === 'stderr' ? 'warn' : undefined)], w));
  if (lines.length === 0 && rows > 0) lines.push([s(out.running ? '    (no output yet)' : '    (no output)', 'muted')]);
  return [head, ...lines].slice(0, height);
}
