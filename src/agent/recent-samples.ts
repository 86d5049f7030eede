// What a standby agent saw while another agent stored the history: every answer of the last
// `windowMs`, kept in memory. When this agent starts storing (the leader died, or left), the
// answers newer than what the store holds for the same series are written, in the order they came,
// so a failover leaves no hole in the history — and never a second copy of what the old leader wrote.

import type { HistoryRange } from '../engine/history.js';
import type { SampleSink } from '../engine/sample-sink.js';
import type { Track } from '../engine/shape.js';
import type { Point } from '../engine/types.js';
import type { SourceErrorKind } from '../sources/source.js';

type Entry =
  | { kind: 'samples'; at: number; metric: string; track: Track; groups: ReadonlyMap<string, readonly Point[]> }
  | { kind: 'nodata'; at: number; metric: string; track: Track }
  | { kind: 'error'; at: number; metric: string; track: Track; reason: string; errorKind?: SourceErrorKind | undefined };

/** The newest time the store holds for a series (`group` undefined: any series or event of the metric's track), or -Infinity. */
export type LastStored = (metric: string, track: Track, group?: string) => number;

/** At most this many answers are kept, whatever the window: a bound on memory, not a rule. */
const MAX_ENTRIES = 100_000;

export class RecentSamples implements SampleSink {
  private entries: Entry[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void {
    let at = -Infinity;
    for (const points of groups.values()) for (const p of points) at = Math.max(at, p.t);
    this.keep({ kind: 'samples', at, metric, track, groups });
  }

  noData(metric: string, track: Track, at: number): void {
    this.keep({ kind: 'nodata', at, metric, track });
  }

  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void {
    this.keep({ kind: 'error', at, metric, track, reason, errorKind: kind });
  }

  /** Writes into `sink`, in arrival order, every kept answer newer than `last` says is stored; forgets them all. Returns the points written. */
  replay(sink: SampleSink, last: LastStored): number {
    let points = 0;
    for (const e of this.entries) {
      if (e.kind === 'samples') {
        const groups = new Map<string, readonly Point[]>();
        for (const [group, list] of e.groups) {
          const after = last(e.metric, e.track, group);
          const newer = list.filter((p) => p.t > after);
          if (newer.length > 0) groups.set(group, newer);
          points += newer.length;
        }
        if (groups.size > 0) sink.samples(e.metric, e.track, groups);
      } else if (e.at > last(e.metric, e.track)) {
        if (e.kind === 'nodata') sink.noData(e.metric, e.track, e.at);
        else sink.error(e.metric, e.track, e.reason, e.at, e.errorKind);
      }
    }
    this.entries = [];
    return points;
  }

  private keep(entry: Entry): void {
    this.entries.push(entry);
    const cutoff = this.now() - this.windowMs;
    let drop = 0;
    while (drop < this.entries.length && (this.entries[drop]!.at < cutoff || this.entries.length - drop > MAX_ENTRIES)) drop++;
    if (drop > 0) this.entries.splice(0, drop);
  }
}

/** What a store read says it holds, as a LastStored; a store that could not be read holds everything up to `now`. */
export function lastStoredIn(stored: { problem?: string; read(metric: string, track: Track): HistoryRange } | undefined, now: number): LastStored {
  // Unreadable: nothing from before storing began is written, so nothing can be written twice.
  if (stored?.problem !== undefined) return () => now;
  if (!stored) return () => -Infinity;
  return (metric, track, group) => {
    const range = stored.read(metric, track);
    let last = -Infinity;
    for (const s of range.series) if (group === undefined || s.group === group) last = Math.max(last, s.points.at(-1)?.t ?? -Infinity);
    if (group === undefined) for (const e of range.events) last = Math.max(last, e.at);
    return last;
  };
}

export interface StandbySinkOptions {
  /** Whether this agent stores now (it leads, or no agent does). */
  storing: () => boolean;
  history: SampleSink;
  windowMs: number;
  now: () => number;
  /** What the store holds now, read when this agent starts storing. */
  lastStored: () => Promise<LastStored>;
  /** Told how many kept samples were written at a start of storing (when any were). */
  wrote: (points: number) => void;
}

/**
 * The agent's sink: the history while it stores; the recent answers while it stands by, and while
 * those are written after it starts storing, so the history gets every answer oldest first.
 */
export class StandbySink implements SampleSink {
  private readonly recent: RecentSamples;
  private gap: 'filling' | 'filled' | undefined;

  constructor(private readonly opts: StandbySinkOptions) {
    this.recent = new RecentSamples(opts.windowMs, opts.now);
  }

  samples(metric: string, track: Track, groups: ReadonlyMap<string, readonly Point[]>): void {
    this.target().samples(metric, track, groups);
  }

  noData(metric: string, track: Track, at: number): void {
    this.target().noData(metric, track, at);
  }

  error(metric: string, track: Track, reason: string, at: number, kind?: SourceErrorKind): void {
    this.target().error(metric, track, reason, at, kind);
  }

  private target(): SampleSink {
    if (!this.opts.storing()) {
      if (this.gap === 'filled') this.gap = undefined;
      return this.recent;
    }
    if (this.gap === 'filled') return this.opts.history;
    if (this.gap === undefined) {
      if (this.recent.size === 0) {
        // Nothing kept (an agent that stores from its start): straight to the history.
        this.gap = 'filled';
        return this.opts.history;
      }
      this.gap = 'filling';
      void this.fill();
    }
    return this.recent;
  }

  private async fill(): Promise<void> {
    const last = await this.opts.lastStored().catch(() => () => this.opts.now());
    const points = this.recent.replay(this.opts.history, last);
    if (points > 0) this.opts.wrote(points);
    this.gap = 'filled';
  }
}
