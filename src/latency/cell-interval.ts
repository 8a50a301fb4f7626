/**
 * A latency cell's two intervals (issue 18):
 * - the 95% interval of its p50: the cluster bootstrap over its own repetitions (src/stats/
 *   repetition-stats.ts), widened where the device's typical spread between repetitions says the
 *   cell's few repetitions agree by luck (src/stats/moderated-spread.ts). The adaptive rule, the
 *   stability verdict, compare's 'cell intervals' basis and the report use it;
 * - the rerun interval: where the p50 of a second run of the same study on the same host is
 *   expected to land, 95% of the time. A rerun's p50 carries its own error as well as this run's,
 *   and it stops under the same precision rule, so its error is taken to be as large as this run's:
 *   the difference of two such estimates has √2 times the standard error of one, and the interval
 *   is the p50 interval widened by √2 on the log scale. A 95% interval of this run's p50 holds a
 *   rerun's only about 83% of the time (|Z| < 1.96/√2): it answers a different question.
 * Neither knows the host's speed in the next run: a VM whose host slows by 3% between two studies
 * moves every cell out of both (docs/TIMING.md); compare's shared move and the speed probe say so.
 */
import { devicePrior, moderatedHalfWidth, spreadOfInterval, type Spread } from '../stats/moderated-spread.js';
import { p50Interval, type BootstrapOptions, type P50Interval, type RepetitionRuns } from '../stats/repetition-stats.js';

export interface CellInterval {
  interval: P50Interval;
  /** The relative half-width from the cell's own repetitions alone (before any widening). */
  own_half_width: number;
}

/** The p50 interval of a cell's clean repetitions, widened to the device's spread when prior is given. */
export function cellInterval(reps: readonly RepetitionRuns[], prior: Spread | null, opts: BootstrapOptions = {}): CellInterval {
  const own = p50Interval(reps, opts);
  return { interval: widenToSpread(own, prior), own_half_width: own.relative_half_width };
}

/**
 * An interval from a cell's own repetitions, widened about its p50 (on the log scale) so that each
 * side reaches at least the moderated half-width; unchanged without a prior or below two repetitions.
 */
export function widenToSpread(own: P50Interval, prior: Spread | null): P50Interval {
  const spread = spreadOfInterval(own.relative_half_width, own.repetitions);
  if (!prior || !spread) return own;
  const h = moderatedHalfWidth(spread, own.repetitions, prior);
  const low = Math.min(own.ci_low_ms, own.p50_ms * Math.exp(-h));
  const high = Math.max(own.ci_high_ms, own.p50_ms * Math.exp(h));
  return { ...own, ci_low_ms: low, ci_high_ms: high, relative_half_width: (high - low) / 2 / own.p50_ms };
}

/** The rerun interval of a p50 from its 95% interval: each side √2 as far on the log scale. */
export function rerunInterval(p50: number, low: number, high: number): { low: number; high: number } {
  return { low: p50 * (low / p50) ** Math.SQRT2, high: p50 * (high / p50) ** Math.SQRT2 };
}

/** A cell of a device, and the spread its own interval shows. */
export interface CellSpread {
  model_id: string;
  batch_size: number;
  variant?: string | null;
  spread: Spread;
}

type CellId = Pick<CellSpread, 'model_id' | 'batch_size' | 'variant'>;

export const cellKeyOf = (c: CellId): string => `${c.model_id}\u0000${c.batch_size}\u0000${c.variant ?? ''}`;

/**
 * The device's typical spread for one cell, from the device's other cells of the same runtime
 * variant (`spreads` holds one device's; null when fewer than 3 such cells have two repetitions).
 */
export function priorFor(cell: CellId, spreads: readonly CellSpread[]): Spread | null {
  const own = cellKeyOf(cell);
  return devicePrior(spreads.filter((s) => cellKeyOf(s) !== own && (s.variant ?? '') === (cell.variant ?? '')).map((s) => s.spread));
}
