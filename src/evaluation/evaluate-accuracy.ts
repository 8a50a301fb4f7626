import path from 'node:path';
import { readShard } from '../dataset/arrow-shards.js';
import type { DatasetManifest } from '../dataset/prepare.js';
import { checkInputGeometry, makeInput, openModel, runScores, type SessionOptions } from '../inference/onnx-session.js';
import { topK } from '../inference/top-k.js';
import type { ResolvedModel } from '../catalog/catalog.js';
import { InputError } from '../errors.js';

/** Running counts; also the heartbeat payload, so a retried activity resumes after the last shard. */
export interface AccuracyProgress {
  nextShard: number;
  n: number;
  correct1: number;
  correct5: number;
  nonFinite: number;
}

export interface AccuracyResult extends AccuracyProgress {
  top1: number;
  top5: number;
  batchSize: number;
  threads: number;
}

export interface EvaluateRequest {
  model: ResolvedModel;
  datasetDir: string;
  manifest: DatasetManifest;
  batchSize: number;
  session: SessionOptions;
  resume?: AccuracyProgress;
  onShardDone?: (progress: AccuracyProgress) => void;
}

/**
 * Top-1/top-5 over the dataset's shards. The next batch is normalised while onnxruntime runs the
 * current one (its run is asynchronous), so preprocessing hides behind inference.
 */
export async function evaluateAccuracy(req: EvaluateRequest): Promise<AccuracyResult> {
  const { model, manifest } = req;
  const crop = manifest.geometry.crop;
  if (crop !== model.preprocessing.crop || manifest.geometry.resize !== model.preprocessing.resize) {
    throw new InputError(`dataset ${req.datasetDir} has geometry ${manifest.geometry.resize}/${crop}, model ${model.id} needs ${model.preprocessing.resize}/${model.preprocessing.crop}`);
  }
  const m = await openModel(model.path, req.session);
  checkInputGeometry(m, model.path, model.preprocessing, crop);
  // A graph with a fixed batch (often 1) is evaluated at that batch.
  const batchSize = m.fixedBatch ?? req.batchSize;
  const progress: AccuracyProgress = { ...(req.resume ?? { nextShard: 0, n: 0, correct1: 0, correct5: 0, nonFinite: 0 }) };
  const { classes, backgroundOffset } = model.output;
  try {
    for (let s = progress.nextShard; s < manifest.shards.length; s++) {
      const shard = await readShard(path.join(req.datasetDir, manifest.shards[s]!.file), crop);
      const count = shard.ids.length;
      const bytesPerImage = crop * crop * 3;
      const starts: number[] = [];
      for (let i = 0; i < count; i += batchSize) starts.push(i);
      const scratch: (Float32Array | undefined)[] = [undefined, undefined];
      const prepare = (k: number) => {
        const start = starts[k]!;
        const n = Math.min(batchSize, count - start);
        const built = makeInput(m, shard.pixels.subarray(start * bytesPerImage, (start + n) * bytesPerImage), n, crop, model.preprocessing, scratch[k % 2]);
        scratch[k % 2] = built.scratch;
        return { start, n, tensor: built.tensor };
      };
      let next = starts.length ? prepare(0) : undefined;
      for (let k = 0; next; k++) {
        const cur = next;
        const running = runScores(m, model.path, cur.tensor, cur.n, model.output);
        next = k + 1 < starts.length ? prepare(k + 1) : undefined;
        const scores = await running;
        for (let j = 0; j < cur.n; j++) {
          const row = j * classes;
          let finite = true;
          for (let c = row; c < row + classes; c++) if (!Number.isFinite(scores[c]!)) { finite = false; break; }
          if (!finite) progress.nonFinite++;
          // Drop the background class of 1001-way models: class = argmax − 1.
          const top = topK(scores, 5, row + backgroundOffset, row + classes);
          const label = shard.labels[cur.start + j]!;
          if (top[0] === label) progress.correct1++;
          if (top.includes(label)) progress.correct5++;
          progress.n++;
        }
      }
      progress.nextShard = s + 1;
      req.onShardDone?.({ ...progress });
    }
  } finally {
    await m.session.release();
  }
  return {
    ...progress, batchSize, threads: m.threads,
    top1: progress.n ? progress.correct1 / progress.n : NaN,
    top5: progress.n ? progress.correct5 / progress.n : NaN,
  };
}
