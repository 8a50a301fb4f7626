/**
 * The evaluation's helper thread: reads shards and builds model inputs ahead of the model (or
 * hands over the crops as they are, for the model's thread to normalise between runs), and ranks
 * the scores that come back, writing each shard's predictions part. The thread that runs
 * the model (onnxruntime blocks it during each run) does nothing else. Messages:
 *   main → here:  { job } to start; { scores, buffer } after each run (the input buffer comes back
 *                 for reuse, which also lets one more batch be prepared); { finish } after the last.
 *   here → main:  { batch } (its buffer transferred), then { exhausted } after the last one;
 *                 { shard } when a shard's part is written; { finished } with the final counts;
 *                 { failure }.
 * After { finished } the thread waits for the next job (batch-stream.ts keeps it for reuse).
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { preparedBatches, type PreparedBatch, type ShardFailure } from './batch-source.js';
import type { EvaluationJob } from './batch-stream.js';
import { ShardScorer } from './shard-scorer.js';

/** Batches prepared ahead of the one running: enough that a slow batch never starves the model. */
const DEPTH = 3;

const port = parentPort!;

interface Job {
  spare: ArrayBuffer[];
  credits: number;
  wake?: () => void;
  sent: PreparedBatch[];
  scorer: ShardScorer;
  stopped: boolean;
}
let current: Job | undefined;

function failed(err: unknown): void {
  // Only an InputError (a bad shard) is final; anything else may pass on another attempt.
  const failure: ShardFailure = { message: (err as Error).message ?? String(err), missing: !(err instanceof InputError) };
  if (current) current.stopped = true;
  current = undefined;
  port.postMessage({ failure });
}

async function produce(job: Job, plan: EvaluationJob): Promise<void> {
  const take = (bytes: number) => {
    const i = job.spare.findIndex((b) => b.byteLength === bytes);
    return i < 0 ? undefined : job.spare.splice(i, 1)[0];
  };
  for await (const batch of preparedBatches(plan, take)) {
    while (job.credits === 0 && !job.stopped) await new Promise<void>((r) => { job.wake = r; });
    if (job.stopped) return;
    job.credits--;
    job.sent.push(batch);
    const { shard, n, rows, data, lastOfShard } = batch;
    port.postMessage({ batch: { shard, n, rows, data, lastOfShard } }, [data.buffer as ArrayBuffer]);
  }
  if (!job.stopped) port.postMessage({ exhausted: true });
}

port.on('message', (m: { job?: EvaluationJob; scores?: Float32Array; buffer?: ArrayBuffer; finish?: boolean }) => {
  if (m.job) {
    const job: Job = { spare: [], credits: DEPTH, sent: [], stopped: false, scorer: undefined! };
    job.scorer = new ShardScorer(m.job.scorer, m.job.start, (p) => { if (!job.stopped) port.postMessage({ shard: p }); });
    current = job;
    produce(job, m.job).catch(failed);
    return;
  }
  const job = current;
  if (!job) return;
  if (m.buffer) {
    job.spare.push(m.buffer);
    job.credits++;
    job.wake?.();
    job.scorer.add(job.sent.shift()!, m.scores);
  }
  if (m.finish) {
    job.scorer.finish().then((finished) => {
      if (current !== job) return;
      current = undefined;
      port.postMessage({ finished });
    }, failed);
  }
});
