import { Worker } from 'node:worker_threads';
import { preparedBatches, shardError, type BatchPlan, type PreparedBatch, type ShardFailure } from './batch-source.js';
import { ShardScorer, type AccuracyProgress, type ScorerOptions } from './shard-scorer.js';

/** One run's input, as the thread that runs the model gets it. */
export type RunInput = Pick<PreparedBatch, 'shard' | 'n' | 'rows' | 'data' | 'lastOfShard'>;

/** A whole evaluation's work besides inference: the batches to prepare and how to score them. */
export interface EvaluationJob extends BatchPlan {
  scorer: ScorerOptions;
  start: AccuracyProgress;
}

/**
 * The model's side of an evaluation: `next` gives the next run's input, `done` hands back its
 * scores (and the input buffer), `finish` waits until every shard is scored and written.
 * `onShard` fires as shards complete, with the progress a retry may resume from.
 */
export interface BatchStream {
  next(): Promise<RunInput | undefined>;
  done(input: RunInput, scores: Float32Array | undefined): void;
  finish(): Promise<AccuracyProgress>;
  close(): Promise<void>;
}

type FromWorker = { batch: RunInput } | { exhausted: true } | { shard: AccuracyProgress } | { finished: AccuracyProgress } | { failure: ShardFailure };

/** An idle thread from an earlier evaluation in this process: starting one costs about half a second. */
let idle: Worker | undefined;

/**
 * Starts (or reuses) the thread that reads and prepares batches and scores results, so that this
 * thread does little besides running the model (at most normalising raw crops between runs, see
 * EvaluateRequest.normalise): onnxruntime runs a session synchronously on the calling thread,
 * so nothing else overlaps inference here. Call it before creating the session: the thread loads
 * meanwhile.
 */
export function startBatchThread(): { begin(job: EvaluationJob, onShard: (p: AccuracyProgress) => void): BatchStream; close(): Promise<void> } {
  const worker = idle ?? new Worker(new URL('./prep-worker.mjs', import.meta.url));
  idle = undefined;
  worker.removeAllListeners('error').removeAllListeners('exit');
  worker.ref();
  const batches: RunInput[] = [];
  let waitingBatch: ((b: RunInput | undefined) => void) | undefined;
  let finished: { resolve: (p: AccuracyProgress) => void; reject: (e: Error) => void } | undefined;
  let ended = false;
  let exhausted = false;
  let failure: Error | undefined;
  let onShard: (p: AccuracyProgress) => void = () => undefined;
  let reusable = false;

  const fail = (err: Error) => {
    failure ??= err;
    waitingBatch?.(undefined);
    waitingBatch = undefined;
    finished?.reject(failure);
  };
  const onMessage = (m: FromWorker) => {
    if ('batch' in m || 'exhausted' in m) {
      const b = 'batch' in m ? m.batch : undefined;
      if (!b) exhausted = true;
      if (waitingBatch) { const w = waitingBatch; waitingBatch = undefined; w(b); } else if (b) batches.push(b);
    } else if ('shard' in m) onShard(m.shard);
    else if ('finished' in m) { reusable = true; finished?.resolve(m.finished); }
    else fail(shardError(m.failure));
  };
  const onError = (err: Error) => fail(err);
  const onExit = (code: number) => fail(new Error(`the batch preparation thread exited (code ${code})`));
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);

  const close = async () => {
    ended = true;
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (reusable && !idle) {
      worker.unref(); // an idle thread must not keep the process alive
      idle = worker;
      const forget = () => { if (idle === worker) idle = undefined; };
      worker.once('error', forget).once('exit', forget);
    } else await worker.terminate();
  };
  return {
    close,
    begin(job, shardCallback) {
      onShard = shardCallback;
      worker.postMessage({ job });
      return {
        async next() {
          if (failure) throw failure;
          if (ended) return undefined;
          const queued = batches.shift();
          if (queued || exhausted) return queued;
          const b = await new Promise<RunInput | undefined>((r) => { waitingBatch = r; });
          if (failure) throw failure;
          return b;
        },
        done(input, scores) {
          // The input buffer goes back for reuse; scores are copied (onnxruntime owns its output).
          worker.postMessage({ scores, buffer: input.data.buffer }, [input.data.buffer as ArrayBuffer]);
        },
        finish() {
          return new Promise<AccuracyProgress>((resolve, reject) => {
            if (failure) return reject(failure);
            finished = { resolve, reject };
            worker.postMessage({ finish: true });
          });
        },
        close,
      };
    },
  };
}

/** The same work on the calling thread, between runs (no overlap): for tests and debugging. */
export function inThreadBatches(job: EvaluationJob, onShard: (p: AccuracyProgress) => void): BatchStream {
  const it = preparedBatches(job);
  const scorer = new ShardScorer(job.scorer, job.start, onShard);
  const metas = new Map<RunInput, PreparedBatch>();
  return {
    async next() {
      const r = await it.next();
      if (r.done) return undefined;
      metas.set(r.value, r.value);
      return r.value;
    },
    done(input, scores) {
      const meta = metas.get(input)!;
      metas.delete(input);
      scorer.add(meta, scores);
    },
    finish: () => scorer.finish(),
    async close() {
      await it.return(undefined);
    },
  };
}
