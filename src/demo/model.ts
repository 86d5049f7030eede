// The simulated service's traffic: requests split between a stable and a canary track by the canary
// share, each served with the error ratio and latency its scenario gives it at that moment. Time
// advances in whole simulated seconds; every second adds to Prometheus-style counters and a latency
// histogram (what /metrics exposes) and to a short window of recent seconds (what /stats
// summarises). A seeded random source makes the numbers wobble like real traffic yet repeat exactly
// from run to run.

import { conditionsAt, TRACKS, type Scenario, type Track } from './scenario.js';
import { mulberry32 } from '../util/random.js';

/** Upper bounds of the latency histogram, seconds; +Inf follows. */
const LATENCY_BUCKETS_S = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5] as const;
/** How many recent seconds /stats summarises. */
const STATS_WINDOW_S = 15;
/** Requests per second across both tracks. */
const TOTAL_RPS = 200;
/** The wobble is random but the same on every run. */
const SEED = 1;

const STEP_MS = 1_000;
/** Spread of the log-normal latency: p95 ≈ 2.1 × the median. */
const LATENCY_SIGMA = 0.45;
const CODES = ['200', '500', '503'] as const;
/** Of the failures, this share are 503s (overload), the rest 500s. */
const SHARE_OF_503 = 0.3;
const BASE_MEMORY_MB: Record<Track, number> = { canary: 182, stable: 176 };
/** Garbage collection: memory climbs by this much, then drops, every GC_PERIOD_S. */
const GC_SAWTOOTH_MB = 8;
const GC_PERIOD_S = 40;
/** A defective track leaks this much per request at full defect; the leak is reclaimed slowly. */
const LEAK_MB_PER_REQUEST = 0.25;
const LEAK_RECLAIM_S = 30;

interface Second {
  requests: number;
  errors: number;
  /** Per histogram bucket (not cumulative), +Inf last. */
  buckets: number[];
}

interface TrackState {
  byCode: Record<(typeof CODES)[number], number>;
  buckets: number[];
  sumS: number;
  inFlight: number;
  leakMb: number;
  memoryMb: number;
  /** Fractions of a request carried into the next second, so the long-run rate is exact. */
  carry: number;
  errorCarry: number;
  window: Second[];
}

export interface TrackStats {
  share: number;
  rps: number;
  /** Over the last STATS_WINDOW_S seconds; null when the track served nothing. */
  error_rate: number | null;
  p95_ms: number | null;
  queue_depth: number;
  memory_mb: number;
}

export interface ServiceStats {
  scenario: Scenario;
  simulated_s: number;
  window_s: number;
  canary: TrackStats;
  stable: TrackStats;
  all: { rps: number; error_rate: number | null; p95_ms: number | null };
}

export interface TrafficModelOptions {
  scenario: Scenario;
  /** Canary share of traffic, 0..100. */
  share: number;
}

export class TrafficModel {
  readonly scenario: Scenario;
  private currentShare: number;
  private readonly random: () => number;
  private readonly tracks: Record<Track, TrackState>;
  private elapsedMs = 0;

  constructor(opts: TrafficModelOptions) {
    this.scenario = opts.scenario;
    this.currentShare = checkShare(opts.share);
    this.random = mulberry32(SEED);
    this.tracks = { canary: emptyTrack('canary'), stable: emptyTrack('stable') };
  }

  /** Simulated time served so far, in whole seconds' worth of milliseconds. */
  get simulatedMs(): number {
    return this.elapsedMs;
  }

  get share(): number {
    return this.currentShare;
  }

  /** Takes effect from the next simulated second. */
  setShare(share: number): void {
    this.currentShare = checkShare(share);
  }

  /** Serves every whole simulated second up to `simulatedMs`. */
  advanceTo(simulatedMs: number): void {
    while (this.elapsedMs + STEP_MS <= simulatedMs) {
      const second = this.elapsedMs / 1_000;
      for (const track of TRACKS) this.serve(track, second);
      this.elapsedMs += STEP_MS;
    }
  }

  /** Requests served so far per track. */
  served(): Record<Track, number> {
    const total = (t: TrackState) => CODES.reduce((sum, code) => sum + t.byCode[code], 0);
    return { canary: total(this.tracks.canary), stable: total(this.tracks.stable) };
  }

  /** The Prometheus text exposition (0.0.4) of the counters, histogram and gauges. */
  exposition(): string {
    const lines: string[] = [];
    const both = (fn: (track: Track, state: TrackState) => void) => TRACKS.forEach((t) => fn(t, this.tracks[t]));

    lines.push('# HELP http_requests_total Requests served, by track and status code.', '# TYPE http_requests_total counter');
    both((track, s) => CODES.forEach((code) => lines.push(`http_requests_total{track="${track}",code="${code}"} ${s.byCode[code]}`)));

    lines.push('# HELP http_request_duration_seconds Request latency.', '# TYPE http_request_duration_seconds histogram');
    both((track, s) => {
      let cumulative = 0;
      s.buckets.forEach((n, i) => {
        cumulative += n;
        const le = i < LATENCY_BUCKETS_S.length ? String(LATENCY_BUCKETS_S[i]) : '+Inf';
        lines.push(`http_request_duration_seconds_bucket{track="${track}",le="${le}"} ${cumulative}`);
      });
      lines.push(`http_request_duration_seconds_sum{track="${track}"} ${round(s.sumS, 6)}`);
      lines.push(`http_request_duration_seconds_count{track="${track}"} ${cumulative}`);
    });

    lines.push('# HELP http_requests_in_flight Requests being served or queued.', '# TYPE http_requests_in_flight gauge');
    both((track, s) => lines.push(`http_requests_in_flight{track="${track}"} ${s.inFlight}`));

    lines.push('# HELP process_resident_memory_bytes Resident memory of the track\'s processes.', '# TYPE process_resident_memory_bytes gauge');
    both((track, s) => lines.push(`process_resident_memory_bytes{track="${track}"} ${Math.round(s.memoryMb * 1024 * 1024)}`));

    lines.push('# HELP canary_traffic_share_percent Share of traffic routed to the canary.', '# TYPE canary_traffic_share_percent gauge');
    lines.push(`canary_traffic_share_percent ${this.currentShare}`);
    return `${lines.join('\n')}\n`;
  }

  /** The recent-window summary /stats serves. */
  stats(): ServiceStats {
    const covered = Math.min(STATS_WINDOW_S, this.elapsedMs / 1_000);
    const summary = (track: Track): TrackStats => {
      const s = this.tracks[track];
      const w = sumWindow(s.window);
      return {
        share: track === 'canary' ? this.currentShare : 100 - this.currentShare,
        rps: covered > 0 ? round(w.requests / covered, 1) : 0,
        error_rate: w.requests > 0 ? round(w.errors / w.requests, 5) : null,
        p95_ms: quantileMs(0.95, w.buckets),
        queue_depth: s.inFlight,
        memory_mb: round(s.memoryMb, 1),
      };
    };
    const all = sumWindow([...this.tracks.canary.window, ...this.tracks.stable.window]);
    return {
      scenario: this.scenario,
      simulated_s: this.elapsedMs / 1_000,
      window_s: STATS_WINDOW_S,
      canary: summary('canary'),
      stable: summary('stable'),
      all: {
        rps: covered > 0 ? round(all.requests / covered, 1) : 0,
        error_rate: all.requests > 0 ? round(all.errors / all.requests, 5) : null,
        p95_ms: quantileMs(0.95, all.buckets),
      },
    };
  }

  private serve(track: Track, second: number): void {
    const s = this.tracks[track];
    const conditions = conditionsAt(this.scenario, track, second);
    const share = (track === 'canary' ? this.currentShare : 100 - this.currentShare) / 100;
    const rps = TOTAL_RPS * share;

    const wanted = Math.max(0, rps * (1 + 0.04 * this.gauss())) + s.carry;
    const requests = Math.floor(wanted);
    s.carry = wanted - requests;

    // Failures wobble around the scenario's ratio but carry their fractions over like requests
    // do: counting noise on a few hundred requests would make a healthy canary flap into WARN.
    const expectedErrors = Math.max(0, requests * conditions.errorRatio * (1 + 0.3 * this.gauss())) + s.errorCarry;
    const errors = Math.min(requests, Math.floor(expectedErrors));
    s.errorCarry = Math.min(1, expectedErrors - errors);
    let unavailable = 0;
    for (let i = 0; i < errors; i++) if (this.random() < SHARE_OF_503) unavailable++;
    s.byCode['200'] += requests - errors;
    s.byCode['503'] += unavailable;
    s.byCode['500'] += errors - unavailable;

    // Each request draws its own latency, so the histogram has the tail a real one has.
    const medianS = conditions.medianMs / 1_000;
    const buckets = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
    for (let i = 0; i < requests; i++) {
      const latencyS = medianS * Math.exp(LATENCY_SIGMA * this.gauss());
      buckets[bucketOf(latencyS)]!++;
      s.sumS += latencyS;
    }
    buckets.forEach((n, i) => (s.buckets[i]! += n));
    const meanS = medianS * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2);

    // Little's law, plus a backlog that builds while the track is defective.
    const queued = rps * meanS * (1 + 4 * conditions.defect) + 0.5 * this.gauss();
    s.inFlight = Math.max(0, Math.round(queued));

    s.leakMb = (s.leakMb + conditions.defect * requests * LEAK_MB_PER_REQUEST) * Math.exp(-1 / LEAK_RECLAIM_S);
    s.memoryMb = BASE_MEMORY_MB[track] + GC_SAWTOOTH_MB * ((second % GC_PERIOD_S) / GC_PERIOD_S) + s.leakMb;

    s.window.push({ requests, errors, buckets });
    if (s.window.length > STATS_WINDOW_S) s.window.shift();
  }

  /** A standard normal variate (Box–Muller). */
  private gauss(): number {
    const u = Math.max(this.random(), Number.EPSILON);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }
}

function emptyTrack(track: Track): TrackState {
  return {
    byCode: { '200': 0, '500': 0, '503': 0 },
    buckets: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0),
    sumS: 0,
    inFlight: 0,
    leakMb: 0,
    memoryMb: BASE_MEMORY_MB[track],
    carry: 0,
    errorCarry: 0,
    window: [],
  };
}

function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0 || share > 100) throw new RangeError(`canary share must be 0..100, got ${share}`);
  return share;
}

/** The index of the first bucket whose upper bound holds the latency; +Inf is the last. */
function bucketOf(latencyS: number): number {
  const i = LATENCY_BUCKETS_S.findIndex((bound) => latencyS <= bound);
  return i === -1 ? LATENCY_BUCKETS_S.length : i;
}

function sumWindow(seconds: readonly Second[]): Second {
  const total: Second = { requests: 0, errors: 0, buckets: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0) };
  for (const s of seconds) {
    total.requests += s.requests;
    total.errors += s.errors;
    s.buckets.forEach((n, i) => (total.buckets[i]! += n));
  }
  return total;
}

/** A quantile of per-bucket counts, interpolated within its bucket as histogram_quantile does. */
function quantileMs(q: number, buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < buckets.length; i++) {
    const inBucket = buckets[i]!;
    if (cumulative + inBucket >= rank && inBucket > 0) {
      if (i === LATENCY_BUCKETS_S.length) return round(LATENCY_BUCKETS_S[i - 1]! * 1_000, 1);
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_S[i - 1]!;
      const upper = LATENCY_BUCKETS_S[i]!;
      return round((lower + (upper - lower) * ((rank - cumulative) / inBucket)) * 1_000, 1);
    }
    cumulative += inBucket;
  }
  return null;
}


function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
