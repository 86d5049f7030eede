// The checklist in force, with who ticked what and when; the cursor shows when it has focus. Once
// rolled back that is the profile's rollback checklist, its groups as headings.

import { activeChecklist } from '../engine/checklist.js';
import { formatClock } from './format.js';
import type { Layout } from './layout.js';
import type { ChecklistStatus, Snapshot } from '../engine/types.js';
import { clip, s, title, type Line, type Span } from './line.js';
import type { ModelInput } from './model-input.js';

/** `checklist 2/3`, for the header and the timeline: ok once every item is ticked. */
export function checklistTally(items: readonly ChecklistStatus[], label = 'checklist'): Span {
  const checked = items.filter((c) => c.checked).length;
  return s(`${label} ${checked}/${items.length}`, checked === items.length ? 'ok' : 'warn');
}

/** One row of the pane: a group heading, or an item with its index among the items. */
type Row = { heading: string } | { item: ChecklistStatus; index: number };

function rows(items: readonly ChecklistStatus[]): Row[] {
  const out: Row[] = [];
  let group: string | undefined;
  items.forEach((item, index) => {
    if (item.group !== undefined && item.group !== group) out.push({ heading: item.group });
    group = item.group;
    out.push({ item, index });
  });
  return out;
}

/** Lines the checklist pane wants below its title: every item, and a heading per group. */
export function checklistNeed(snapshot: Pick<Snapshot, 'phase' | 'rollbackChecklist'>): number {
  return rows(activeChecklist(snapshot).items).length;
}

export function checklistLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state, ui } = input;
  const active = activeChecklist(state.snapshot);
  const items = active.items;
  const all = rows(items);
  const focused = ui.focus === 'checklist';
  const visible = Math.max(0, height - 1);
  const cursor = Math.min(ui.checklistCursor, items.length - 1);
  const cursorRow = all.findIndex((r) => 'item' in r && r.index === cursor);
  // Keep the cursor's group heading in view with it when there is room.
  const wanted = cursorRow > 0 && 'heading' in all[cursorRow - 1]! ? cursorRow - 1 : cursorRow;
  const start = Math.max(0, Math.min(Math.max(0, cursorRow - visible + 1), wanted, all.length - visible));
  const done = items.filter((c) => c.checked).length;
  const name = active.kind === 'rollback' ? 'after rollback' : `checklist ${state.snapshot.phase.name}`;
  const lines: Line[] = [title(`${name} ${done}/${items.length}`, focused, layout.width, focused ? 'space ticks' : 'tab to tick')];
  for (const row of all.slice(start, start + visible)) {
    if ('heading' in row) {
      lines.push(clip([s('   '), s(row.heading, 'title', { bold: true })], layout.width));
      continue;
    }
    const { item, index } = row;
    const who = item.checked && item.by ? `  ${item.by}${item.at !== undefined ? ` ${formatClock(item.at)}` : ''}` : '';
    lines.push(
      clip(
        [s(focused && index === cursor ? ' › ' : '   ', 'accent', { bold: true }), s(item.checked ? '[x] ' : '[ ] ', item.checked ? 'ok' : 'warn'), s(item.item), s(who, 'muted')],
        layout.width,
      ),
    );
  }
  return lines;
}
