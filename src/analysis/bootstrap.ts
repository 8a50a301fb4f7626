/**
 * 95% intervals of a law's parameters by the bootstrap over models (Efron & Tibshirani 1993, ch.
 * 9, "bootstrapping pairs"): the models of the fit are resampled with replacement, the law is
 * refitted on each resample, and the interval is the 2.5th–97.5th percentile of the refitted
 * parameter. Resampling models, not residuals, assumes nothing about the error's shape, which
 * matters here: times and memory spread more for large models, and frontier fits refit the
 * frontier itself. The interval says how much the law depends on which architectures the study
 * happened to include; it is not the measurement noise of any one model.
 *
 * Seeded (src/stats/shuffle.ts: FNV-1a of the fit's scope, then mulberry32), so a table rebuilt
 * from the same cells has the same intervals.
 */
import { quantileSorted } from '../stats/quantiles.js';
import { prng } from '../stats/prng.js';
import { seedOf } from '../stats/shuffle.js';

export type Interval = readonly [low: number, high: number] | null;

export const BOOTSTRAP_RESAMPLES = 2000;
/** Below this the resamples repeat a handful of model sets and the percentiles say little. */
export const MIN_MODELS_FOR_INTERVAL = 5;
/** A law refitted on too few resamples (say a frontier of one model) would give an interval of the lucky ones only. */
const MIN_FITTED_FRACTION = 0.9;

export interface BootstrapIntervals {
  /** One per parameter, in the order `refit` returns them; all null when no interval could be made. */
  intervals: Interval[];
  /** How the intervals were made, or why there are none, for the fit's note. */
  note: string;
}

/**
 * Percentile intervals of the `params` values `refit` returns for resamples of `units` (one per
 * model: a point, or a model's points). `refit` returns null when the law cannot be fitted on a
 * resample (every x equal, a frontier of one model); those resamples are left out and counted.
 */
export function bootstrapOverModels<T>(
  units: readonly T[], params: number, refit: (sample: readonly T[]) => readonly (number | null)[] | null,
  seedText: string, resamples = BOOTSTRAP_RESAMPLES,
): BootstrapIntervals {
  const none = (note: string): BootstrapIntervals => ({ intervals: Array<Interval>(params).fill(null), note });
  const n = units.length;
  if (n < MIN_MODELS_FOR_INTERVAL) return none(`no interval: ${n} models, a bootstrap over models needs at least ${MIN_MODELS_FOR_INTERVAL}`);
  const rand = prng(seedOf(seedText));
  const values = Array.from({ length: params }, () => new Float64Array(resamples));
  const sample: T[] = new Array<T>(n);
  let fitted = 0;
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = units[Math.floor(rand() * n)]!;
    const got = refit(sample);
    if (!got || got.length !== params || got.some((v) => v === null || !Number.isFinite(v))) continue;
    got.forEach((v, j) => { values[j]![fitted] = v!; });
    fitted++;
  }
  if (fitted < MIN_FITTED_FRACTION * resamples) {
    return none(`no interval: only ${fitted} of ${resamples} resamples of the ${n} models could be fitted`);
  }
  const intervals = values.map((v): Interval => {
    const sorted = v.subarray(0, fitted).sort();
    return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
  });
  const left = resamples - fitted;
  return { intervals, note: `95% interval: bootstrap over the ${n} models, ${resamples} resamples${left ? ` (${left} could not be fitted)` : ''}` };
}

/** A law's rows when it has no interval to give, with the same note shape. */
export function noIntervals(params: number, why: string): BootstrapIntervals {
  return { intervals: Array<Interval>(params).fill(null), note: `no interval: ${why}` };
}
