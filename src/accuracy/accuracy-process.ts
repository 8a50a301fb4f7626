/**
 * An accuracy pass in a fresh Node process (src/process/child-job.ts). onnxruntime-node runs a
 * batch synchronously on its caller's thread: run in a worker's own process, an accuracy batch of a
 * slow model (about 6 s for int8-dynamic ResNet-50 at batch 32 on 2 vCPUs) held the event loop that
 * also runs the worker's workflow tasks, which then took 10 to 17 s (Temporal's TMPRL1104, and
 * task timeouts at 10 s). In a process of its own the worker stays responsive, its heartbeats go
 * out on time, and a worker killed mid-pass takes the child with it.
 */
import { runChildJob } from '../process/child-job.js';
import type { AccuracyProgress, AccuracyResult, EvaluateRequest } from './evaluate-accuracy.js';

/** What the child needs: the request's plain data, and the runtime by id (it opens its own). */
export type IsolatedAccuracyRequest = Omit<EvaluateRequest, 'runtime' | 'onShardDone' | 'onBatchDone' | 'signal'> & { runtimeId: string };

/** A beat from the child: after a shard (its predictions written: a point to resume from) or after a batch. */
export type AccuracyBeat = { shard: AccuracyProgress } | { batch: AccuracyProgress };

export function evaluateAccuracyInProcess(
  req: IsolatedAccuracyRequest, on: { shardDone?: (p: AccuracyProgress) => void; batchDone?: (p: AccuracyProgress) => void }, signal?: AbortSignal,
): Promise<AccuracyResult> {
  const beat = (b?: AccuracyBeat) => {
    if (!b) return;
    if ('shard' in b) on.shardDone?.(b.shard);
    else on.batchDone?.(b.batch);
  };
  return runChildJob<IsolatedAccuracyRequest, AccuracyResult, AccuracyBeat>(new URL('./accuracy-child.mjs', import.meta.url), req, 'the accuracy pass\'s process', beat, signal);
}
