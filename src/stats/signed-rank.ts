/**
 * The centre of values spread symmetrically about it, with the Wilcoxon signed-rank test's 95%
 * interval: the Hodges–Lehmann estimate (the median of the Walsh averages, (xᵢ + xⱼ)/2 for i ≤ j)
 * between the k-th smallest and k-th largest Walsh average.
 *
 * Where the values are symmetric about their centre, this interval is far narrower than the sign
 * test's (src/stats/sign-test.ts), which uses only which side of the centre each value falls: over
 * 8 values the sign test's 95% interval is the smallest to the largest value, so one value on the
 * other side hides any move; the signed-rank interval is the 4th smallest to the 4th largest of 36
 * Walsh averages.
 */
import { median } from './quantiles.js';

/**
 * The largest k with P(T ≤ k − 1) ≤ 0.025, T the signed-rank statistic of n values under no shift
 * (exact: its distribution by dynamic programming over the ranks). 0 when no such k (n < 6).
 */
export function signedRankK(n: number): number {
  const max = (n * (n + 1)) / 2;
  // Probabilities, not counts: 2^n overflows exact integers past n = 53.
  let p = new Float64Array(max + 1);
  p[0] = 1;
  for (let rank = 1; rank <= n; rank++) {
    const next = new Float64Array(max + 1);
    for (let t = 0; t <= max; t++) {
      const v = p[t]!;
      if (v === 0) continue;
      next[t] = next[t]! + v / 2;
      if (t + rank <= max) next[t + rank] = next[t + rank]! + v / 2;
    }
    p = next;
  }
  let k = 0;
  let cumulative = 0;
  for (let t = 0; t <= max; t++) {
    cumulative += p[t]!;
    if (cumulative > 0.025) break;
    k = t + 1;
  }
  return k;
}

export interface CentreInterval {
  /** The Hodges–Lehmann estimate. */
  centre: number;
  /** Null below 6 values: no Walsh averages bound the centre at 95%. */
  low: number | null;
  high: number | null;
}

/** The Hodges–Lehmann centre of the values with its signed-rank 95% interval. */
export function centreWithInterval(values: readonly number[]): CentreInterval {
  const walsh: number[] = [];
  for (let i = 0; i < values.length; i++) for (let j = i; j < values.length; j++) walsh.push((values[i]! + values[j]!) / 2);
  walsh.sort((x, y) => x - y);
  const k = signedRankK(values.length);
  return { centre: median(walsh), low: k ? walsh[k - 1]! : null, high: k ? walsh[walsh.length - k]! : null };
}
