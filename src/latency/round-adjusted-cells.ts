/**
 * latency.parquet's figures at the host's average speed over the study (src/latency/round-
 * adjustment.ts): each ok cell with repetitions gets its `round_adjustment` factor and its times
 * multiplied by it (throughput divided). The raw runs (latency_samples.parquet) and the repetitions'
 * p50s (latency_repetitions.parquet) stay as measured: divide a cell's times by the factor to get
 * the statistics of its raw runs back.
 */
import type { LatencyCell, RepetitionCell } from '../results/cell-types.js';
import { roundAdjustments } from './round-adjustment.js';

type Keyed = Pick<LatencyCell, 'model_id' | 'batch_size'> & { variant?: string | null };
const cellOf = (c: Keyed) => `${c.model_id}\u0000${c.batch_size}\u0000${c.variant ?? ''}`;

/** The times of a latency row that describe its runs, all scaled by the factor. */
const TIMES = ['mean_ms', 'stdev_ms', 'min_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'per_image_ms', 'p50_ci_low_ms', 'p50_ci_high_ms', 'p50_rerun_low_ms', 'p50_rerun_high_ms'] as const;

export function adjustForRounds(latency: readonly LatencyCell[], repetitions: readonly RepetitionCell[]): LatencyCell[] {
  const factors = new Map<string, Map<string, number>>();
  const devices = new Set(repetitions.map((r) => r.device));
  for (const device of devices) {
    const clean = repetitions.filter((r) => r.device === device && !r.discarded);
    factors.set(device, roundAdjustments(clean.map((r) => ({ cell: cellOf(r), round: r.round, p50_ms: r.p50_ms }))));
  }
  return latency.map((l) => {
    // Cells from before repetitions, failed cells and cells of only discarded repetitions keep their figures.
    if (l.status !== 'ok' || !l.repetitions) return l;
    const factor = factors.get(l.device)?.get(cellOf(l)) ?? 1;
    const scaled: LatencyCell = { ...l, round_adjustment: factor };
    if (factor === 1) return scaled;
    for (const k of TIMES) {
      const v = l[k];
      if (typeof v === 'number') scaled[k] = v * factor;
    }
    if (typeof l.images_per_s === 'number') scaled.images_per_s = l.images_per_s / factor;
    return scaled;
  });
}
