/**
 * SPEC.md §2's timing of one run function, whatever runs it: warm-up runs until both the run and
 * the seconds minimums are met, then timed runs until both minimums are met again. Each sample is
 * the wall time of one `run()` call alone; what `afterRun` does (memory sampling, heartbeats) is
 * outside it.
 */
import type { TimingSpec } from '../study/study-spec.js';

type Minimums = Pick<TimingSpec, 'warmupRuns' | 'warmupSeconds' | 'minRuns' | 'minSeconds'>;

export async function warmUp(run: () => Promise<unknown>, timing: Minimums, afterRun?: () => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < timing.warmupRuns || performance.now() - start < timing.warmupSeconds * 1000; i++) {
    await run();
    afterRun?.();
  }
}

export interface TimedRuns {
  /** Wall time of each run, ms. */
  samples: number[];
  /** From the first run's start to the last one's end (runs and the gaps between them). */
  windowSeconds: number;
}

export async function timeRuns(run: () => Promise<unknown>, timing: Minimums, afterRun?: () => void): Promise<TimedRuns> {
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < timing.minRuns || performance.now() - start < timing.minSeconds * 1000) {
    const t0 = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    afterRun?.();
  }
  return { samples, windowSeconds: (performance.now() - start) / 1000 };
}
