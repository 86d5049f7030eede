// A source that answers from a recording (engine/record.ts) instead of a live system: `instant`
// gives what was recorded at or just before the requested time, `range` gives the recorded points
// in the range, and a recorded error replays as the same SourceError. Driven by a ScaledClock
// starting at the recording's first timestamp, it replays an incident at any speed.
//
// Recordings hold shaped values (one series per split group), so each answer carries labels that
// the metric's own select/split pick up again unchanged.

import { readRecording, isRecordingError, type Recording, type RecordingEntry } from '../engine/record.js';
import { answeredTracks, selectorFor, type Track } from '../engine/shape.js';
import { upperBound } from '../engine/judge.js';
import type { Labels, Point, SeriesSet } from '../engine/types.js';
import type { Metric, Query } from '../profile/types.js';
import { SourceError, type InstantRequest, type RangeRequest, type Source, type SourceErrorKind } from './source.js';
import { basename } from 'node:path';
import * as z from 'zod';
import { defineSourceKind } from './kind.js';

export interface ReplaySource extends Source {
  /** The recording this source answers from: its start time and any skipped lines. */
  recording(): Promise<Recording>;
}

interface Mark {
  t: number;
  error?: { reason: string; kind: SourceErrorKind };
}

interface TrackIndex {
  groups: Map<string, Point[]>;
  /** Errors and no-data answers, in time order: they hide samples recorded before them. */
  marks: Mark[];
}

type Index = Map<string, TrackIndex>;

export function createReplaySource(id: string, file: string): ReplaySource {
  let loading: Promise<{ recording: Recording; index: Index }> | undefined;
  const load = () =>
    (loading ??= readRecording(file).then((recording) => ({ recording, index: indexOf(recording.entries) })));

  const indexFor = async (req: InstantRequest | RangeRequest): Promise<{ index: Index; track: Track }> => {
    if (req.signal.aborted) throw new SourceError('aborted', 'aborted');
    try {
      const { index } = await load();
      return { index, track: trackOf(req.metric, req.query) };
    } catch (error) {
      if (isRecordingError(error)) throw new SourceError('unreachable', error.message);
      throw error;
    }
  };

  return {
    id,
    type: 'replay',
    async recording() {
      return (await load()).recording;
    },
    async instant(req) {
      const { index, track } = await indexFor(req);
      // Only the asked-for track's recorded error fails the answer; a `select` baseline that could
      // not be shaped was an error of the baseline alone.
      const series = answeredTracks(req.metric, track).flatMap((t) => instantSeries(index, req.metric, t, req.time, t === track));
      return { series };
    },
    async range(req) {
      const { index, track } = await indexFor(req);
      const series = answeredTracks(req.metric, track).flatMap((t) => rangeSeries(index, req.metric, t, req.start, req.end));
      return { series };
    },
    async close() {},
  };
}

function trackOf(metric: Metric, query: Query): Track {
  if (query === metric.query || JSON.stringify(query) === JSON.stringify(metric.query)) return 'canary';
  return 'baseline';
}

function instantSeries(index: Index, metric: Metric, track: Track, time: number, failOnError: boolean): SeriesSet['series'] {
  const found = index.get(keyOf(metric.id, track));
  if (!found) return [];
  const mark = found.marks[lastAtOrBefore(found.marks, time)];
  const out: SeriesSet['series'] = [];
  for (const [group, points] of found.groups) {
    const point = points[lastAtOrBefore(points, time)];
    if (point && (!mark || point.t > mark.t)) out.push({ labels: labelsFor(metric, track, group), points: [point] });
  }
  if (out.length === 0 && mark?.error && failOnError) throw new SourceError(mark.error.kind, mark.error.reason);
  return out;
}

function rangeSeries(index: Index, metric: Metric, track: Track, start: number, end: number): SeriesSet['series'] {
  const found = index.get(keyOf(metric.id, track));
  if (!found) return [];
  const out: SeriesSet['series'] = [];
  for (const [group, points] of found.groups) {
    const from = lastAtOrBefore(points, start - 1) + 1;
    const to = lastAtOrBefore(points, end);
    if (to >= from) out.push({ labels: labelsFor(metric, track, group), points: points.slice(from, to + 1) });
  }
  return out;
}

function labelsFor(metric: Metric, track: Track, group: string): Labels {
  const base = selectorFor(metric, track) ?? {};
  return metric.split !== undefined && group !== '' ? { ...base, [metric.split]: group } : { ...base };
}

function keyOf(metric: string, track: Track): string {
  return `${metric}\u0000${track}`;
}

function indexOf(entries: readonly RecordingEntry[]): Index {
  const index: Index = new Map();
  for (const entry of entries) {
    const key = keyOf(entry.metric, entry.track);
    let found = index.get(key);
    if (!found) {
      found = { groups: new Map(), marks: [] };
      index.set(key, found);
    }
    if ('v' in entry) {
      const points = found.groups.get(entry.group);
      const point = entry.n !== undefined ? { t: entry.t, v: entry.v, n: entry.n } : { t: entry.t, v: entry.v };
      if (points) points.push(point);
      else found.groups.set(entry.group, [point]);
    } else if ('error' in entry) {
      found.marks.push({ t: entry.t, error: { reason: entry.error, kind: entry.kind ?? 'query' } });
    } else {
      found.marks.push({ t: entry.t });
    }
  }
  for (const found of index.values()) {
    found.marks.sort((a, b) => a.t - b.t);
    for (const [group, points] of found.groups) found.groups.set(group, dedupe(points.sort((a, b) => a.t - b.t)));
  }
  return index;
}

/** Live polls and backfill can record the same timestamp twice; the later line wins. */
function dedupe(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    if (out.length > 0 && out[out.length - 1]!.t === p.t) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/** Index of the last item with t ≤ time, or −1. */
function lastAtOrBefore(items: readonly { t: number }[], time: number): number {
  return upperBound(items, time) - 1;
}

// ── the kind ──────────────────────────────────────────────────────────────────────────────────

/** A `replay` source as a profile writes it. */
const replayConfig = z.strictObject({
  type: z.literal('replay'),
  file: z.string().meta({ description: 'A recording made with --record' }),
  speed: z.number().positive().optional(),
});

export const replay = defineSourceKind({
  kind: 'replay',
  config: replayConfig,
  // A recording answers whatever its metrics asked when it was made.
  checkQuery: () => undefined,
  create: (id, config) => Object.assign(createReplaySource(id, config.file), { where: basename(config.file) }),
  ranged: true,
  urlSchemes: [],
});
