// How old each source's data is, on demand (the \`a\` key).

import { formatDuration } from '../profile/duration.js';
import { fit } from './format.js';
import type { Layout } from './layout.js';
import { clip, s, title, type Line } from './line.js';
import type { ModelInput } from './model.js';

export function sourcesLines(input: ModelInput, layout: Layout, height: number): Line[] {
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
