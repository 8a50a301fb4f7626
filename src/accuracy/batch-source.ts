import path from 'node:path';
import { openShard, type ShardReader } from '../prepare/shard-reader.js';
import { InputError } from '../errors.js';
import type { InputDtype } from '../inputs/normalise.js';
import type { Preprocessing } from '../study/study-spec.js';
import { fillInput, inputLut } from '../inputs/input-lut.js';

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
  /** Hand over the crops as they are (uint8, n rows, no padding) for the model's thread to normalise. */
  rawCrops?: boolean;
}

/** One run's input. A shard with no images still yields one batch (n = 0) that ends it. */
export interface PreparedBatch {
  shard: number;
  n: number;
  rows: number;
  ids: string[];
  labels: Int16Array;
  /** rows × 3 × crop × crop values in the model's layout: float32, or float16 bits; with rawCrops, the n crops' bytes. */
  data: Float32Array | Uint16Array | Uint8Array;
  lastOfShard: boolean;
}

/** A shard read failure as data (it may cross a thread): a missing file may be retried, a bad one not. */
export interface ShardFailure { message: string; missing: boolean }

export function shardError(f: ShardFailure): Error {
  return f.missing ? new Error(f.message) : new InputError(f.message);
}

async function openShardOrFailure(plan: BatchPlan, s: number): Promise<ShardReader | ShardFailure> {
  const file = path.resolve(plan.datasetDir, plan.shardFiles[s]!);
  return openShard(file, plan.crop).catch((err: unknown) => {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { missing, message: missing ? `dataset shard ${file} is missing on this host` : `dataset shard ${file} cannot be used: ${(err as Error).message}` };
  });
}

/**
 * The evaluation's batches in order, shard by shard from plan.firstShard. Each batch's crops are
 * read into one reused buffer (no shard-sized allocation); `take(bytes)` may hand back a spent
 * input buffer to refill.
 */
export async function* preparedBatches(plan: BatchPlan, take: (bytes: number) => ArrayBuffer | undefined = () => undefined): AsyncGenerator<PreparedBatch> {
  const lut = inputLut(plan.preprocessing, plan.dtype);
  const perImage = plan.crop * plan.crop * 3;
  const Values = plan.dtype === 'float16' ? Uint16Array : Float32Array;
  const crops = new Uint8Array(plan.rawCrops ? 0 : plan.batchSize * perImage);
  for (let s = plan.firstShard; s < plan.shardFiles.length; s++) {
    const shard = await openShardOrFailure(plan, s);
    if ('message' in shard) throw shardError(shard);
    try {
      const count = shard.ids.length;
      if (count === 0) yield { shard: s, n: 0, rows: 0, ids: [], labels: new Int16Array(0), data: new Values(0), lastOfShard: true };
      for (let start = 0; start < count; start += plan.batchSize) {
        const n = Math.min(plan.batchSize, count - start);
        const rows = plan.rowsPerRun ?? n;
        const bytes = plan.rawCrops ? n * perImage : rows * perImage * Values.BYTES_PER_ELEMENT;
        const data = plan.rawCrops ? new Uint8Array(take(bytes) ?? new ArrayBuffer(bytes)) : new Values(take(bytes) ?? new ArrayBuffer(bytes));
        await shard.readCrops(start, n, plan.rawCrops ? data as Uint8Array : crops).catch((err: unknown) => {
          throw shardError({ missing: false, message: `dataset shard ${shard.file} cannot be used: ${(err as Error).message}` });
        });
        if (!plan.rawCrops) {
          fillInput(crops, n, plan.crop, lut, data as Float32Array | Uint16Array);
          data.fill(0, n * perImage); // padding rows of a fixed-batch graph (not scored)
        }
        yield {
          shard: s, n, rows, ids: shard.ids.slice(start, start + n), labels: shard.labels.slice(start, start + n), data,
          lastOfShard: start + n >= count,
        };
      }
    } finally {
      await shard.close();
    }
  }
}
