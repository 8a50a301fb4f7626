/**
 * A latency cell from its repetitions: whether it needs another (repetition-decision.ts), and once
 * not, its figures. The p50 and its 95% interval are over the clean repetitions (src/stats/
 * repetition-stats.ts: a cluster bootstrap over repetitions, widened for few of them, then to the
 * device's typical spread: src/latency/cell-interval.ts), with the rerun interval beside it; the other
 * run statistics over their timed runs pooled; memory as the median repetition's (before, static)
 * and the highest peak; power as the mean. When no repetition was clean, the figures are the
 * discarded ones', and the verdict says `host-disturbed`: a figure, never a trusted one.
 */
import { median } from '../stats/quantiles.js';
import type { Spread } from '../stats/moderated-spread.js';
import type { TimingSpec } from '../study/study-spec.js';
import type { LatencyCell } from '../results/cell-types.js';
import { cellInterval, rerunInterval } from './cell-interval.js';
import { latencyStats } from './latency-stats.js';
import { decideRepetition, type RepetitionDecision } from './repetition-decision.js';
import type { RepetitionRecord } from './repetition-record.js';
import { stabilityVerdict } from './stability.js';

export type RepetitionTiming = Pick<TimingSpec, 'minRepetitions' | 'maxRepetitions' | 'targetPrecision' | 'cellBudgetSeconds' | 'stability'>;

/** Wall seconds a cell's repetitions took, discarded ones included. */
export const spentSeconds = (reps: readonly RepetitionRecord[]): number => reps.reduce((a, r) => a + r.seconds, 0);

/** `prior`: the device's typical spread between repetitions (cell-interval.ts priorFor), or null. */
export function nextRepetition(reps: readonly RepetitionRecord[], timing: RepetitionTiming, prior: Spread | null): RepetitionDecision {
  const clean = reps.filter((r) => !r.discarded);
  return decideRepetition(
    { repetitions: clean.map((r) => r.samples_ms), discarded: reps.length - clean.length, spentSeconds: spentSeconds(reps), prior },
    { minRepetitions: timing.minRepetitions, maxRepetitions: timing.maxRepetitions, targetPrecision: timing.targetPrecision, budgetSeconds: timing.cellBudgetSeconds },
  );
}

/** What the cell's row takes from its repetitions (the identifying columns come from the caller). */
export type CombinedFigures = Omit<LatencyCell, 'model_id' | 'device' | 'batch_size' | 'status' | 'error' | 'provider' | 'precision' | 'rebatched' | 'worker' | 'isolation'> & {
  /** The repetition of each entry of samples_ms (latency_samples.parquet's `repetition`). */
  samples_repetition: number[];
};

export function combineRepetitions(reps: readonly RepetitionRecord[], batchSize: number, timing: RepetitionTiming, prior: Spread | null): CombinedFigures {
  if (reps.length === 0) throw new RangeError('a latency cell with no repetitions');
  const clean = reps.filter((r) => !r.discarded);
  const used = clean.length ? clean : reps;
  // Discarded repetitions are the host's figures, not the device's: they are not widened to its spread.
  const { interval, own_half_width } = cellInterval(used.map((r) => r.samples_ms), clean.length ? prior : null);
  const rerun = rerunInterval(interval.p50_ms, interval.ci_low_ms, interval.ci_high_ms);
  const verdict = stabilityVerdict(
    { repetitions: clean.map((r) => r.samples_ms), discarded: reps.length - clean.length, interval: clean.length ? interval : null, ownHalfWidth: own_half_width },
    { ...timing.stability, minRepetitions: timing.minRepetitions, targetPrecision: timing.targetPrecision },
  );
  const samples = used.flatMap((r) => r.samples_ms);
  const stats = latencyStats(samples);
  const m = used.map((r) => r.measurement);
  const some = <T>(values: (T | null | undefined)[]): T[] => values.filter((v): v is T => v !== null && v !== undefined);
  const medianOf = (values: (number | null | undefined)[]) => (some(values).length ? median(some(values)) : undefined);
  const maxOf = (values: (number | null | undefined)[]) => (some(values).length ? Math.max(...some(values)) : undefined);
  const meanOf = (values: (number | null | undefined)[]) => (some(values).length ? some(values).reduce((a, v) => a + v, 0) / some(values).length : undefined);
  const rssBefore = medianOf(m.map((x) => x.rss_before_bytes));
  const rssStatic = medianOf(m.map((x) => x.rss_static_bytes));
  const rssPeak = maxOf(m.map((x) => x.rss_peak_bytes));
  const figures: CombinedFigures = {
    ...(m[0]!.threads !== undefined ? { threads: m[0]!.threads } : {}),
    ...stats,
    // The pooled median (the interval's point estimate): the same as stats.p50_ms up to rounding.
    p50_ms: interval.p50_ms,
    per_image_ms: interval.p50_ms / batchSize,
    images_per_s: (batchSize * 1000) / interval.p50_ms,
    ...(rssBefore !== undefined ? { rss_before_bytes: Math.round(rssBefore) } : {}),
    ...(rssStatic !== undefined ? { rss_static_bytes: Math.round(rssStatic) } : {}),
    ...(rssPeak !== undefined ? { rss_peak_bytes: rssPeak } : {}),
    power_avg_w: meanOf(m.map((x) => x.power_avg_w)) ?? null,
    power_idle_w: meanOf(m.map((x) => x.power_idle_w)) ?? null,
    energy_per_image_j: meanOf(m.map((x) => x.energy_per_image_j)) ?? null,
    power_note: m[0]!.power_note,
    gpu_memory_peak_bytes: maxOf(m.map((x) => x.gpu_memory_peak_bytes)) ?? null,
    p50_ci_low_ms: interval.ci_low_ms,
    p50_ci_high_ms: interval.ci_high_ms,
    p50_own_half_width: own_half_width,
    p50_rerun_low_ms: rerun.low,
    p50_rerun_high_ms: rerun.high,
    repetitions: clean.length,
    repetitions_discarded: reps.length - clean.length,
    stability: verdict.stability,
    stability_reason: verdict.reason,
    seconds: spentSeconds(reps),
    samples_ms: samples,
    samples_repetition: used.flatMap((r) => r.samples_ms.map(() => r.repetition)),
  };
  return figures;
}
