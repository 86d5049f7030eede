// The statistics rollcall judges with: how sure a difference between canary and baseline is.
// Pure functions on numbers; no I/O, no dependency (the npm statistics packages either lack a
// sequential test or are unmaintained, and one standard normal CDF is all the tests below need).
//
//  - normalCdf: Φ(z), from erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
//  - twoProportionZ: the classic pooled z-test for p₁ = p₂ on one fixed sample (one look).
//  - msprt: the mixture sequential probability ratio test (Robbins 1970; Johari, Pekelis and
//    Walsh, "Always valid inference", 2017 — what Optimizely and Eppo use). With a normal
//    mixture N(0, τ²) over the effect θ and an estimate θ̂ with variance V,
//        Λ = √(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))
//    is a nonnegative martingale under H₀ (θ = 0), so by Ville's inequality
//    P(Λ ever ≥ 1/α) ≤ α: the p-value min(1, 1/Λ), kept as a running minimum, is valid however
//    often it is looked at. That is why a rule may be judged on every poll without inflating
//    false alarms. rollcall feeds it counts from windows that do not overlap (see evidence.ts).
//  - mannWhitney: the Mann–Whitney U test (two-sided) with mid-ranks for ties, the tie-corrected
//    variance and a continuity correction; exact (by counting arrangements) for small samples
//    without ties. hodgesLehmann: the median of all canary − baseline differences, the effect size
//    that goes with it (Kayenta reports the same pair).
//
// Repeated looks with Mann–Whitney (raw metrics, raw-test.ts): Mann–Whitney is a one-look test,
// so a raw metric spends its α over the looks of a phase. Look k (the k-th window of canary rows
// that does not overlap the one before, tested with every row of the phase so far) may reject at
// α/(k(k+1)); Σ_k α/(k(k+1)) = α, so by the union bound the chance of any false alarm in a phase,
// however many looks it has, is at most α, whatever the dependence between looks. The p-value
// reported is min over looks of p_k · k(k+1): an always-valid p-value in the same sense as the
// mSPRT's. The spending is front-loaded (look 1: α/2, look 10: α/110), which the cumulative data
// repays: a real shift shows at small p quickly, and a null one is never rescued by peeking.

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The upper tail 1 − Φ(z), accurate where 1 − normalCdf(z) would cancel to 0. */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function; fractional error below 1.2e-7 everywhere (Numerical Recipes erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Successes out of trials: errors out of requests. */
export interface Proportion {
  x: number;
  n: number;
}

export interface TestResult {
  /** Two-sided p-value. */
  p: number;
  /** The test statistic (z), signed: positive when the first group is larger. */
  z: number;
}

/** The pooled two-proportion z-test for one look at fixed samples (H₀: p₁ = p₂). */
export function twoProportionZ(a: Proportion, b: Proportion): TestResult {
  checkProportion(a);
  checkProportion(b);
  const pooled = (a.x + b.x) / (a.n + b.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  const diff = a.x / a.n - b.x / b.n;
  if (se === 0) return { z: 0, p: 1 };
  const z = diff / se;
  return { z, p: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/** The mixture likelihood ratio Λ for an estimate θ̂ with variance V under a N(0, τ²) mixture. */
export function msprtRatio(theta: number, variance: number, tau2: number): number {
  if (!(variance > 0) || !(tau2 > 0) || !Number.isFinite(theta)) return 1;
  const sum = variance + tau2;
  return Math.sqrt(variance / sum) * Math.exp((tau2 * theta * theta) / (2 * variance * sum));
}

export interface SequentialResult {
  /** Always-valid p-value at this look: min(1, 1/Λ). */
  p: number;
  /** The difference estimated (canary − baseline, or canary − the reference rate). */
  effect: number;
}

/**
 * mSPRT for two proportions (canary a, baseline b) on all data so far. The variance is the pooled
 * one (the variance under H₀, so the martingale argument holds with the plug-in); `tau` is the
 * size of the difference the rule cares about (for `> 2x baseline`: the baseline rate itself).
 */
export function msprtTwoProportions(a: Proportion, b: Proportion, tau: number): SequentialResult {
  checkProportion(a);
  checkProportion(b);
  const pooled = (a.x + b.x) / (a.n + b.n);
  const variance = pooled * (1 - pooled) * (1 / a.n + 1 / b.n);
  const effect = a.x / a.n - b.x / b.n;
  return { p: Math.min(1, 1 / msprtRatio(effect, variance, tau * tau)), effect };
}

/** mSPRT for one proportion against a known rate p₀ (a literal threshold such as `> 2%`). */
export function msprtOneProportion(a: Proportion, p0: number, tau: number): SequentialResult {
  checkProportion(a);
  const variance = (p0 * (1 - p0)) / a.n;
  const effect = a.x / a.n - p0;
  return { p: Math.min(1, 1 / msprtRatio(effect, variance, tau * tau)), effect };
}

/**
 * The always-valid p-value over a sequence of looks at growing data: the running minimum of the
 * per-look p-values (each look sees everything so far). Monotone by construction; Ville's
 * inequality bounds the chance it ever drops below α under H₀ by α.
 */
export function runningMinimum(ps: readonly number[]): number[] {
  let min = 1;
  return ps.map((p) => (min = Math.min(min, p)));
}

export interface MannWhitneyResult extends TestResult {
  /** U for the first sample (number of pairs where a > b, ties counting ½). */
  u: number;
  n1: number;
  n2: number;
  /** Whether p comes from the exact distribution (small samples, no ties) or the normal approximation. */
  exact: boolean;
}

/** Above this many arrangements' worth of U values the exact distribution is not counted. */
const EXACT_LIMIT = 400;

/** Two-sided Mann–Whitney U test of a against b. */
export function mannWhitney(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney needs at least one value in each sample');
  for (const sample of [a, b]) {
    for (let i = 0; i < sample.length; i++) if (!Number.isFinite(sample[i])) throw new RangeError(`Mann-Whitney needs finite values, got ${sample[i]}`);
  }
  // Each sample sorted on its own (typed arrays sort numerically, fast), then walked together
  // value by value: a run of equal values shares its mid-rank. O(n log n) without a merged copy.
  const xs = sorted(a);
  const ys = sorted(b);
  const n = n1 + n2;
  let rankSumA = 0;
  let tieTerm = 0;
  let below = 0;
  for (let i = 0, j = 0; i < n1 || j < n2; ) {
    const v = Math.min(i < n1 ? xs[i]! : Infinity, j < n2 ? ys[j]! : Infinity);
    let inA = 0;
    while (i < n1 && xs[i] === v) (inA++, i++);
    let inB = 0;
    while (j < n2 && ys[j] === v) (inB++, j++);
    const t = inA + inB;
    rankSumA += inA * (below + (t + 1) / 2);
    if (t > 1) tieTerm += t * t * t - t;
    below += t;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  if (tieTerm === 0 && n1 * n2 <= EXACT_LIMIT) {
    const p = exactTwoSided(u, n1, n2);
    const sd = Math.sqrt((n1 * n2 * (n + 1)) / 12);
    return { u, n1, n2, p, z: (u - mean) / sd, exact: true };
  }
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, n1, n2, p: 1, z: 0, exact: false };
  const d = u - mean;
  // The continuity correction moves |U − mean| half a step towards the mean.
  const corrected = Math.max(0, Math.abs(d) - 0.5);
  const z = (Math.sign(d) * corrected) / Math.sqrt(variance);
  return { u, n1, n2, p: Math.min(1, 2 * normalSf(Math.abs(z))), z, exact: false };
}

/** P(|U − mean| ≥ |u − mean|) under H₀, counting the arrangements of n1 + n2 distinct values. */
function exactTwoSided(u: number, n1: number, n2: number): number {
  const counts = exactCounts(n1, n2);
  const total = counts.reduce((s, c) => s + c, 0);
  const mean = (n1 * n2) / 2;
  const distance = Math.abs(u - mean);
  let tail = 0;
  counts.forEach((c, k) => {
    if (Math.abs(k - mean) >= distance - 1e-9) tail += c;
  });
  return Math.min(1, tail / total);
}

/** Number of arrangements giving each U = 0..n1·n2: f(i, j) = f(i−1, j) shifted by j + f(i, j−1). */
function exactCounts(n1: number, n2: number): number[] {
  // f[i][j] is a list over U; computed row by row over i with j inner.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n2; j++) {
      const size = i * j + 1;
      const out = new Array<number>(size).fill(0);
      // The largest value belongs to sample a: it exceeds all j values of b.
      const fromA = prev[j]!;
      for (let k = 0; k < fromA.length; k++) out[k + j] = (out[k + j] ?? 0) + fromA[k]!;
      // Or to sample b: it adds nothing to U.
      const fromB = cur[j - 1]!;
      for (let k = 0; k < fromB.length; k++) out[k] = out[k]! + fromB[k]!;
      cur.push(out);
    }
    prev = cur;
  }
  return prev[n2]!;
}

/**
 * The Hodges–Lehmann shift: the median of all m·n differences a_i − b_j (canary minus baseline),
 * found without listing them: the k-th smallest difference by bisection on its value, counting
 * the differences at or below a candidate in one pass over the two sorted samples, until only one
 * difference value is left in the bracket (at once for whole milliseconds, whose differences are
 * whole too), then its neighbour for an even count in one more pass. Exact, in O(m + n) per step
 * after sorting: a look at 200,000 rows a side costs tens of milliseconds, not a sort of 4·10¹⁰.
 */
export function hodgesLehmann(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('Hodges-Lehmann needs at least one value in each sample');
  const xs = sorted(a);
  const ys = sorted(b);
  const total = xs.length * ys.length;
  const mid = total >> 1;
  if (total % 2 === 1) return kthDifference(xs, ys, mid + 1);
  // The mean of the mid-th and (mid+1)-th: the next is the same value, or the least one above it.
  const lower = kthDifference(xs, ys, mid);
  const upper = atMost(xs, ys, lower) >= mid + 1 ? lower : leastAbove(xs, ys, lower);
  return (lower + upper) / 2;
}

/** The k-th smallest (1-based) of x_i − y_j over sorted x and y. */
function kthDifference(xs: Float64Array, ys: Float64Array, k: number): number {
  let lo = xs[0]! - ys[ys.length - 1]!;
  let hi = xs[xs.length - 1]! - ys[0]!;
  // Invariant: fewer than k differences are ≤ lo (unless lo is the smallest), at least k are ≤ hi.
  if (atMost(xs, ys, lo) >= k) return lo;
  for (let i = 1; i <= 200; i++) {
    const m = lo + (hi - lo) / 2;
    if (m <= lo || m >= hi) break;
    if (atMost(xs, ys, m) >= k) hi = m;
    else lo = m;
    // Every few steps: is one difference value all that is left in (lo, hi]? Then it is the k-th.
    if (i % 4 === 0 && leastAbove(xs, ys, lo) >= largestAtMost(xs, ys, hi)) break;
  }
  return largestAtMost(xs, ys, hi);
}

/** How many x_i − y_j are ≤ d: for each x (ascending) the y with y ≥ x − d, a pointer that only moves up. */
function atMost(xs: Float64Array, ys: Float64Array, d: number): number {
  let count = 0;
  let j = 0;
  const n = ys.length;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    while (j < n && x - ys[j]! > d) j++;
    count += n - j;
  }
  return count;
}

/** The largest x_i − y_j that is ≤ d. */
function largestAtMost(xs: Float64Array, ys: Float64Array, d: number): number {
  let best = -Infinity;
  let j = 0;
  const n = ys.length;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    while (j < n && x - ys[j]! > d) j++;
    if (j < n && x - ys[j]! > best) best = x - ys[j]!;
  }
  return best;
}

/** The smallest x_i − y_j that is > d: for each x the largest y with x − y > d. */
function leastAbove(xs: Float64Array, ys: Float64Array, d: number): number {
  let best = Infinity;
  let j = 0;
  const n = ys.length;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    while (j < n && x - ys[j]! > d) j++;
    if (j > 0 && x - ys[j - 1]! < best) best = x - ys[j - 1]!;
  }
  return best;
}

/** The values in ascending order: as given when they already are (a caller testing the same rows twice sorts once). */
function sorted(values: ArrayLike<number>): Float64Array {
  let ascending = values instanceof Float64Array;
  for (let i = 1; ascending && i < values.length; i++) if (values[i - 1]! > values[i]!) ascending = false;
  return ascending ? (values as Float64Array) : Float64Array.from(values).sort();
}

/** The median of a list of numbers. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('the median of no values');
  return medianSorted(sorted(values));
}

function medianSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function checkProportion({ x, n }: Proportion): void {
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`a proportion needs a positive count of trials, got ${n}`);
  if (!(x >= 0 && x <= n)) throw new RangeError(`successes must lie between 0 and the trials (${n}), got ${x}`);
}
