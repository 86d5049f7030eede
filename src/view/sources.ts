// How old each source's data is: the header's one-word summary, and the overlay on the `a` key.

import type { Metric, Profile } from '../profile/types.js';
import { formatDuration } from '../profile/duration.js';
import type { ConsoleState } from '../console/console-state.js';
import { fit, formatClockSeconds } from './format.js';
import type { Layout } from './layout.js';
import { clip, s, title, type Line, type Tone } from './line.js';
import type { ModelInput } from './model-input.js';

type Readers = { metrics: Metric[]; intervalMs: number };

/** Per profile (loaded once, never changed): the header asks on every frame. */
const READERS = new WeakMap<Profile, Map<string, Readers>>();

/** The metrics a source answers for (their own query or their baseline's) and how often it is asked. */
function readers(profile: Profile, source: string): Readers {
  let bySource = READERS.get(profile);
  if (!bySource) READERS.set(profile, (bySource = new Map()));
  let found = bySource.get(source);
  if (!found) {
    const metrics = Object.values(profile.metrics).filter((m) => m.source === source || (m.baseline?.kind === 'query' && m.baseline.source === source));
    bySource.set(source, (found = { metrics, intervalMs: Math.min(...metrics.map((m) => m.intervalMs)) }));
  }
  return found;
}

/** How many allowed ages old the data is: above 1 it is late (two intervals and a second of slack). */
function lateness(age: number | undefined, intervalMs: number): number {
  if (!Number.isFinite(intervalMs)) return 0;
  return age === undefined ? Infinity : age / (2 * intervalMs + 1_000);
}

/** `data live`, or the source furthest behind and by how much. */
export function freshness(profile: Profile, ages: ConsoleState['sourceAges'], replay?: { now: number; endsAt?: number }): { text: string; tone: Tone } {
  // Past its last entry a replay repeats its last values: fresh-looking, but nothing is live.
  if (replay?.endsAt !== undefined && replay.now > replay.endsAt) return { text: `replay ended ${formatClockSeconds(replay.endsAt)}`, tone: 'accent' };
  let worst: { source: string; age: number | undefined; late: number } | undefined;
  for (const source of Object.keys(profile.sources)) {
    const age = ages[source];
    const late = lateness(age, readers(profile, source).intervalMs);
    if (!worst || late > worst.late) worst = { source, age, late };
  }
  if (!worst || worst.late <= 1) return { text: replay ? 'replaying' : 'data live', tone: 'ok' };
  if (worst.age === undefined) return { text: `no data yet from ${worst.source}`, tone: 'warn' };
  return { text: `${worst.source} data ${formatDuration(Math.floor(worst.age / 1_000) * 1_000)} old`, tone: 'warn' };
}

export function sourcesLines(input: ModelInput, layout: Layout, height: number): Line[] {
  const { state } = input;
  const w = layout.width;
  const ids = Object.keys(state.profile.sources);
  const idWidth = Math.max(6, ...ids.map((id) => id.length));
  const lines: Line[] = [title('sources', false, w, 'a closes')];
  for (const id of ids) {
    const age = state.sourceAges[id];
    const { metrics, intervalMs } = readers(state.profile, id);
    lines.push(
      clip(
        [
          s(`  ${fit(id, idWidth)} `, 'title'),
          s(fit(state.profile.sources[id]!.type, 11)),
          s(age === undefined ? 'no data yet' : `last data ${Math.floor(age / 1_000)}s ago`, lateness(age, intervalMs) > 1 ? 'warn' : 'ok'),
          s(`  ${metrics.length} metric${metrics.length === 1 ? '' : 's'}${Number.isFinite(intervalMs) ? `, every ${formatDuration(intervalMs)}` : ''}`, 'muted'),
        ],
        w,
      ),
    );
  }
  return lines.slice(0, height);
}
