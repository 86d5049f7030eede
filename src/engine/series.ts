// What the poller has learned, per metric: a ring of points per track and split group, and the
// health of the last polls (errors, no data, when it last answered). Memory is fixed by the
// profile (capacity × groups × tracks), not by how long the console has been open.
//
// Health is judged on the canary track: lastPollAt, lastGoodAt and consecutiveNoData describe the
// metric's own query. A failing baseline query still counts toward consecutiveErrors (the larger
// of the two tracks' runs), because a comparison without its control group must not pass as green.

import { Ring } from './ring.js';
import { SampleView } from './sample-view.js';
import type { Track } from './shape.js';
import type { MetricSeries, Point, SeriesGroup, SeriesSnapshot } from './types.js';
import type { Metric, Profile } from '../profile/types.js';

export type { Track };

/** Split groups kept per metric; further groups are ignored and noted, so memory stays bounded. */
export const MAX_GROUPS = 20;

interface TrackHealth {
  errors: number;
  note?: string;
  lastError?: { at: number; reason: string };
}

interface MetricEntry {
  metric: Metric;
  groups: Map<string, { canary: Ring; baseline: Ring }>;
  /** A split metric's baseline that has no split label: the control value for every group. */
  sharedBaseline?: Ring;
  canary: TrackHealth;
  baseline: TrackHealth;
  lastPollAt?: number;
  lastGoodAt?: number;
  consecutiveNoData: number;
  ignoredGroups: number;
  historyNote?: string;
  view?: MetricSeries;
}

export class SeriesStore {
  private readonly entries = new Map<string, MetricEntry>();
  private readonly sourceGoodAt = new Map<string, number>();
  private readonly sourceIds: string[];
  private readonly listeners = new Set<() => void>();
  private cached: { version: number; snapshot: SeriesSnapshot } | undefined;
  private changes = 0;

  constructor(profile: Profile) {
    this.sourceIds = Object.keys(profile.sources);
    for (const id of profile.metricIds) {
      const metric = profile.metrics[id];
      if (!metric) continue;
      this.entries.set(id, {
        metric,
        groups: new Map(),
        canary: { errors: 0 },
        baseline: { errors: 0 },
        consecutiveNoData: 0,
        ignoredGroups: 0,
      });
    }
  }

  /** Increases by one with every change; equal versions mean an equal snapshot. */
  get version(): number {
    return this.changes;
  }

  /** Called synchronously after each change. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Every metric, points in time order. The same object is returned until something changes. */
  snapshot(): SeriesSnapshot {
    if (this.cached?.version === this.changes) return this.cached.snapshot;
    const out: Record<string, MetricSeries> = {};
    for (const [id, entry] of this.entries) {
      entry.view ??= viewOf(entry);
      out[id] = entry.view;
    }
    const snapshot = Object.freeze(out);
    this.cached = { version: this.changes, snapshot };
    return snapshot;
  }

  /** Milliseconds since each source last answered with data; undefined when it never has. */
  sourceAges(now: number): Record<string, number | undefined> {
    const ages: Record<string, number | undefined> = {};
    for (const id of this.sourceIds) {
      const at = this.sourceGoodAt.get(id);
      ages[id] = at === undefined ? undefined : Math.max(0, now - at);
    }
    return ages;
  }

  /**
   * One poll's answer for one track, already shaped. An answer with no points at all is no data.
   * `source` is the source that answered (the baseline query may use another one).
   */
  putPoints(metricId: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>, at: number, opts: { source: string; note?: string }): void {
    let total = 0;
    for (const points of groups.values()) total += points.length;
    if (total === 0) {
      this.putNoData(metricId, track, at, opts.note);
      return;
    }
    const entry = this.entry(metricId);
    this.mergeGroups(entry, track, groups);
    const health = entry[track];
    health.errors = 0;
    health.note = opts.note;
    if (track === 'canary') {
      entry.lastPollAt = at;
      entry.lastGoodAt = at;
      entry.consecutiveNoData = 0;
    }
    this.sourceGoodAt.set(opts.source, Math.max(at, this.sourceGoodAt.get(opts.source) ?? -Infinity));
    this.changed(entry);
  }

  /** The query answered, with no value. */
  putNoData(metricId: string, track: Track, at: number, note?: string): void {
    const entry = this.entry(metricId);
    this.markNoData(entry, track, at, note);
    this.changed(entry);
  }

  /** The query failed; `reason` is one line, shown as is. */
  putError(metricId: string, track: Track, reason: string, at: number): void {
    const entry = this.entry(metricId);
    const health = entry[track];
    health.errors++;
    health.lastError = { at, reason: track === 'baseline' ? `baseline: ${reason}` : reason };
    if (track === 'canary') entry.lastPollAt = at;
    this.changed(entry);
  }

  /**
   * History from a range query: merged into place without touching the poll health, which only
   * live polls describe.
   */
  putHistory(metricId: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>, note?: string): void {
    const entry = this.entry(metricId);
    const changed = this.mergeGroups(entry, track, groups);
    const historyNote = note === undefined ? undefined : `history: ${note}`;
    if (!changed && historyNote === entry.historyNote) return;
    entry.historyNote = historyNote;
    this.changed(entry);
  }

  /** A range query failed: the charts start empty, and the note says why. */
  putHistoryError(metricId: string, track: Track, reason: string): void {
    const entry = this.entry(metricId);
    entry.historyNote = `${track === 'baseline' ? 'baseline ' : ''}history unavailable: ${reason}`;
    this.changed(entry);
  }

  private entry(metricId: string): MetricEntry {
    const entry = this.entries.get(metricId);
    if (!entry) throw new Error(`the series store has no metric "${metricId}"`);
    return entry;
  }

  private markNoData(entry: MetricEntry, track: Track, at: number, note: string | undefined): void {
    const health = entry[track];
    health.errors = 0;
    health.note = note;
    if (track === 'canary') {
      entry.lastPollAt = at;
      entry.consecutiveNoData++;
    }
  }

  private mergeGroups(entry: MetricEntry, track: Track, groups: ReadonlyMap<string, readonly Point[]>): boolean {
    let changed = false;
    for (const [key, points] of groups) {
      if (points.length === 0) continue;
      const ring = this.ringFor(entry, track, key);
      if (ring && ring.merge(points)) changed = true;
    }
    return changed;
  }

  private ringFor(entry: MetricEntry, track: Track, key: string): Ring | undefined {
    const { metric } = entry;
    if (track === 'baseline' && key === '' && metric.split !== undefined) {
      entry.sharedBaseline ??= new Ring(metric.capacity);
      return entry.sharedBaseline;
    }
    let group = entry.groups.get(key);
    if (!group) {
      if (entry.groups.size >= MAX_GROUPS) {
        entry.ignoredGroups++;
        return undefined;
      }
      group = { canary: new Ring(metric.capacity), baseline: new Ring(metric.capacity) };
      entry.groups.set(key, group);
    }
    return group[track];
  }

  private changed(entry: MetricEntry): void {
    entry.view = undefined;
    this.changes++;
    for (const listener of this.listeners) listener();
  }
}

function viewOf(entry: MetricEntry): MetricSeries {
  const shared = entry.sharedBaseline?.samples() ?? SampleView.EMPTY;
  const groups: SeriesGroup[] = [...entry.groups.keys()].sort().map((key) => {
    const group = entry.groups.get(key)!;
    const own = group.baseline.samples();
    return { key, canary: group.canary.samples(), baseline: own.length > 0 ? own : shared };
  });
  const { canary, baseline } = entry;
  const lastError = latest(canary.lastError, baseline.lastError);
  const notes = [
    canary.note,
    baseline.note === undefined ? undefined : `baseline: ${baseline.note}`,
    entry.ignoredGroups > 0 ? `more than ${MAX_GROUPS} ${entry.metric.split ?? 'split'} groups; only the first ${MAX_GROUPS} are kept` : undefined,
    entry.historyNote,
  ].filter((n): n is string => n !== undefined);
  const series: MetricSeries = {
    groups: Object.freeze(groups),
    consecutiveErrors: Math.max(canary.errors, baseline.errors),
    consecutiveNoData: entry.consecutiveNoData,
    ...(entry.lastPollAt !== undefined && { lastPollAt: entry.lastPollAt }),
    ...(entry.lastGoodAt !== undefined && { lastGoodAt: entry.lastGoodAt }),
    ...(lastError && { lastError }),
    ...(notes.length > 0 && { note: notes.join('; ') }),
  };
  return Object.freeze(series);
}

function latest<T extends { at: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.at > a.at ? b : a;
}
