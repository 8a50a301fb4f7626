import type { TimingSpec } from './study-spec.js';

/**
 * SPEC.md §2's minimums for one timing ("warm up (≥10 runs and ≥1 s), then time runs until both
 * ≥50 runs and ≥3 s") and issue 18's for repetitions (at least 3, interval within ±2%). A study may
 * go below them (a preset on a slow host, a smoke test); study.parquet then lists each shortfall
 * (`timing_below_spec`) beside the spec's stated reason (`timing_reason`).
 */
export const SPEC_TIMING_MINIMUMS = { warmupRuns: 10, warmupSeconds: 1, minRuns: 50, minSeconds: 3, minRepetitions: 3, targetPrecision: 0.02 } as const;

/** Each way the timing falls short of the minimums, in words; [] when it meets them all. */
export function timingBelowSpec(timing: Pick<TimingSpec, keyof typeof SPEC_TIMING_MINIMUMS>): string[] {
  const out: string[] = [];
  const m = SPEC_TIMING_MINIMUMS;
  if (timing.warmupRuns < m.warmupRuns) out.push(`warmupRuns ${timing.warmupRuns} < ${m.warmupRuns}`);
  if (timing.warmupSeconds < m.warmupSeconds) out.push(`warmupSeconds ${timing.warmupSeconds} < ${m.warmupSeconds}`);
  if (timing.minRuns < m.minRuns) out.push(`minRuns ${timing.minRuns} < ${m.minRuns}`);
  if (timing.minSeconds < m.minSeconds) out.push(`minSeconds ${timing.minSeconds} < ${m.minSeconds}`);
  if (timing.minRepetitions < m.minRepetitions) out.push(`minRepetitions ${timing.minRepetitions} < ${m.minRepetitions}`);
  if (timing.targetPrecision > m.targetPrecision) out.push(`targetPrecision ${timing.targetPrecision} > ${m.targetPrecision}`);
  return out;
}
