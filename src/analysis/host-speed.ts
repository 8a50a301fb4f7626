/**
 * The host's speed in study B against study A, from the speed probe read beside every repetition
 * (src/host/speed-probe.ts; latency_repetitions.host_probe_compute_ms and host_probe_memory_ms).
 * Each kernel's B/A is the ratio of its median times over the two studies' clean repetitions, with
 * a 95% percentile-bootstrap interval (each side resampled on its own, seeded, so the same tables
 * give the same interval). Above 1, the host was slower in B.
 */
import { prng } from '../stats/prng.js';
import { median, quantileSorted } from '../stats/quantiles.js';

/** One study's probe readings on one device, a value per clean repetition. */
export interface ProbeReadings {
  compute: readonly number[];
  memory: readonly number[];
}

export interface SpeedRatio {
  /** Median probe time in B over A's. */
  ratio: number;
  low: number;
  high: number;
  /** Standard deviation of ln(ratio) over the bootstrap: its standard error. */
  logSe: number;
  readingsA: number;
  readingsB: number;
}

export interface HostSpeedComparison {
  compute: SpeedRatio;
  memory: SpeedRatio;
}

/** Fewer readings than this on a side give no ratio: a median of two says little about a host. */
export const MIN_PROBE_READINGS = 3;

function medianOfDraw(xs: readonly number[], draw: Float64Array, random: () => number): number {
  for (let i = 0; i < draw.length; i++) draw[i] = xs[Math.floor(random() * xs.length)]!;
  return median(draw);
}

/** B/A of the median with its bootstrap interval; null when a side has too few readings. */
export function speedRatio(a: readonly number[], b: readonly number[], resamples = 2000, seed = 18): SpeedRatio | null {
  if (a.length < MIN_PROBE_READINGS || b.length < MIN_PROBE_READINGS) return null;
  const random = prng(seed);
  const drawA = new Float64Array(a.length);
  const drawB = new Float64Array(b.length);
  const logs = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) logs[i] = Math.log(medianOfDraw(b, drawB, random) / medianOfDraw(a, drawA, random));
  logs.sort();
  let mean = 0;
  for (const v of logs) mean += v;
  mean /= resamples;
  let ss = 0;
  for (const v of logs) ss += (v - mean) ** 2;
  return {
    ratio: median(b) / median(a), low: Math.exp(quantileSorted(logs, 0.025)), high: Math.exp(quantileSorted(logs, 0.975)),
    logSe: Math.sqrt(ss / (resamples - 1)), readingsA: a.length, readingsB: b.length,
  };
}

/** Both kernels' B/A; null when either study lacks the readings (studies from before the probe). */
export function compareHostSpeed(a: ProbeReadings, b: ProbeReadings): HostSpeedComparison | null {
  const compute = speedRatio(a.compute, b.compute);
  const memory = speedRatio(a.memory, b.memory);
  return compute && memory ? { compute, memory } : null;
}
