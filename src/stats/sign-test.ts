/**
 * A distribution-free 95% interval for a median: the k-th smallest and k-th largest of n values
 * bound it whatever the values' distribution, because each value falls on either side of the
 * median with probability ½ (the sign test).
 */
import { median } from './quantiles.js';

/**
 * The largest k with P(Binomial(n, ½) ≤ k − 1) ≤ 0.025: the k-th smallest and k-th largest of n
 * values bound their median with at least 95% confidence. 0 when no such k (n < 6).
 */
export function signTestRank(n: number): number {
  let k = 0;
  let cumulative = 0;
  let term = 0.5 ** n; // P(X = 0)
  for (let j = 0; j < n; j++) {
    cumulative += term;
    if (cumulative > 0.025) break;
    k = j + 1;
    term = (term * (n - j)) / (j + 1);
  }
  return k;
}

export interface MedianInterval {
  median: number;
  /** Null below 6 values: no order statistics bound the median at 95%. */
  low: number | null;
  high: number | null;
}

/** The median of the values with its sign-test 95% interval. */
export function medianWithInterval(values: readonly number[]): MedianInterval {
  const sorted = [...values].sort((x, y) => x - y);
  const n = sorted.length;
  const k = signTestRank(n);
  return { median: median(sorted), low: k ? sorted[k - 1]! : null, high: k ? sorted[n - k]! : null };
}
