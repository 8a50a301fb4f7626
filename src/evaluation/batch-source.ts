import path from 'node:path';
import { readShard, type ImageShard } from '../dataset/arrow-shards.js';
import { InputError } from '../errors.js';
import type { InputDtype } from '../inference/normalize.js';
import type { Preprocessing } from '../spec/study-spec.js';
import { fillInput, inputLut } from './input-lut.js';

/** Everything needed to turn a dataset's shards into model inputs; plain data, so it crosses to a worker thread. */
export interface BatchPlan {
  datasetDir: string;
  /** Relative to datasetDir, or absolute. */
  shardFiles: string[];
  firstShard: number;
  crop: number;
  preprocessing: Preprocessing;
  dtype: InputDtype;
  batchSize: number;
  /** A graph's fixed batch: every run gets this many rows, a short tail padded with zeros. */
  rowsPerRun: number | null;
}

/** One run's input. A shard with no images still yields one batch (n = 0) that ends it. */
export interface PreparedBatch {
  shard: number;
  n: number;
  rows: number;
  ids: string[];
  labels: Int16Array;
  /** rows × 3 × crop × crop values in the model's layout: float32, or float16 bits. */
  data: Float32Array | Uint16Array;
  lastOfShard: boolean;
}

/** A shard read failure as data (it may cross a thread): a missing file may be retried, a bad one not. */
export interface ShardFailure { message: string; missing: boolean }

export function shardError(f: ShardFailure): Error {
  return f.missing ? new Error(f.message) : new InputError(f.message);
}

function readShardOrFailure(plan: BatchPlan, s: number): Promise<ImageShard | ShardFailure> {
  const file = path.resolve(plan.datasetDir, plan.shardFiles[s]!);
  return readShard(file, plan.crop).catch((err: unknown) => {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { missing, message: missing ? `dataset shard ${file} is missing on this host` : `dataset shard ${file} cannot be used: ${(err as Error).message}` };
  });
}

/**
 * The evaluation's batches in order, shard by shard from plan.firstShard; the next shard's file
 * is read while this one is cut into batches. `take(bytes)` may hand back a spent buffer to refill.
 */
export async function* preparedBatches(plan: BatchPlan, take: (bytes: number) => ArrayBuffer | undefined = () => undefined): AsyncGenerator<PreparedBatch> {
  const lut = inputLut(plan.preprocessing, plan.dtype);
  const perImage = plan.crop * plan.crop * 3;
  const Values = plan.dtype === 'float16' ? Uint16Array : Float32Array;
  let pending = plan.firstShard < plan.shardFiles.length ? readShardOrFailure(plan, plan.firstShard) : undefined;
  for (let s = plan.firstShard; s < plan.shardFiles.length; s++) {
    const shard = await pending!;
    if ('message' in shard) throw shardError(shard);
    pending = s + 1 < plan.shardFiles.length ? readShardOrFailure(plan, s + 1) : undefined;
    const count = shard.ids.length;
    if (count === 0) yield { shard: s, n: 0, rows: 0, ids: [], labels: new Int16Array(0), data: new Values(0), lastOfShard: true };
    for (let start = 0; start < count; start += plan.batchSize) {
      const n = Math.min(plan.batchSize, count - start);
      const rows = plan.rowsPerRun ?? n;
      const bytes = rows * perImage * Values.BYTES_PER_ELEMENT;
      const data = new Values(take(bytes) ?? new ArrayBuffer(bytes));
      fillInput(shard.pixels.subarray(start * perImage, (start + n) * perImage), n, plan.crop, lut, data);
      data.fill(0, n * perImage); // padding rows of a fixed-batch graph (not scored)
      yield {
        shard: s, n, rows, ids: shard.ids.slice(start, start + n), labels: shard.labels.slice(start, start + n), data,
        lastOfShard: start + n >= count,
      };
    }
  }
}
