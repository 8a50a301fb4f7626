/**
 * MLPerf LoadGen's early stopping (loadgen/early_stopping.cc, results.cc): how many queries a run
 * needs before its tail latency can be claimed with 99% confidence, and the tail estimate a short
 * run can honestly state. Pure, like the rest of src/stats.
 *
 * The rule: if the true share of queries slower than the percentile's latency were 1 − p, a run of
 * h + t queries would see t or fewer of them over it with probability P(Binomial(h + t, 1 − p) ≤ t).
 * A run passes with t queries over the bound when that probability is below 1 − confidence, i.e.
 * when so few slow queries would be unlikely were the percentile really above the bound.
 */

/** LoadGen's defaults: 99% confidence, no tolerance. */
export const EARLY_STOPPING_CONFIDENCE = 0.99;

/** ln C(n, k) without overflow: a sum of logs (n here is a run's query count, at most millions). */
function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

const LOG_FACTORIALS: number[] = [0];
function logFactorial(n: number): number {
  for (let i = LOG_FACTORIALS.length; i <= n; i++) LOG_FACTORIALS.push(LOG_FACTORIALS[i - 1]! + Math.log(i));
  return LOG_FACTORIALS[n]!;
}

/** P(X ≤ t) for X ~ Binomial(n, q), summed exactly in log space. */
export function binomialCdf(t: number, n: number, q: number): number {
  if (t >= n) return 1;
  if (q <= 0) return 1;
  if (q >= 1) return t >= n ? 1 : 0;
  const lq = Math.log(q);
  const lp = Math.log1p(-q);
  let sum = 0;
  for (let x = 0; x <= t; x++) sum += Math.exp(logChoose(n, x) + x * lq + (n - x) * lp);
  return Math.min(1, sum);
}

/**
 * The fewest queries under the bound (h) a run with t queries over it needs to pass: the smallest h
 * with P(Binomial(h + t, 1 − p) ≤ t) < 1 − confidence (LoadGen's MinPassingQueriesFinder).
 */
export function minPassingQueries(t: number, percentile: number, confidence = EARLY_STOPPING_CONFIDENCE): number {
  const q = 1 - percentile;
  const passes = (h: number) => binomialCdf(t, h + t, q) < 1 - confidence;
  let hi = Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(percentile)));
  while (!passes(hi)) hi *= 2;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (passes(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Whether a Server run of `queries` with `overBound` of them over the latency bound passes early stopping, and the count it needed. */
export function serverEarlyStopping(queries: number, overBound: number, percentile: number, confidence = EARLY_STOPPING_CONFIDENCE): { ok: boolean; queriesNeeded: number } {
  const needed = minPassingQueries(overBound, percentile, confidence) + overBound;
  return { ok: queries >= needed, queriesNeeded: needed };
}

/**
 * The most queries over a bound that a run of n queries can have and still pass; 0 when one
 * would already fail it, −1 when the run is too short even with none.
 */
export function maxOverBound(n: number, percentile: number, confidence = EARLY_STOPPING_CONFIDENCE): number {
  if (n < minPassingQueries(0, percentile, confidence)) return -1;
  // h(t) + t grows with t: the largest t that still fits in n, by bisection.
  const fits = (t: number) => minPassingQueries(t, percentile, confidence) + t <= n;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * LoadGen's early-stopping estimate of a percentile from sorted latencies (results.cc,
 * SingleStream and MultiStream): with t the most queries a run of this length may have over a
 * bound and pass (at least 1), the t-th largest latency. Null when the run is too short to pass
 * with one query over (LoadGen's "need to process at least h + 1 queries").
 */
export function earlyStoppingEstimate(sortedLatencies: ArrayLike<number>, percentile: number, confidence = EARLY_STOPPING_CONFIDENCE): number | null {
  const n = sortedLatencies.length;
  const t = maxOverBound(n, percentile, confidence);
  return t < 1 ? null : sortedLatencies[n - t]!;
}

/** LoadGen's percentile of sorted values: the element at floor(n·p), no interpolation. */
export function loadgenPercentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
