// The current phase's checklist, with who ticked what and when; the cursor shows when it has focus.

import { formatClock } from './format.js';
import type { Layout } from './layout.js';
import type { ChecklistStatus } from '../engine/types.js';
import { clip, s, title, type Line, type Span } from './line.js';
import type { ModelInput } from './model.js';

/** `checklist 2/3`, for the header and the timeline: ok once every item is ticked. */
export function checklistTally(items: readonly ChecklistStatus[]): Span {
  const checked = items.filter((c) => c.checked).length;
  return s(`checklist ${checked}/${items.length}`, checked === items.length ? 'ok' : 'warn');
}

export function checklistLines(input: ModelInput, layout: Layout, height: number): Line[] {
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
