import { wilsonInterval } from '../stats/wilson.js';
import { measuredBasis, type MeasuredBasis } from './accuracy-basis.js';

/**
 * What accuracy.parquet says of each measured figure besides the figure: its basis (the whole
 * validation set or a sample of it) and a 95% Wilson interval for top-1 and top-5, the sampling
 * uncertainty of a proportion measured on n_images (1,300 images: about ±2 points at 80%).
 */
export interface AccuracyProvenance {
  basis: MeasuredBasis;
  top1_ci_low: number | null;
  top1_ci_high: number | null;
  top5_ci_low: number | null;
  top5_ci_high: number | null;
}

/** From a cell's counts: top-k is correct/n_images, so the successes are top-k · n_images (rounded back to the count). */
export function accuracyProvenance(row: { n_images: number; top1: number; top5: number }): AccuracyProvenance {
  const n = Number(row.n_images);
  const interval = (fraction: number) => (Number.isFinite(fraction) ? wilsonInterval(Math.round(fraction * n), n) : null);
  const t1 = interval(Number(row.top1));
  const t5 = interval(Number(row.top5));
  return {
    basis: measuredBasis(n),
    top1_ci_low: t1?.low ?? null, top1_ci_high: t1?.high ?? null,
    top5_ci_low: t5?.low ?? null, top5_ci_high: t5?.high ?? null,
  };
}
