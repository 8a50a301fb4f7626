/**
 * A latency cell measured as R repetitions (each a fresh process with its own warm-up and timed
 * runs): its p50 and a 95% interval that includes the run-to-run (between-repetition) variance,
 * from a bootstrap over the repetitions.
 *
 * The statistic is the median of all timed runs pooled, not the median of the repetition medians:
 * - it is what "p50 of the cell" means to a reader, and with one repetition it is exactly the p50
 *   of older studies (latency.parquet's p50_ms), so old and new studies compare like with like;
 * - with the few repetitions we can afford (3 to 10) the median of R medians is one repetition's
 *   median, so its bootstrap distribution takes only R values and its width jumps with them; the
 *   pooled median moves smoothly as resampled repetitions shift the pool;
 * - a disturbed repetition is not tolerated by a robust statistic but discarded by the host-noise
 *   check before it gets here.
 *
 * Resampling: repetitions with replacement, each drawn repetition with its runs as they were (a
 * cluster bootstrap: the repetition is the independent unit, and its runs' noise is already in its
 * level). Resampling the runs again inside each drawn repetition, the textbook two-stage bootstrap,
 * counts the within-run noise twice (Davison & Hinkley 1997, §3.8): simulated here with 50 runs per
 * repetition and no between-repetition variance, it covered the true p50 100% of the time with
 * intervals 1.6× too wide at R = 3, which would cost repetitions the time budget cannot spare. With
 * a single repetition there is nothing else to resample, so its runs are resampled: an interval
 * of within-run noise only, which the stability verdict does not accept as enough repetitions.
 *
 * Small-sample correction: a percentile interval of a bootstrap over R top-level units is too
 * narrow when R is small (with R = 3 it covers the truth about 3 times in 4: it cannot reach past
 * the repetitions it has seen). The interval is therefore widened about the point estimate, on the
 * log scale, by t(0.975, R−1)/z(0.975) · √(R/(R−1)): the t quantile for an unknown variance
 * estimated from R units, and √(R/(R−1)) for the bootstrap's plug-in variance being biased low by
 * (R−1)/R (Hesterberg 2015, "What teachers should know about the bootstrap", expanded percentile
 * interval). The factor is 2.69 at R = 3, 1.58 at R = 5, 1.22 at R = 10 and tends to 1. This keeps
 * the percentile interval's asymmetry. Simulated (200 cells each, 50 log-normal runs per repetition,
 * between-repetition σ 0–5%, within-run σ 1–10%, R = 3, 5, 10) the interval covered the true p50
 * 91–97% of the time, against 75–95% for the plain percentile interval;
 * test/unit/repetition-stats.test.ts checks it again.
 */
import { prng } from './prng.js';
import { medianInPlace, quantileSorted, studentT975, Z_975 } from './quantiles.js';

/** The timed runs (ms) of one repetition, in the order they ran. */
export type RepetitionRuns = readonly number[];

export interface P50Interval {
  p50_ms: number;
  ci_low_ms: number;
  ci_high_ms: number;
  repetitions: number;
  /** (ci_high − ci_low) / 2 / p50: the precision the adaptive repetition rule targets. */
  relative_half_width: number;
}

/** A cell's p50 and its bootstrap distribution, already widened for the repetition count. */
export interface P50Distribution {
  p50_ms: number;
  repetitions: number;
  /** ln(replicate p50 / p50) per bootstrap resample. */
  logDeviations: Float64Array;
}

export interface BootstrapOptions {
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** PRNG seed: the same runs and seed give the same interval (default 1). */
  seed?: number;
}

function checkRepetitions(reps: readonly RepetitionRuns[]): void {
  if (reps.length === 0) throw new RangeError('no repetitions: a p50 needs at least one repetition with timed runs');
  reps.forEach((runs, r) => {
    if (runs.length === 0) throw new RangeError(`repetition ${r} has no timed runs`);
    const bad = runs.findIndex((v) => !(v > 0 && Number.isFinite(v)));
    if (bad >= 0) throw new RangeError(`repetition ${r}, run ${bad}: latency ${runs[bad]} ms is not a positive finite number`);
  });
}

/** The cell's p50: the median of every timed run of every repetition, pooled. */
export function pooledMedian(reps: readonly RepetitionRuns[]): number {
  checkRepetitions(reps);
  return medianInPlace(Float64Array.from(reps.flat()));
}

/** How much wider than the plain percentile interval the interval is made for R repetitions (1 for one). */
export function smallSampleWidening(repetitions: number): number {
  if (repetitions < 2) return 1;
  return (studentT975(repetitions - 1) / Z_975) * Math.sqrt(repetitions / (repetitions - 1));
}

/**
 * The bootstrap distribution of the pooled median: per resample, R repetitions drawn with
 * replacement (one repetition: its runs drawn with replacement), widened for R.
 */
export function p50Distribution(reps: readonly RepetitionRuns[], opts: BootstrapOptions = {}): P50Distribution {
  const p50 = pooledMedian(reps);
  const resamples = opts.resamples ?? 2000;
  const rand = prng(opts.seed ?? 1);
  const R = reps.length;
  const pool = new Float64Array(R * Math.max(...reps.map((r) => r.length)));
  const widening = smallSampleWidening(R);
  const logDeviations = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let n = 0;
    for (let i = 0; i < R; i++) {
      const runs = reps[Math.floor(rand() * R)]!;
      if (R === 1) for (let j = 0; j < runs.length; j++) pool[n++] = runs[Math.floor(rand() * runs.length)]!;
      else for (let j = 0; j < runs.length; j++) pool[n++] = runs[j]!;
    }
    logDeviations[b] = widening * Math.log(medianInPlace(pool, n) / p50);
  }
  return { p50_ms: p50, repetitions: R, logDeviations };
}

/** The 95% percentile interval of a distribution. */
export function intervalOf(d: P50Distribution): P50Interval {
  const sorted = Float64Array.from(d.logDeviations).sort();
  const low = d.p50_ms * Math.exp(quantileSorted(sorted, 0.025));
  const high = d.p50_ms * Math.exp(quantileSorted(sorted, 0.975));
  return { p50_ms: d.p50_ms, ci_low_ms: low, ci_high_ms: high, repetitions: d.repetitions, relative_half_width: (high - low) / 2 / d.p50_ms };
}

/** A cell's p50 with its 95% interval over repetitions and runs. */
export function p50Interval(reps: readonly RepetitionRuns[], opts: BootstrapOptions = {}): P50Interval {
  return intervalOf(p50Distribution(reps, opts));
}
