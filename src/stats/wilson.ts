/**
 * The Wilson score interval of a binomial proportion (Wilson 1927): the interval of an accuracy
 * measured as successes out of n images. Unlike the normal approximation p ± z·√(p(1−p)/n), it
 * stays inside [0, 1] and does not collapse to a point at 0% or 100%, which a small sample of a
 * very good (or broken) model reaches. Pure, no I/O.
 */
import { Z_975 } from './quantiles.js';

export interface ProportionInterval {
  low: number;
  high: number;
}

/** 95% by default; null when there is nothing to estimate from (n = 0) or the counts make no sense. */
export function wilsonInterval(successes: number, n: number, z = Z_975): ProportionInterval | null {
  if (!(n > 0) || !Number.isFinite(n) || !(successes >= 0) || successes > n) return null;
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At p = 0 or 1 that bound is exactly 0 or 1; computed, it is off by a rounding error.
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}
