// What the simulated service does over simulated time: how each track's error ratio and latency
// move, and when the /stats endpoint misbehaves. Pure functions of (scenario, track, time), so the
// story the demo tells is the same on every run and at every speed.

export const SCENARIOS = ['healthy', 'incident', 'flaky-source'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type Track = 'canary' | 'stable';
export const TRACKS: readonly Track[] = ['canary', 'stable'];

/**
 * The incident: the canary's defect appears after a short healthy soak and reaches full strength
 * over a ramp, so the console first shows green, then PENDING/WARN, then ROLLBACK — all within
 * about a minute at speed 1.
 */
export const INCIDENT = { startS: 20, rampS: 20 } as const;

/** Healthy levels, shared by both tracks so a baseline comparison starts close to 1×. */
const HEALTHY_ERROR_RATIO = 0.003;
const HEALTHY_MEDIAN_MS = { canary: 50, stable: 48 } as const;
/** At full strength the canary fails 1 request in 10 and is three times slower. */
const INCIDENT_ERROR_RATIO = 0.1;
const INCIDENT_SLOWDOWN = 3;

export interface TrackConditions {
  errorRatio: number;
  medianMs: number;
  /** How broken the track is, 0..1: drives the memory leak and the queue build-up. */
  defect: number;
}

/** 0 before the incident, rising linearly to 1 over the ramp. */
export function defectAt(scenario: Scenario, track: Track, simulatedS: number): number {
  if (scenario !== 'incident' || track !== 'canary') return 0;
  return Math.min(1, Math.max(0, (simulatedS - INCIDENT.startS) / INCIDENT.rampS));
}

export function conditionsAt(scenario: Scenario, track: Track, simulatedS: number): TrackConditions {
  const defect = defectAt(scenario, track, simulatedS);
  return {
    errorRatio: HEALTHY_ERROR_RATIO + (INCIDENT_ERROR_RATIO - HEALTHY_ERROR_RATIO) * defect,
    medianMs: HEALTHY_MEDIAN_MS[track] * (1 + (INCIDENT_SLOWDOWN - 1) * defect),
    defect,
  };
}

export type StatsBehaviour = 'answer' | 'fail' | 'hang';

/**
 * flaky-source: /stats answers for a while, then returns HTTP 503, then stops answering at all,
 * then recovers — each stretch long enough for a few consecutive polls to fail, so the console's
 * error limit is reached and the source shows as failing with its reason.
 */
const FLAKY_CYCLE_S = 60;
const FLAKY_STRETCHES: ReadonlyArray<{ untilS: number; behaviour: StatsBehaviour }> = [
  { untilS: 25, behaviour: 'answer' },
  { untilS: 40, behaviour: 'fail' },
  { untilS: 55, behaviour: 'hang' },
  { untilS: FLAKY_CYCLE_S, behaviour: 'answer' },
];

export function statsBehaviourAt(scenario: Scenario, simulatedS: number): StatsBehaviour {
  if (scenario !== 'flaky-source') return 'answer';
  const inCycle = simulatedS % FLAKY_CYCLE_S;
  return FLAKY_STRETCHES.find((s) => inCycle < s.untilS)!.behaviour;
}
