/**
 * A cell's between-repetition spread, moderated by its device's (issue 18).
 *
 * A cell's interval comes from the spread of its own repetitions, and with the 3 to 5 the budget
 * allows that spread is itself a guess: the sample variance of 3 values is σ²·χ²₂/2, below half of
 * σ² about 4 times in 10. Such a cell looks precise, stops at the minimum, and the next run of the
 * study lands outside its interval: on a quiet host, that is how most misses in the committed
 * bench:repetitions pairs happened (docs/TIMING.md, "The interval").
 *
 * So the spread is moderated, as limma moderates a gene's variance by all the genes' (Smyth 2004):
 * - a cell's spread is read off its own interval (the cluster bootstrap of the pooled median,
 *   src/stats/repetition-stats.ts), not off the variance of its repetition p50s: that interval's
 *   half-width is about t(R−1)·σ/√R, so σ² ≈ (half-width·√R / t(R−1))² with R − 1 degrees of
 *   freedom. The pooled median hardly moves for one odd repetition in ten, while a variance of
 *   repetition p50s is ruled by it; on a host where such repetitions are common, spreads taken from
 *   those variances made every cell's interval several times wider than its own bootstrap's;
 * - the prior is the spread typical of the device's other cells: the median of their variances,
 *   each divided by the median of χ²_df/df so that the median is not biased low by their skew (a
 *   median, not the mean: one very noisy cell must not widen every cell); relative spreads are
 *   comparable across cells because they are relative to each cell's p50;
 * - it weighs as PRIOR_DF degrees of freedom against the cell's own R − 1: fixed rather than
 *   estimated, because estimating it needs far more cells than a 9-cell study has;
 * - the moderated variance is the df-weighted mean of the two, with a t quantile at their summed df.
 * The result only ever widens the cell's own interval (src/latency/cell-interval.ts): a cell that
 * is noisier than its device keeps the width its own repetitions give.
 */
import { median, studentT975 } from './quantiles.js';

/** A relative variance between repetitions (as a fraction of the p50, squared) and its degrees of freedom. */
export interface Spread {
  variance: number;
  df: number;
}

/** Degrees of freedom the device's spread counts for beside a cell's own (4: as much as 5 repetitions of its own). */
export const PRIOR_DF = 4;

/** The device needs this many other cells with 2 or more repetitions for a prior. */
export const MIN_PRIOR_CELLS = 3;

/** The spread behind a 95% interval of relative half-width `halfWidth` over R repetitions; null below two. */
export function spreadOfInterval(halfWidth: number, repetitions: number): Spread | null {
  if (repetitions < 2) return null;
  if (!(halfWidth >= 0 && Number.isFinite(halfWidth))) throw new RangeError(`interval half-width ${halfWidth} is not a finite number ≥ 0`);
  return { variance: (halfWidth * Math.sqrt(repetitions) / studentT975(repetitions - 1)) ** 2, df: repetitions - 1 };
}

/** The median of χ²_df / df (Wilson–Hilferty; 0.70 at 2 df against the exact 0.693). */
export const chiSquareMedianOverDf = (df: number): number => (1 - 2 / (9 * df)) ** 3;

/** The device's typical spread from its other cells' (null when fewer than MIN_PRIOR_CELLS). */
export function devicePrior(others: readonly Spread[]): Spread | null {
  if (others.length < MIN_PRIOR_CELLS) return null;
  return { variance: median(others.map((s) => s.variance / chiSquareMedianOverDf(s.df))), df: PRIOR_DF };
}

/** Relative half-width of the 95% interval of a cell's p50 from the moderated spread over R repetitions. */
export function moderatedHalfWidth(own: Spread, repetitions: number, prior: Spread): number {
  const df = prior.df + own.df;
  const variance = (prior.df * prior.variance + own.df * own.variance) / df;
  return studentT975(df) * Math.sqrt(variance / repetitions);
}
