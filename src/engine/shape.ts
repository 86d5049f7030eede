// Turns what a source answered (any number of labelled series) into what a metric judges: one
// series, or one per split group. An answer that cannot be narrowed to that without guessing is
// an error naming the fix; the shaper never silently picks one series of several.

import type { Labels, Point, SeriesSet } from './types.js';
import type { Metric } from '../profile/types.js';

export type Track = 'canary' | 'baseline';

export type Shaped = { groups: Map<string, Point[]>; note?: string } | { error: string };

type Series = SeriesSet['series'][number];

export function shape(set: SeriesSet, metric: Metric, track: Track): Shaped {
  const notes: string[] = [...(set.warnings ?? [])];
  const selector = selectorFor(metric, track);

  const selected = selector ? set.series.filter((s) => matches(s.labels, selector)) : set.series;
  if (selector && selected.length === 0 && set.series.length > 0) {
    notes.push(`no series matched ${describeLabels(selector)} (${plural(set.series.length, 'series')} answered)`);
  }

  let dropped = 0;
  const clean: Series[] = selected.map((s) => {
    const finite = s.points.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
    dropped += s.points.length - finite.length;
    return { labels: s.labels, points: inTimeOrder(finite) };
  });
  if (dropped > 0) notes.push(`${plural(dropped, 'non-finite value')} dropped`);

  const buckets = new Map<string, Series[]>();
  for (const s of clean) {
    const key = metric.split === undefined ? '' : (s.labels[metric.split] ?? '');
    const bucket = buckets.get(key);
    if (bucket) bucket.push(s);
    else buckets.set(key, [s]);
  }

  const groups = new Map<string, Point[]>();
  for (const [key, members] of buckets) {
    if (members.length === 1) {
      groups.set(key, members[0]!.points);
      continue;
    }
    if (!metric.reduce) {
      const where = metric.split === undefined ? '' : ` for ${metric.split}=${key}`;
      const fix = metric.split === undefined ? 'add select:, reduce: or split:' : 'add select: or reduce:';
      return { error: `${plural(members.length, 'series')} answered${where}; ${fix} to metric ${metric.id}` };
    }
    groups.set(key, reduceSeries(members, metric.reduce));
    if (metric.split === undefined) notes.push(`${plural(members.length, 'series')}; reduced by ${metric.reduce}`);
  }
  if (metric.split !== undefined && metric.reduce && clean.length > buckets.size) {
    notes.push(`${plural(clean.length, 'series')} in ${plural(buckets.size, 'group')}; reduced by ${metric.reduce}`);
  }

  return notes.length > 0 ? { groups, note: notes.join('; ') } : { groups };
}

/** The tracks one answer to a track's query carries: a `select` baseline rides on the canary's. */
export function answeredTracks(metric: Metric, track: Track): Track[] {
  return track === 'canary' && metric.baseline?.kind === 'select' ? ['canary', 'baseline'] : [track];
}

/** The labels that pick a track's series out of an answer, if any. */
export function selectorFor(metric: Metric, track: Track): Record<string, string> | undefined {
  // A `select` baseline reads the control group from the canary's own answer (one SQL query with
  // GROUP BY track serves both); a query baseline is the same measurement, narrowed the same way.
  if (track === 'baseline' && metric.baseline?.kind === 'select') return metric.baseline.labels;
  return metric.select;
}

export function matches(labels: Labels, selector: Record<string, string>): boolean {
  for (const [name, value] of Object.entries(selector)) if (labels[name] !== value) return false;
  return true;
}

function inTimeOrder(points: Point[]): Point[] {
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.t < points[i - 1]!.t) return [...points].sort((a, b) => a.t - b.t);
  }
  return points;
}

/** Combines series per timestamp; a series without a point at that time does not take part. */
function reduceSeries(members: Series[], how: NonNullable<Metric['reduce']>): Point[] {
  const acc = new Map<number, { sum: number; min: number; max: number; n: number; samples: number }>();
  for (const s of members) {
    for (const p of s.points) {
      const a = acc.get(p.t);
      if (a) {
        a.sum += p.v;
        a.min = Math.min(a.min, p.v);
        a.max = Math.max(a.max, p.v);
        a.n++;
        a.samples += p.n ?? NaN;
      } else {
        acc.set(p.t, { sum: p.v, min: p.v, max: p.v, n: 1, samples: p.n ?? NaN });
      }
    }
  }
  const out: Point[] = [];
  for (const [t, a] of acc) {
    const v = how === 'sum' ? a.sum : how === 'avg' ? a.sum / a.n : how === 'min' ? a.min : a.max;
    // Series combined stand on all their samples together; unknown if any one's count is.
    out.push(Number.isNaN(a.samples) ? { t, v } : { t, v, n: a.samples });
  }
  return out.sort((x, y) => x.t - y.t);
}

function describeLabels(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 || word.endsWith('series') ? '' : 's'}`;
}
