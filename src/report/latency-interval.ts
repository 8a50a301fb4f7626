import type { ReadRow } from '../results/schema.js';

type LatencyRow = ReadRow<'latency'>;

/** The latency columns the report shows with a 95% interval: all three derive from the p50. */
export type LatencyFigure = 'p50_ms' | 'per_image_ms' | 'images_per_s';

export interface Interval {
  low: number;
  high: number;
}

/**
 * Each latency figure's 95% interval, from the p50's (latency.parquet's p50_ci_low_ms ..
 * p50_ci_high_ms); null for a cell without one (measured before repetitions, or not ok).
 * Throughput is batch·1000 / p50, so its low end comes from the p50's high end.
 */
export function latencyIntervals(row: Pick<LatencyRow, 'batch_size' | 'p50_ci_low_ms' | 'p50_ci_high_ms'>): Record<LatencyFigure, Interval> | null {
  const low = row.p50_ci_low_ms;
  const high = row.p50_ci_high_ms;
  if (low === null || high === null || !(low > 0) || !(high >= low) || !Number.isFinite(high)) return null;
  const b = row.batch_size;
  return {
    p50_ms: { low, high },
    per_image_ms: { low: low / b, high: high / b },
    images_per_s: { low: (b * 1000) / high, high: (b * 1000) / low },
  };
}

/** The key of a latency cell, to find a cell's row from another table's (device, model, batch). */
export const latencyKey = (device: string | null, model: string | null, batch: number | null): string => `${device}\u0000${model}\u0000${batch}`;
