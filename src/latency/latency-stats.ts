export interface LatencyStats {
  runs: number;
  mean_ms: number;
  stdev_ms: number;
  min_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Percentile by linear interpolation between closest ranks (numpy's default), q in 0..100. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Summary of per-run latencies in ms; stdev is the sample standard deviation (n − 1). */
export function latencyStats(samplesMs: ArrayLike<number>): LatencyStats {
  const sorted = Float64Array.from(samplesMs).sort();
  const n = sorted.length;
  if (n === 0) throw new RangeError('no latency samples');
  const mean = sorted.reduce((a, v) => a + v, 0) / n;
  const variance = n > 1 ? sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return {
    runs: n, mean_ms: mean, stdev_ms: Math.sqrt(variance), min_ms: sorted[0]!,
    p50_ms: percentile(sorted, 50), p90_ms: percentile(sorted, 90), p99_ms: percentile(sorted, 99), max_ms: sorted[n - 1]!,
  };
}
