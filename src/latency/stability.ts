/**
 * A latency cell's stability verdict: whether its p50 and interval can be trusted as measured.
 *
 * - 'host-disturbed': fewer clean repetitions than minRepetitions because some were discarded for
 *   host noise (that decision is made elsewhere, from the host readings): the figure is what the
 *   host allowed, not what the model costs.
 * - 'drifting': the runs within repetitions trend the same way (warm-up not over, thermal
 *   throttling, a frequency governor ramping): the p50 depends on how long one measures. A cell
 *   also becomes drifting when the host's speed moved during the study (src/latency/host-move.ts,
 *   applied when the tables are written, since it needs every cell of the device).
 * - 'noisy': the interval is wider than the target after the budget, or the budget ran out before
 *   minRepetitions (too few repetitions to know the run-to-run noise).
 * - 'stable': none of these.
 * Checked in that order: the first that applies is the verdict.
 */
import { median, twoSidedNormalP } from '../stats/quantiles.js';
import type { P50Interval, RepetitionRuns } from '../stats/repetition-stats.js';

export type Stability = 'stable' | 'noisy' | 'drifting' | 'host-disturbed';

export interface StabilitySettings {
  /** As in the repetition settings (default 3). */
  minRepetitions: number;
  /** As in the repetition settings (default 0.02). */
  targetPrecision: number;
  /**
   * Two-sided significance level of the rank correlation between a repetition's latencies and
   * their run index (default 0.01). Strict because consecutive runs are not independent (a slow
   * second of the host spans several), which makes the test find trends too easily.
   */
  driftAlpha: number;
  /**
   * Smallest change, median of the last third of a repetition's runs against the median of its
   * first third, relative to its median, that counts as drift (default 0.05): a significant trend
   * smaller than this moves the p50 by less than the ±2% precision target plus run noise, so it is
   * not worth a verdict.
   */
  driftMinChange: number;
  /** Share of the tested repetitions that must drift for the cell to be 'drifting' (default 0.5). */
  driftShare: number;
  /** Repetitions with fewer timed runs are not tested for drift (default 10). */
  driftMinRuns: number;
  /**
   * Smallest move of the host's speed from the first half of a device's repetitions to the second
   * (Hodges–Lehmann centre of its cells' moves, significant by the signed-rank test) that makes every cell of the device
   * `drifting` (default 0.02, the precision target): src/latency/host-move.ts.
   */
  hostMoveMinChange: number;
}

export const DEFAULT_STABILITY_SETTINGS: StabilitySettings = {
  minRepetitions: 3, targetPrecision: 0.02, driftAlpha: 0.01, driftMinChange: 0.05, driftShare: 0.5, driftMinRuns: 10, hostMoveMinChange: 0.02,
};

export interface RunTrend {
  /** Spearman's rank correlation of latency with run index. */
  rho: number;
  /** Its two-sided p-value (normal approximation, z = ρ·√(n−1)). */
  p: number;
  /** (median of the last third − median of the first third) / median of all runs. */
  change: number;
  drifting: boolean;
}

/** Ranks 1..n, ties given their mean rank. */
function ranks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const r = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/**
 * The trend of one repetition's runs, in run order; null when it has fewer than driftMinRuns runs.
 * Drifting = the rank correlation is significant at driftAlpha AND the first-to-last-third change
 * is at least driftMinChange: the test alone flags tiny trends in long runs, the change alone flags
 * noise in short ones.
 */
export function runTrend(runs: RepetitionRuns, settings: StabilitySettings = DEFAULT_STABILITY_SETTINGS): RunTrend | null {
  const n = runs.length;
  if (n < settings.driftMinRuns || n < 3) return null;
  const index = Float64Array.from(runs, (_, i) => i);
  const rho = pearson(ranks(runs), index);
  const p = twoSidedNormalP(rho * Math.sqrt(n - 1));
  const third = Math.floor(n / 3);
  const change = (median(runs.slice(n - third)) - median(runs.slice(0, third))) / median(runs);
  return { rho, p, change, drifting: p < settings.driftAlpha && Math.abs(change) >= settings.driftMinChange };
}

export interface StabilityInput {
  /** The timed runs of each clean repetition, in run order. */
  repetitions: readonly RepetitionRuns[];
  /** Repetitions discarded for host noise. */
  discarded: number;
  /** The p50 interval over the clean repetitions (null when there are none). */
  interval: P50Interval | null;
  /** The interval's relative half-width from the cell's own repetitions, when it was widened to the device's spread. */
  ownHalfWidth?: number;
}

export interface StabilityVerdict {
  stability: Stability;
  /** Why, in words, for logs and the report. */
  reason: string;
  /** Repetitions whose runs drift (of those with enough runs to test). */
  drifting_repetitions: number;
}

export function stabilityVerdict(input: StabilityInput, settings: StabilitySettings = DEFAULT_STABILITY_SETTINGS): StabilityVerdict {
  const R = input.repetitions.length;
  if (R === 0 && input.discarded === 0) throw new RangeError('stability of a cell with no repetitions, clean or discarded');
  if (R < settings.minRepetitions && input.discarded > 0) {
    return { stability: 'host-disturbed', reason: `${R} clean repetitions of ${settings.minRepetitions} needed: ${input.discarded} discarded for host noise`, drifting_repetitions: 0 };
  }
  const trends = input.repetitions.map((runs) => runTrend(runs, settings)).filter((t): t is RunTrend => t !== null);
  // Drift is one direction: repetitions that trend some up and some down are a host whose speed
  // wanders over seconds (the interval carries that), not a warm-up still under way or a clock
  // throttling, which would move every repetition the same way.
  const up = trends.filter((t) => t.drifting && t.change > 0);
  const down = trends.filter((t) => t.drifting && t.change < 0);
  const [drifting, opposite] = up.length >= down.length ? [up, down] : [down, up];
  // Net of the repetitions trending the other way: one up and one down of two is no drift.
  if (drifting.length > 0 && drifting.length - opposite.length >= settings.driftShare * trends.length) {
    const worst = drifting.reduce((a, b) => (Math.abs(b.change) > Math.abs(a.change) ? b : a));
    return {
      stability: 'drifting', drifting_repetitions: drifting.length,
      reason: `${drifting.length} of ${trends.length} repetitions trend: up to ${(worst.change * 100).toFixed(1)}% from their first to last third of runs (Spearman ρ ${worst.rho.toFixed(2)})`,
    };
  }
  const verdict = (stability: Stability, reason: string): StabilityVerdict => ({ stability, reason, drifting_repetitions: drifting.length });
  if (R < settings.minRepetitions) return verdict('noisy', `only ${R} repetitions of ${settings.minRepetitions} fitted in the budget`);
  if (!input.interval) throw new RangeError(`stability of ${R} repetitions without their p50 interval`);
  const hw = input.interval.relative_half_width;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const widened = input.ownHalfWidth !== undefined && hw > input.ownHalfWidth ? ` (±${pct(input.ownHalfWidth)} from its own, widened to the device's spread)` : '';
  if (hw > settings.targetPrecision) return verdict('noisy', `95% interval ±${pct(hw)} of the p50${widened}, wider than the ±${pct(settings.targetPrecision)} target`);
  return verdict('stable', `95% interval ±${pct(hw)} of the p50 over ${R} repetitions${widened}`);
}
