/**
 * Runs one serving run in a fresh Node process, as a latency repetition is (src/process/child-job.ts):
 * no earlier run's sessions, threads or heap in it, and a worker killed mid-run takes only that run
 * with it. `onProgress` fires every second while it runs; `signal` kills it.
 */
import { runChildJob } from '../process/child-job.js';
import type { ServingRunRequest, ServingRunResult } from './serving-run.js';

/** What crosses the IPC channel: latencies of queries that never completed travel as null. */
export type ServingRunReply = Omit<ServingRunResult, 'latencyMs'> & { latencyMs: (number | null)[] };

export function runServingInProcess(req: ServingRunRequest, onProgress?: () => void, signal?: AbortSignal): Promise<ServingRunReply> {
  return runChildJob(new URL('./serving-child.mjs', import.meta.url), req, "the serving run's process", onProgress, signal);
}
