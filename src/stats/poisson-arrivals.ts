/**
 * A Server scenario's query schedule (MLPerf LoadGen's): arrivals of a Poisson process at a target
 * rate, generated up front from a seed so a run can be repeated exactly and a workflow can reason
 * about it. Pure, like the rest of src/stats.
 */
import { prng } from './prng.js';

/**
 * Arrival times in ms from the run's start: exponential gaps of mean 1000/qps, as many as both
 * limits need (LoadGen pre-generates queries until the last one is scheduled at or after the
 * minimum duration and there are at least the minimum count of them).
 */
export function poissonArrivals(qps: number, minDurationMs: number, minQueries: number, seed: number): Float64Array {
  if (!(qps > 0)) throw new Error(`a Server run needs a positive target QPS, not ${qps}`);
  const rand = prng(seed);
  const meanGapMs = 1000 / qps;
  const out: number[] = [];
  let t = 0;
  while (out.length < minQueries || t < minDurationMs) {
    // 1 − u lies in (0, 1]: the log is finite.
    t += -Math.log(1 - rand()) * meanGapMs;
    out.push(t);
  }
  return Float64Array.from(out);
}
