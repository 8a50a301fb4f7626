import { Worker } from 'node:worker_threads';
import { preparedBatches, shardError, type BatchPlan, type PreparedBatch, type ShardFailure } from './batch-source.js';

/** Prepared batches in order; `recycle` hands a batch's buffer back once its run is over. */
export interface BatchStream {
  next(): Promise<PreparedBatch | undefined>;
  recycle(batch: PreparedBatch): void;
  close(): Promise<void>;
}

type Message = { batch: PreparedBatch } | { end: true } | { failure: ShardFailure };

/**
 * Starts the preparation thread now (its module loading overlaps the session's creation); the
 * plan follows with `begin`. onnxruntime-node runs a session synchronously on the calling thread,
 * so only another thread can read and normalise the next batches while the model runs.
 */
export function startBatchThread(): { begin(plan: BatchPlan): BatchStream; close(): Promise<void> } {
  const worker = new Worker(new URL('./prep-worker.mjs', import.meta.url));
  const queue: Message[] = [];
  let waiting: ((m: Message) => void) | undefined;
  let crashed: Error | undefined;
  const deliver = (m: Message) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(m);
    } else queue.push(m);
  };
  worker.on('message', deliver);
  worker.on('error', (err) => { crashed = err; deliver({ failure: { message: err.message, missing: true } }); });
  worker.on('exit', (code) => { if (code !== 0 && !crashed) deliver({ failure: { message: `batch preparation thread exited with code ${code}`, missing: true } }); });
  let done = false;
  const close = async () => {
    done = true;
    await worker.terminate();
  };
  return {
    close,
    begin(plan) {
      worker.postMessage(plan);
      return {
        async next() {
          if (done) return undefined;
          const m = queue.shift() ?? await new Promise<Message>((r) => { waiting = r; });
          if ('batch' in m) return m.batch;
          done = true;
          if ('failure' in m) throw crashed ?? shardError(m.failure);
          return undefined;
        },
        recycle(batch) {
          if (!done) worker.postMessage({ buffer: batch.data.buffer }, [batch.data.buffer as ArrayBuffer]);
        },
        close,
      };
    },
  };
}

/** The same batches prepared on the calling thread, between runs: no overlap; for tests and debugging. */
export function inThreadBatches(plan: BatchPlan): BatchStream {
  const it = preparedBatches(plan);
  return {
    async next() {
      const r = await it.next();
      return r.done ? undefined : r.value;
    },
    recycle() {},
    async close() {
      await it.return(undefined);
    },
  };
}
