/**
 * One accuracy pass in a process of its own (accuracy-process.ts says why): the request comes over
 * the IPC channel (src/process/child-job.ts); shard and batch beats and then the result go back.
 */
import { serveChildJob } from '../process/child-job.js';
import { inProcessRuntime } from '../runtime/registry.js';
import type { AccuracyBeat, IsolatedAccuracyRequest } from './accuracy-process.js';
import { evaluateAccuracy, type AccuracyResult } from './evaluate-accuracy.js';

serveChildJob<IsolatedAccuracyRequest, AccuracyResult, AccuracyBeat>(async ({ runtimeId, ...req }, progress) => evaluateAccuracy({
  ...req, runtime: inProcessRuntime(runtimeId),
  onShardDone: (p) => progress({ shard: p }),
  onBatchDone: (p) => progress({ batch: p }),
}));
