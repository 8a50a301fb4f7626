/**
 * SPEC.md §2's timing of one run function, whatever runs it: warm-up runs until the latency is
 * steady (warmup.ts's rule, with the run and seconds minimums as floors), then timed runs until
 * both minimums are met again. Each sample is the wall time of one `run()` call alone; what
 * `afterRun` does (memory sampling, heartbeats) is outside it.
 */
import type { RunTiming } from '../study/study-spec.js';
import { DEFAULT_WARMUP_SETTINGS, warmupDecision, type WarmupReason } from './warmup.js';

export interface WarmUp {
  /** Warm-up runs used. */
  runs: number;
  /** 'steady', or 'cap' when the latency had not settled by the cap. */
  reason: WarmupReason;
}

async function timeOne(run: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function warmUp(run: () => Promise<unknown>, timing: RunTiming, afterRun?: () => void): Promise<WarmUp> {
  const settings = timing.warmup ?? DEFAULT_WARMUP_SETTINGS;
  const runsMs: number[] = [];
  const start = performance.now();
  for (;;) {
    runsMs.push(await timeOne(run));
    afterRun?.();
    const d = warmupDecision(runsMs, (performance.now() - start) / 1000, timing, settings);
    if (d.stop) return { runs: d.runs, reason: d.reason };
  }
}

export interface TimedRuns {
  /** Wall time of each run, ms. */
  samples: number[];
  /** From the first run's start to the last one's end (runs and the gaps between them). */
  windowSeconds: number;
}

export async function timeRuns(run: () => Promise<unknown>, timing: RunTiming, afterRun?: () => void): Promise<TimedRuns> {
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < timing.minRuns || performance.now() - start < timing.minSeconds * 1000) {
    samples.push(await timeOne(run));
    afterRun?.();
  }
  return { samples, windowSeconds: (performance.now() - start) / 1000 };
}
