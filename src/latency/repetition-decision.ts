/**
 * Whether a latency cell needs another repetition: at least minRepetitions, then more until the
 * p50's 95% interval is within ±targetPrecision, up to maxRepetitions or the cell's time budget.
 */
import type { Spread } from '../stats/moderated-spread.js';
import type { BootstrapOptions, P50Interval, RepetitionRuns } from '../stats/repetition-stats.js';
import { cellInterval } from './cell-interval.js';

export interface RepetitionSettings {
  /** Repetitions every cell gets, budget permitting (default 3: the fewest that give a between-repetition variance some footing). */
  minRepetitions: number;
  /** Never more than this (default 10). */
  maxRepetitions: number;
  /** Stop once the interval's half-width is at most this fraction of the p50 (default 0.02: ±2%). */
  targetPrecision: number;
  /** Wall seconds the cell may spend on repetitions, discarded ones included. */
  budgetSeconds: number;
}

export const DEFAULT_REPETITION_SETTINGS = { minRepetitions: 3, maxRepetitions: 10, targetPrecision: 0.02 } as const;

export interface RepetitionProgress {
  /** The timed runs of each clean repetition so far. */
  repetitions: readonly RepetitionRuns[];
  /** Repetitions thrown away for host noise (their time is in spentSeconds). */
  discarded: number;
  /** Wall seconds spent on this cell's repetitions so far. */
  spentSeconds: number;
  /** The device's typical spread between repetitions (src/latency/cell-interval.ts priorFor); null or absent: the cell's own alone. */
  prior?: Spread | null;
}

export type RepetitionReason = 'below-min' | 'imprecise' | 'precise' | 'max-reached' | 'budget-spent';

export interface RepetitionDecision {
  another: boolean;
  reason: RepetitionReason;
  /** The p50 and its interval over the repetitions so far (widened to the prior's spread); null before the first. */
  interval: P50Interval | null;
}

function checkSettings(s: RepetitionSettings): void {
  const bad = (what: string) => { throw new RangeError(`repetition settings: ${what}`); };
  if (!Number.isInteger(s.minRepetitions) || s.minRepetitions < 1) bad(`minRepetitions ${s.minRepetitions} is not a whole number ≥ 1`);
  if (!Number.isInteger(s.maxRepetitions) || s.maxRepetitions < s.minRepetitions) bad(`maxRepetitions ${s.maxRepetitions} is below minRepetitions ${s.minRepetitions}`);
  if (!(s.targetPrecision > 0)) bad(`targetPrecision ${s.targetPrecision} is not above 0`);
  if (!(s.budgetSeconds >= 0)) bad(`budgetSeconds ${s.budgetSeconds} is not ≥ 0`);
}

/**
 * The rules, in order:
 * 1. maxRepetitions reached: stop ('max-reached').
 * 2. The budget is spent: stop ('budget-spent'), even below minRepetitions, so that a cell far
 *    slower than planned or a host that keeps disturbing repetitions cannot hold the study; the
 *    stability verdict then says the cell is not stable.
 * 3. Below minRepetitions: another ('below-min').
 * 4. Interval half-width within targetPrecision of the p50: stop ('precise'). The interval is
 *    widened to the device's typical spread when a prior is given, so that three repetitions that
 *    agree by luck do not end the cell.
 * 5. Another repetition, as long as the ones so far took on average, would end past the budget:
 *    stop ('budget-spent') rather than overrun it.
 * 6. Otherwise another ('imprecise').
 */
export function decideRepetition(progress: RepetitionProgress, settings: RepetitionSettings, bootstrap: BootstrapOptions = {}): RepetitionDecision {
  checkSettings(settings);
  const R = progress.repetitions.length;
  const interval = R > 0 ? cellInterval(progress.repetitions, progress.prior ?? null, bootstrap).interval : null;
  const decide = (another: boolean, reason: RepetitionReason): RepetitionDecision => ({ another, reason, interval });
  if (R >= settings.maxRepetitions) return decide(false, 'max-reached');
  if (progress.spentSeconds >= settings.budgetSeconds) return decide(false, 'budget-spent');
  if (R < settings.minRepetitions) return decide(true, 'below-min');
  if (interval!.relative_half_width <= settings.targetPrecision) return decide(false, 'precise');
  const perRepetition = progress.spentSeconds / (R + progress.discarded);
  if (progress.spentSeconds + perRepetition > settings.budgetSeconds) return decide(false, 'budget-spent');
  return decide(true, 'imprecise');
}
