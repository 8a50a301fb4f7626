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
import { devicePrior, moderatedLogHalfWidth, spreadOf, type Spread } from '../stats/moderated-spread.js';
import { median } from '../stats/quantiles.js';
import { p50Interval, type BootstrapOptions, type P50Interval, type RepetitionRuns } from '../stats/repetition-stats.js';
import type { RepetitionCell } from '../results/cell-types.js';

export interface CellInterval {
  interval: P50Interval;
  /** The relative half-width from the cell's own repetitions alone (before any widening). */
  own_half_width: number;
}

/** The p50 interval of a cell's clean repetitions, widened to the device's spread when prior is given. */
export function cellInterval(reps: readonly RepetitionRuns[], prior: Spread | null, opts: BootstrapOptions = {}): CellInterval {
  const own = p50Interval(reps, opts);
  return { interval: widenToSpread(own, reps.map((runs) => median(runs)), prior), own_half_width: own.relative_half_width };
}

/**
 * An interval from a cell's own repetitions, widened about its p50 so that each side reaches at
 * least the moderated half-width of the cell's repetition p50s (unchanged without a prior or with
 * fewer than two repetitions).
 */
export function widenToSpread(own: P50Interval, repetitionP50s: readonly number[], prior: Spread | null): P50Interval {
  const spread = spreadOf(repetitionP50s);
  if (!prior || !spread) return own;
  const h = moderatedLogHalfWidth(spread, repetitionP50s.length, prior);
  const low = Math.min(own.ci_low_ms, own.p50_ms * Math.exp(-h));
  const high = Math.max(own.ci_high_ms, own.p50_ms * Math.exp(h));
  return { ...own, ci_low_ms: low, ci_high_ms: high, relative_half_width: (high - low) / 2 / own.p50_ms };
}

/** The rerun interval of a p50 from its 95% interval: each side √2 as far on the log scale. */
export function rerunInterval(p50: number, low: number, high: number): { low: number; high: number } {
  return { low: p50 * (low / p50) ** Math.SQRT2, high: p50 * (high / p50) ** Math.SQRT2 };
}

type Identified = Pick<RepetitionCell, 'model_id' | 'batch_size' | 'p50_ms' | 'discarded'> & { variant?: string | null };

const cellKey = (r: Pick<Identified, 'model_id' | 'batch_size' | 'variant'>) => `${r.model_id}\u0000${r.batch_size}\u0000${r.variant ?? ''}`;

/**
 * The device's typical spread for one cell, from the clean repetitions of the device's other cells
 * of the same runtime variant (`repetitions` holds one device's; null when too few cells have two).
 */
export function priorFor(cell: Pick<Identified, 'model_id' | 'batch_size' | 'variant'>, repetitions: readonly Identified[]): Spread | null {
  const own = cellKey(cell);
  const byCell = new Map<string, number[]>();
  for (const r of repetitions) {
    const k = cellKey(r);
    if (r.discarded || k === own || (r.variant ?? '') !== (cell.variant ?? '')) continue;
    byCell.set(k, [...(byCell.get(k) ?? []), r.p50_ms]);
  }
  return devicePrior([...byCell.values()].map(spreadOf).filter((s): s is Spread => s !== null));
}
