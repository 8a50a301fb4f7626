/**
 * A cell's between-repetition spread, moderated by its device's (issue 18).
 *
 * A cell's interval comes from the spread of its own repetitions, and with the 3 to 5 the budget
 * allows that spread is itself a guess: the sample variance of 3 values is σ²·χ²₂/2, below half of
 * σ² about 4 times in 10. Such a cell looks precise, stops at the minimum, and the next run of the
 * study lands outside its interval. In the committed bench:repetitions pairs that is how most misses
 * happened on a quiet host: A's ResNet-50 b16 repetitions were 410.9, 411.2 and 412.7 ms (spread
 * 0.23%, interval ±0.6%) while the device's cells typically spread about 1%, and B read 1.7% lower.
 *
 * So the spread is moderated, as limma moderates a gene's variance by all the genes' (Smyth 2004):
 * - the prior is the spread typical of the device's other cells: the median of their variances of
 *   ln(repetition p50), each divided by the median of χ²_df/df so that the median of variances is
 *   not biased low by their skew (a median, not the mean: one cell with a bad repetition must not
 *   widen every cell); relative spreads are comparable across cells because they are on the log
 *   scale;
 * - it weighs as PRIOR_DF degrees of freedom against the cell's own R − 1: fixed rather than
 *   estimated, because estimating it needs far more cells than a 9-cell study has;
 * - the moderated variance is the df-weighted mean of the two, with a t quantile at their summed df.
 * The result only ever widens the cell's own interval (src/latency/cell-interval.ts): a cell that
 * is noisier than its device keeps the width its own repetitions give.
 */
import { median, studentT975 } from './quantiles.js';

/** The variance of ln(repetition p50) and its degrees of freedom. */
export interface Spread {
  variance: number;
  df: number;
}

/** Degrees of freedom the device's spread counts for beside a cell's own (4: as much as 5 repetitions of its own). */
export const PRIOR_DF = 4;

/** The device needs this many other cells with 2 or more repetitions for a prior. */
export const MIN_PRIOR_CELLS = 3;

/** The spread of a cell's repetition p50s; null below two. */
export function spreadOf(p50s: readonly number[]): Spread | null {
  if (p50s.length < 2) return null;
  const logs = p50s.map((p) => {
    if (!(p > 0 && Number.isFinite(p))) throw new RangeError(`repetition p50 ${p} ms is not a positive finite number`);
    return Math.log(p);
  });
  const mean = logs.reduce((a, v) => a + v, 0) / logs.length;
  return { variance: logs.reduce((a, v) => a + (v - mean) ** 2, 0) / (logs.length - 1), df: logs.length - 1 };
}

/** The median of χ²_df / df (Wilson–Hilferty; 0.70 at 2 df against the exact 0.693). */
export const chiSquareMedianOverDf = (df: number): number => (1 - 2 / (9 * df)) ** 3;

/** The device's typical spread from its other cells' (null when fewer than MIN_PRIOR_CELLS). */
export function devicePrior(others: readonly Spread[]): Spread | null {
  if (others.length < MIN_PRIOR_CELLS) return null;
  return { variance: median(others.map((s) => s.variance / chiSquareMedianOverDf(s.df))), df: PRIOR_DF };
}

/** Half-width, on the log scale, of the 95% interval of a cell's p50 from the moderated spread over R repetitions. */
export function moderatedLogHalfWidth(own: Spread, repetitions: number, prior: Spread): number {
  const df = prior.df + own.df;
  const variance = (prior.df * prior.variance + own.df * own.variance) / df;
  return studentT975(df) * Math.sqrt(variance / repetitions);
}
