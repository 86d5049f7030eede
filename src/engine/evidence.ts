// How much a judgement stands on, and how sure it is: the samples behind a metric's latest value
// (for `minSamples:`), and for a rule that asks for significance (`significant`, `confidence:`)
// the always-valid p-value of the difference it compares (statistics.ts: the mixture SPRT).
//
// Why windows that do not overlap: a ratio is measured over a window (errors and requests in the
// last 5m), polled far more often than the window is long. Adding up every poll would count each
// request many times and make any difference look significant. So the evidence is the counts of a
// chain of windows that tile the phase: the first sample of the phase, then each first sample at
// least one window after the one chosen before. The chain only ever grows as samples arrive (it is
// chosen from the phase start forward), which is what the sequential test needs to stay valid at
// every look; it lags the latest sample by less than one window.

import { badDirection } from '../profile/condition.js';
import { DEFAULT_CONFIDENCE } from '../profile/samples.js';
import type { Condition, Metric, Rule } from '../profile/types.js';
import type { MetricStatus } from './types.js';
import { formatValue } from '../profile/units.js';
import type { Track } from './judge.js';
import { HOLDS } from './truth.js';
import { msprtOneProportion, msprtTwoProportions, type Proportion } from './statistics.js';
import type { RawSampleStore } from './raw-samples.js';
import { rawSignificance } from './raw-test.js';

export interface Significance {
  /** Always-valid p-value (running minimum over the chain of windows). */
  p: number;
  /** Canary rate − reference rate (the baseline's, or the fixed rate tested against). */
  effect: number;
  /** The canary's counts and the baseline's (absent when tested against a fixed rate). */
  canary: Proportion;
  baseline?: Proportion;
  /** The fixed rate tested against, for a literal threshold or a fixed baseline. */
  reference?: number;
  confidence: number;
  /** p ≤ 1 − confidence with the difference on the side the condition calls bad. */
  significant: boolean;
  method: 'mSPRT' | 'Mann-Whitney';
  /**
   * A raw metric's test (Mann–Whitney on rows; `effect` is then the Hodges–Lehmann shift and the
   * counts' `n` are rows, their `x` 0): its statistic over the rows tested, canary and baseline.
   */
  rows?: { statistic: string; value: number; vs: number; medianRatio: number; looks: number };
}

/** Where a raw metric's rows are, and the phase and moment judged. */
export interface RawContext {
  store: RawSampleStore;
  phaseStartedAt: number;
  now: number;
}

/** The samples behind sample i (undefined when its count is unknown). */
export function samplesAt(track: Track, i: number): number | undefined {
  return i >= 0 && i < track.samples.length ? track.countAt(i) : undefined;
}

/**
 * The sequential test of a condition at the latest sample: is the canary's rate different from
 * what the condition compares it with, beyond chance? Undefined when there are no counts to test.
 */
export function significance(track: Track, metric: Metric, condition: Condition, confidence: number, raw?: RawContext): Significance | undefined {
  if (metric.raw) return raw ? rowsSignificance(raw, metric, condition, confidence) : undefined;
  // Only a ratio times its count is a count of events; a latency times its samples is not.
  if (condition.kind === 'count' || !metric.samples || metric.unit !== 'ratio') return undefined;
  const chain = windowChain(track, metric.windowMs);
  const twoSample = 'ref' in condition && condition.ref === 'baseline' && (metric.baseline?.kind === 'query' || metric.baseline?.kind === 'select');
  const canary = { x: 0, n: 0 };
  const baseline = { x: 0, n: 0 };
  let p = 1;
  let last: { effect: number; reference?: number } | undefined;
  for (const i of chain) {
    const c = countsAt(track, i);
    if (!c) continue;
    let reference: number | undefined;
    if (twoSample) {
      const control = track.controlAt(i);
      if (!control || control.n === undefined || control.n <= 0) continue;
      baseline.x += clamp(Math.round(control.v * control.n), control.n);
      baseline.n += control.n;
    } else {
      reference = fixedRate(track, condition, i);
      if (reference === undefined || !(reference > 0 && reference < 1)) continue;
    }
    canary.x += c.x;
    canary.n += c.n;
    if (twoSample) {
      const tau = Math.max(Math.abs((track.threshold(condition, i) ?? 0) - track.baselineAt(i)!), 1e-6);
      const r = msprtTwoProportions(canary, baseline, tau);
      p = Math.min(p, r.p);
      last = { effect: r.effect };
    } else {
      // H₀: the canary's rate is the fixed one; the difference of interest is of its own size.
      const r = msprtOneProportion(canary, reference!, reference!);
      p = Math.min(p, r.p);
      last = { effect: r.effect, reference };
    }
  }
  if (!last) return undefined;
  const direction = badDirection(condition.op);
  const sided = direction === 0 || Math.sign(last.effect) === direction;
  return {
    p,
    effect: last.effect,
    canary: { ...canary },
    ...(twoSample ? { baseline: { ...baseline } } : {}),
    ...(last.reference !== undefined ? { reference: last.reference } : {}),
    confidence,
    significant: sided && p <= 1 - confidence,
    method: 'mSPRT',
  };
}

/** A raw metric's Mann–Whitney test in the shape every reader of a test knows. */
function rowsSignificance(raw: RawContext, metric: Metric, condition: Condition, confidence: number): Significance | undefined {
  const r = rawSignificance(raw.store, metric, condition, confidence, raw.phaseStartedAt, raw.now);
  if (!r) return undefined;
  return {
    p: r.p,
    effect: r.shift,
    canary: { x: 0, n: r.n },
    baseline: { x: 0, n: r.baselineN },
    confidence,
    significant: r.significant,
    method: 'Mann-Whitney',
    rows: { statistic: metric.raw!.statistic, value: r.value, vs: r.vs, medianRatio: r.medianRatio, looks: r.looks },
  };
}

/** The samples of the phase whose windows tile it without overlapping, oldest first. */
export function windowChain(track: Track, windowMs: number): number[] {
  const chain: number[] = [];
  let next = -Infinity;
  for (let i = track.phaseStart; i < track.end; i++) {
    const t = track.timeAt(i);
    if (t < next) continue;
    chain.push(i);
    next = t + windowMs;
  }
  return chain;
}

/** Failures out of samples at sample i: the ratio times its count, rounded to whole events. */
function countsAt(track: Track, i: number): Proportion | undefined {
  const n = track.countAt(i);
  const v = track.samples.valueAt(i);
  if (n === undefined || n <= 0 || Number.isNaN(v)) return undefined;
  return { x: clamp(Math.round(v * n), n), n };
}

/** The rate a one-sample test compares with: the literal threshold, or the fixed baseline / start value. */
function fixedRate(track: Track, condition: Condition, i: number): number | undefined {
  if (condition.kind === 'literal') return condition.threshold;
  return 'ref' in condition ? track.reference(condition.ref, i) : undefined;
}

function clamp(x: number, n: number): number {
  return Math.min(n, Math.max(0, x));
}

/** The metric's samples for its status: the count behind the value shown, and the largest minimum its rules ask. */
export function samplesOf(metric: Metric, rules: Rule[], track: Track | undefined, i: number): NonNullable<MetricStatus['samples']> {
  const n = track && i >= 0 ? samplesAt(track, i) : undefined;
  const min = Math.max(0, ...rules.map((r) => r.minSamples ?? 0));
  return { ...(n !== undefined ? { n } : {}), ...(min > 0 ? { min } : {}), name: metric.samples!.name };
}

/** A test as the status carries it. */
export function significanceOf({ result, text }: { result: Significance; text: string }): NonNullable<MetricStatus['significance']> {
  return {
    p: result.p,
    effect: result.effect,
    confidence: result.confidence,
    significant: result.significant,
    n: result.canary.n,
    ...(result.baseline ? { baselineN: result.baseline.n } : {}),
    vs: result.rows ? result.rows.vs : result.baseline ? result.baseline.x / result.baseline.n : result.reference!,
    rate: result.rows ? result.rows.value : result.canary.x / result.canary.n,
    method: result.method,
    condition: text,
    ...(result.rows ? { rows: { statistic: result.rows.statistic, medianRatio: result.rows.medianRatio, looks: result.rows.looks } } : {}),
  };
}

// How counts and p-values read wherever a decision is read (reasons, table, check, report).
/** `1,240`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `p < 0.001`, `p = 0.012`, `p = 0.34`; `compact` drops the spaces for the table (`p<0.001`). */
export function formatP(p: number, compact = true): string {
  const sep = compact ? '' : ' ';
  if (p < 0.001) return `p${sep}<${sep}0.001`;
  return `p${sep}=${sep}${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}

/** `95%` or `99.9%`. */
export function formatConfidence(c: number): string {
  return `${Number((c * 100).toFixed(2))}%`;
}

/** The rules' words for it: does this condition fire only when significant, and at what confidence. */
export function confidenceFor(rule: Rule, condition: Condition): number | undefined {
  if (rule.confidence !== undefined) return rule.confidence;
  return condition.significant ? DEFAULT_CONFIDENCE : undefined;
}

/**
 * Below the rule's minSamples: undefined when there are enough samples (or the rule asks for no
 * minimum), else the count seen, and whether the rollback condition holds now and is significant
 * anyway (a breach so large that even few samples prove it).
 */
export function shortOfSamples(rule: Rule, metric: Metric, track: Track, raw?: RawContext): { n?: number; min: number; anyway?: Significance } | undefined {
  const min = rule.minSamples;
  if (min === undefined) return undefined;
  const n = samplesAt(track, track.end - 1);
  if (n !== undefined && n >= min) return undefined;
  const condition = rule.rollback;
  const holds = condition && track.judge(condition).truth[track.end - 1] === HOLDS;
  const test = holds ? significance(track, metric, condition, rule.confidence ?? DEFAULT_CONFIDENCE, raw) : undefined;
  return { ...(n !== undefined ? { n } : {}), min, ...(test?.significant ? { anyway: test } : {}) };
}

/** `3.1% vs 0.4% (p < 0.001, n = 1,240)`: the rates over the windows tested, and how sure. */
export function describeTest(test: Significance, unit: Metric['unit']): string {
  if (test.rows) {
    // `p95 412ms vs 300ms (p < 0.001, n = 1,240)`: the statistic over the rows tested.
    const { statistic, value, vs } = test.rows;
    return `${statistic} ${formatValue(value, unit)} vs ${formatValue(vs, unit)} (${formatP(test.p, false)}, n = ${formatCount(test.canary.n)})`;
  }
  const rate = test.canary.x / test.canary.n;
  const vs = test.baseline ? test.baseline.x / test.baseline.n : test.reference!;
  return `${formatValue(rate, unit)} vs ${formatValue(vs, unit)} (${formatP(test.p, false)}, n = ${formatCount(test.canary.n)})`;
}

/**
 * The evidence behind a metric's state as one line for check and report:
 * `n = 1,240 requests (minimum 200); 3.1% vs 0.4%: effect +2.7%, p < 0.001 (mSPRT, always valid), significant at 95%`.
 */
export function evidenceText(m: Pick<MetricStatus, 'samples' | 'significance' | 'unit'>): string | undefined {
  const parts: string[] = [];
  const { samples, significance: sig } = m;
  if (samples) {
    const n = samples.n === undefined ? 'unknown' : formatCount(samples.n);
    parts.push(`n = ${n} ${samples.name}${samples.min !== undefined ? ` (minimum ${formatCount(samples.min)})` : ''}`);
  }
  if (sig?.rows) {
    // `> 1.2x baseline significant: p95 412ms vs 300ms, shift +112ms (Hodges–Lehmann), medians ×1.37, p < 0.001 (Mann-Whitney, alpha spent over 4 looks; …)`.
    const shift = `${sig.effect >= 0 ? '+' : ''}${formatValue(sig.effect, m.unit)}`;
    const counts = `n = ${formatCount(sig.n)}${sig.baselineN !== undefined ? ` vs ${formatCount(sig.baselineN)}` : ''}`;
    const looks = sig.rows.looks === 1 ? '1 look' : `${sig.rows.looks} looks`;
    parts.push(
      `${sig.condition}: ${sig.rows.statistic} ${formatValue(sig.rate, m.unit)} vs ${formatValue(sig.vs, m.unit)}, shift ${shift} (Hodges-Lehmann), medians ×${formatRatio(sig.rows.medianRatio)}, ${formatP(sig.p, false)} (${sig.method}, alpha spent over ${looks}; ${counts}), ${sig.significant ? 'significant' : 'not significant'} at ${formatConfidence(sig.confidence)}`,
    );
  } else if (sig) {
    const effect = `${sig.effect >= 0 ? '+' : ''}${formatValue(sig.effect, m.unit)}`;
    const counts = `n = ${formatCount(sig.n)}${sig.baselineN !== undefined ? ` vs ${formatCount(sig.baselineN)}` : ''}`;
    parts.push(
      `${sig.condition}: ${formatValue(sig.rate, m.unit)} vs ${formatValue(sig.vs, m.unit)}, effect ${effect}, ${formatP(sig.p, false)} (${sig.method}, always valid; ${counts}), ${sig.significant ? 'significant' : 'not significant'} at ${formatConfidence(sig.confidence)}`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** `1.37`: a ratio of medians to two decimals. */
function formatRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) : '∞';
}
