// The one owner of time: asks each source for each metric on the metric's interval and writes the
// answers into the series store. A slow or dead source delays nothing but itself:
//  - each metric (and its baseline query) polls on its own grid: a start phase, then exactly
//    every interval. Phases are spread over the first `jitter` share of the interval so that many
//    metrics do not hit a source in the same instant, in 100 ms slots so that metrics sharing a
//    slot share one wake-up (on a bastion, wake-ups cost more CPU than the polls themselves);
//  - at most one query per metric and track is in flight; a tick that finds one running is skipped;
//  - each source has its own bound on queries in flight (`concurrency`, default 4);
//  - each query has a deadline on the injected clock: the metric's timeout plus a short grace, so
//    a source's own timeout (which names its address) normally answers first, and a source that
//    ignores its AbortSignal still cannot hold a query past it;
//  - failures back off (interval × 2^n after the failed attempt, at most four intervals, never
//    under 30 s nor over 5 minutes) and a success returns the metric to its grid; the first answer
//    from a source that was failing returns every metric on it to its grid, so a fixed source is
//    seen again within one interval of its first answer, not one backoff later per metric.

import { formatDuration } from '../profile/duration.js';
import { redact } from '../profile/redact.js';
import type { Metric, Profile, Query } from '../profile/types.js';
import { isSourceError, SourceError, type Source, type SourceErrorKind } from '../sources/source.js';
import { oneLine } from '../sources/timeout.js';
import type { Clock } from './clock.js';
import type { SampleSink } from './sample-sink.js';
import type { SeriesStore } from './series.js';
import { sameAnswerSamples, samplesQuery, withSamples } from './samples.js';
import { answeredTracks, shape, type Shaped, type Track } from './shape.js';
import type { SeriesSet } from './types.js';
import { isClean, sanitizeLabels, sanitizeLine } from '../util/sanitize.js';
import { Gate, InFlight } from './in-flight.js';
import { keepRows, RawSampleStore, summarized } from './raw-samples.js';

export interface PollerOptions {
  profile: Profile;
  sources: ReadonlyMap<string, Source>;
  store: SeriesStore;
  clock: Clock;
  /** Hears every sample, no-data answer and error (a recording, the agent's history). */
  recorder?: SampleSink;
  /** The share of each interval over which metrics' first polls are spread, 0..1 (default 0.1). */
  jitter?: number;
  random?: () => number;
}

export const DEFAULT_CONCURRENCY = 4;
/** The share of each interval a round's first polls are spread over, unless told otherwise. */
export const DEFAULT_JITTER = 0.1;
export const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * The backoff's cap: four intervals, at least 30 s. A failing source is then asked at a quarter of
 * its normal rate at most (enough not to hammer it), and a fix is seen within four intervals (30 s
 * for a 2 s exec probe), not after minutes; errorLimit has already made the metric `error` by then.
 */
export const BACKOFF_INTERVALS = 4;
export const MIN_BACKOFF_CAP_MS = 30_000;
/** How long past the metric's timeout the poller waits before abandoning a query itself. */
export const DEADLINE_GRACE_MS = 1_000;
/** Start phases are whole multiples of this, so that metrics share wake-ups. */
export const SLOT_MS = 100;

/** One query on its own schedule: a metric's canary query, or its baseline query. */
interface Job {
  metric: Metric;
  track: Track;
  sourceId: string;
  query: Query;
  /** Offset of this job's grid from the poller's start. */
  phase: number;
  /** When it polls next, while the poller runs. */
  due: number;
  /** When the attempt now in flight was due: backoff counts from there. */
  attemptAt: number;
  errors: number;
  inFlight?: Promise<void>;
}

export class Poller {
  private readonly profile: Profile;
  private readonly sources: ReadonlyMap<string, Source>;
  private readonly store: SeriesStore;
  private readonly clock: Clock;
  private readonly recorder: SampleSink | undefined;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly jobs: Job[] = [];
  /** Raw metrics' rows, window by window, for their Mann–Whitney tests (evaluate reads them). */
  readonly raw: RawSampleStore;
  private readonly gates = new Map<string, Gate>();
  private readonly running = new Set<InFlight>();
  private started = false;
  private stopped = false;
  private origin = 0;
  private wake: { at: number; cancel: () => void } | undefined;

  constructor(opts: PollerOptions) {
    this.profile = opts.profile;
    this.sources = opts.sources;
    this.store = opts.store;
    this.clock = opts.clock;
    this.recorder = opts.recorder;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? DEFAULT_JITTER));
    this.random = opts.random ?? Math.random;
    this.raw = new RawSampleStore(opts.profile);
    const job = (metric: Metric, track: Track, sourceId: string, query: Query): Job =>
      ({ metric, track, sourceId, query, phase: 0, due: 0, attemptAt: 0, errors: 0 });
    for (const id of this.profile.metricIds) {
      const metric = this.profile.metrics[id];
      if (!metric) continue;
      this.jobs.push(job(metric, 'canary', metric.source, metric.query));
      if (metric.baseline?.kind === 'query') {
        // An http baseline may live at another path of its source: the job asks with that path.
        const asked = metric.baseline.path !== undefined ? { ...metric, path: metric.baseline.path } : metric;
        this.jobs.push(job(asked, 'baseline', metric.baseline.source, metric.baseline.query));
      }
    }
  }

  /** Starts every schedule; the first polls fall within the first `jitter` share of an interval. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.origin = this.clock.now();
    for (const job of this.jobs) {
      const spread = this.random() * this.jitter * job.metric.intervalMs;
      job.phase = Math.min(Math.floor(spread / SLOT_MS) * SLOT_MS, job.metric.intervalMs - 1);
      job.due = this.origin + job.phase;
    }
    this.reschedule();
  }

  /**
   * Aborts everything in flight and cancels the timer; resolves once nothing is running. The
   * sources stay open (whoever created them closes them). A stopped poller stays stopped.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    this.wake?.cancel();
    this.wake = undefined;
    const running = [...this.running];
    for (const r of running) r.cancel(new SourceError('aborted', 'poller stopped'));
    await Promise.allSettled(running.map((r) => r.done));
  }

  /** Polls every metric now, except those already in flight; the schedule carries on as it was. */
  pollNow(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const job of this.jobs) {
      if (job.inFlight) continue;
      job.attemptAt = now;
      void this.run(job);
    }
  }

  /** Every metric and baseline query once; resolves when all have answered or failed. */
  async pollOnce(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.now();
    await Promise.all(
      this.jobs.map((job) => {
        if (!job.inFlight) job.attemptAt = now;
        return this.run(job);
      }),
    );
  }

  /**
   * History over [now − rangeMs, now] at each metric's interval, from sources that keep it, so
   * charts are full at once and `for` and hold windows can be judged without waiting them out.
   */
  async backfill(rangeMs: number): Promise<void> {
    if (this.stopped) return;
    await Promise.all(this.jobs.map((job) => this.backfillJob(job, rangeMs)));
  }

  /** Keeps one timer, for the earliest due job: jobs due together wake the process once. */
  private reschedule(): void {
    if (!this.started) return;
    let next = Infinity;
    for (const job of this.jobs) if (job.due < next) next = job.due;
    if (next === Infinity || this.wake?.at === next) return;
    this.wake?.cancel();
    const cancel = this.clock.setTimeout(() => this.wakeUp(), Math.max(0, next - this.clock.now()));
    this.wake = { at: next, cancel };
  }

  private wakeUp(): void {
    this.wake = undefined;
    if (!this.started) return;
    const now = this.clock.now();
    for (const job of this.jobs) if (job.due <= now) this.tick(job, now);
    this.reschedule();
  }

  private tick(job: Job, now: number): void {
    const slot = job.due;
    job.due = this.gridAfter(job, now);
    if (job.inFlight) return;
    job.attemptAt = slot;
    void this.run(job);
  }

  /** The first point of the job's grid strictly after t. */
  private gridAfter(job: Job, t: number): number {
    const start = this.origin + job.phase;
    const interval = job.metric.intervalMs;
    return start + Math.max(0, Math.floor((t - start) / interval) + 1) * interval;
  }

  /** After n failures in a row: the interval doubled n times, at most the cap (never under the interval). */
  private backoff(job: Job): number {
    const interval = job.metric.intervalMs;
    const cap = Math.min(MAX_BACKOFF_MS, Math.max(BACKOFF_INTERVALS * interval, MIN_BACKOFF_CAP_MS));
    return Math.min(interval * 2 ** job.errors, Math.max(cap, interval));
  }

  /** A source answered after failing: every metric backing off from it goes back to its grid. */
  private recovered(sourceId: string, at: number): void {
    if (!this.started) return;
    for (const other of this.jobs) {
      if (other.sourceId !== sourceId || other.errors === 0 || other.inFlight) continue;
      other.due = Math.min(other.due, this.gridAfter(other, at));
    }
    this.reschedule();
  }

  private run(job: Job): Promise<void> {
    job.inFlight ??= this.poll(job).finally(() => {
      job.inFlight = undefined;
    });
    return job.inFlight;
  }

  private async poll(job: Job): Promise<void> {
    let answer: SeriesSet;
    try {
      answer = await this.request(job, (source, signal) => {
        // Asked when the slot is free; the count at the same moment as the value.
        const time = this.clock.now();
        const samples = sameAnswerSamples(job.metric, job.track, source.type);
        const asked = withSamples((count) => source.instant({ metric: job.metric, query: count ?? job.query, time, signal, samples }), this.countQuery(job));
        // A raw metric's rows become its statistic at `time`; the rows ride along to keepRows.
        const { raw } = job.metric;
        return raw ? asked.then((set) => summarized(set, raw, time)) : asked;
      });
    } catch (error) {
      if (this.stopped) return;
      this.failed(job, reasonOf(error, this.profile.secrets));
      return;
    }
    if (this.stopped) return;
    answer = cleaned(answer, this.profile.secrets);
    const at = this.clock.now();
    if (job.metric.raw) keepRows(this.raw, job.metric, job.track, answer, at);
    let ok = false;
    for (const track of answeredTracks(job.metric, job.track)) {
      const accepted = this.accept(job, track, shape(answer, job.metric, track), at);
      if (track === job.track) ok = accepted;
    }
    // The tick that started this attempt already put the job back on its grid.
    if (!ok) return;
    const wasFailing = job.errors > 0;
    job.errors = 0;
    if (wasFailing) this.recovered(job.sourceId, at);
  }

  /** Writes one track's shaped answer to the store and the recording; false when it was an error. */
  private accept(job: Job, track: Track, shaped: Shaped, at: number): boolean {
    const id = job.metric.id;
    if ('error' in shaped) {
      if (track === job.track) this.failed(job, { reason: sanitizeLine(shaped.error), kind: 'query' });
      else {
        const reason = sanitizeLine(shaped.error);
        this.store.putError(id, track, reason, at);
        this.recorder?.error(id, track, reason, at, 'query');
      }
      return false;
    }
    let points = 0;
    for (const group of shaped.groups.values()) points += group.length;
    if (points === 0) {
      this.store.putNoData(id, track, at, shaped.note);
      this.recorder?.noData(id, track, at);
    } else {
      this.store.putPoints(id, track, shaped.groups, at, { source: job.sourceId, ...(shaped.note !== undefined && { note: shaped.note }) });
      this.recorder?.samples(id, track, shaped.groups);
    }
    return true;
  }

  private failed(job: Job, failure: { reason: string; kind: SourceErrorKind }): void {
    const error = { ...failure, reason: sanitizeLine(failure.reason) };
    const at = this.clock.now();
    job.errors++;
    this.store.putError(job.metric.id, job.track, error.reason, at);
    this.recorder?.error(job.metric.id, job.track, error.reason, at, error.kind);
    if (!this.started) return;
    const retry = job.attemptAt + this.backoff(job);
    job.due = retry > at ? retry : this.gridAfter(job, at);
    this.reschedule();
  }

  private async backfillJob(job: Job, rangeMs: number): Promise<void> {
    const source = this.sources.get(job.sourceId);
    if (!source?.range) return;
    const end = this.clock.now();
    const { metric } = job;
    let answer: SeriesSet;
    try {
      answer = await this.request(job, (s, signal) =>
        withSamples((count) => s.range!({ metric, query: count ?? job.query, start: end - rangeMs, end, stepMs: metric.intervalMs, signal }), this.countQuery(job)),
      );
    } catch (error) {
      if (!this.stopped) this.store.putHistoryError(metric.id, job.track, sanitizeLine(reasonOf(error, this.profile.secrets).reason));
      return;
    }
    if (this.stopped) return;
    answer = cleaned(answer, this.profile.secrets);
    for (const track of answeredTracks(metric, job.track)) {
      const shaped = shape(answer, metric, track);
      if ('error' in shaped) {
        this.store.putHistoryError(metric.id, track, sanitizeLine(shaped.error));
        continue;
      }
      this.store.putHistory(metric.id, track, shaped.groups, shaped.note);
      this.recorder?.samples(metric.id, track, shaped.groups);
    }
  }

  /**
   * One request to the job's source: waits for a slot, then races the source against the deadline
   * and stop(), so a source that ignores its signal still cannot hold the poller.
   */
  private async request(job: Job, ask: (source: Source, signal: AbortSignal) => Promise<SeriesSet>): Promise<SeriesSet> {
    const source = this.sources.get(job.sourceId);
    if (!source) throw new SourceError('unreachable', `source ${job.sourceId} is not available`);
    const flight = new InFlight();
    this.running.add(flight);
    try {
      const release = await this.gate(job.sourceId).acquire(flight);
      const timeoutMs = job.metric.timeoutMs;
      const cancelDeadline = this.clock.setTimeout(
        () => flight.cancel(new SourceError('timeout', `timed out after ${formatDuration(timeoutMs)}`)),
        timeoutMs + DEADLINE_GRACE_MS,
      );
      try {
        return await Promise.race([ask(source, flight.signal), flight.abandoned]);
      } finally {
        cancelDeadline();
        release();
      }
    } finally {
      this.running.delete(flight);
      flight.finish();
    }
  }

  private countQuery(job: Job): string | undefined {
    return samplesQuery(job.metric, job.track, this.sources.get(job.sourceId)?.type);
  }

  private gate(sourceId: string): Gate {
    let gate = this.gates.get(sourceId);
    if (!gate) {
      const config = this.profile.sources[sourceId];
      const limit = config && 'concurrency' in config && config.concurrency ? config.concurrency : DEFAULT_CONCURRENCY;
      gate = new Gate(limit);
      this.gates.set(sourceId, gate);
    }
    return gate;
  }
}

/**
 * An answer made safe where it enters, so every reader of the store (screen, check, report,
 * notifiers, recordings) gets clean text: label names and values and the source's warnings with
 * control and bidi characters escaped, and warnings without the profile's secrets.
 */
function cleaned(set: SeriesSet, secrets: readonly string[]): SeriesSet {
  const dirty = set.series.some((s) => Object.entries(s.labels).some(([k, v]) => !isClean(k) || !isClean(v)));
  const series = dirty ? set.series.map((s) => ({ ...s, labels: sanitizeLabels(s.labels) })) : set.series;
  if (!set.warnings) return dirty ? { series } : set;
  return { series, warnings: set.warnings.map((w) => sanitizeLine(redact(w, secrets))) };
}

function reasonOf(error: unknown, secrets: readonly string[]): { reason: string; kind: SourceErrorKind } {
  if (isSourceError(error)) return { reason: error.reason, kind: error.kind };
  // Sources turn their failures into SourceErrors; anything else is a fault, still one clean line.
  const text = error instanceof Error ? error.message : String(error);
  return { reason: redact(`source failed: ${oneLine(text) || 'unknown error'}`, secrets), kind: 'query' };
}
