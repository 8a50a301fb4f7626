import os from 'node:os';
import type { ResolvedModel } from '../study/catalog.js';
import type { DatasetManifest } from '../prepare/prepare.js';
import { InputError } from '../errors.js';
import { checkInputGeometry, inputTensor, runScores, type Classifier, type ClassifierOptions } from '../runtime/classifier.js';
import type { InProcessRuntime } from '../runtime/runtime.js';
import { inThreadBatches, startBatchThread, type BatchStream, type EvaluationJob } from './batch-stream.js';
import { openForBatch, type BatchSession } from './model-for-batch.js';
import { partsExist } from './predictions.js';
import { runnerInputs } from '../inputs/input-builder.js';
import type { AccuracyProgress } from './shard-scorer.js';

export type { AccuracyProgress } from './shard-scorer.js';

export interface AccuracyResult extends AccuracyProgress {
  top1: number;
  top5: number;
  /** The batch actually run: the spec's, or a fixed-batch graph's own when it could not be re-batched. */
  batchSize: number;
  rebatched: boolean;
  /** Why the batch differs from the one asked for, when it does. */
  note?: string;
  threads: number;
  /** The shard this call started at (> 0 when it resumed). */
  resumedFromShard: number;
  /** Wall time of the shard loop (read, normalise, infer, score, write predictions), session opening excluded. */
  loopSeconds: number;
  /** The part of loopSeconds spent in onnxruntime's runs: the rest is time the model waited. */
  inferenceSeconds: number;
  /** Which thread turned crops into model inputs (see EvaluateRequest.normalise), and how. */
  normalisedOn: 'helper' | 'runner';
  normaliseKernel: 'simd' | 'table';
}

export interface EvaluateRequest {
  model: ResolvedModel;
  datasetDir: string;
  manifest: DatasetManifest;
  /** Local file of each shard (a worker's verified cache copies); default: the manifest's files in datasetDir. */
  shardPaths?: string[];
  batchSize: number;
  /** What runs the model: a runtime that runs it in this process, with the device's options. */
  runtime: InProcessRuntime;
  session: ClassifierOptions;
  /** Cache of re-batched copies; without it a fixed-batch graph runs at its own batch. */
  rebatchCacheDir?: string;
  /** Where per-image predictions go (one Parquet part per shard), and the device column's value. */
  predictions?: { dir: string; device: string };
  resume?: AccuracyProgress;
  /** After each shard (its predictions part already written): the point a retry may resume from. */
  onShardDone?: (progress: AccuracyProgress) => void;
  /** After each batch, with the progress of the last finished shard: keeps a heartbeat alive during long shards. */
  onBatchDone?: (progress: AccuracyProgress) => void;
  signal?: AbortSignal;
  /** 'thread' (default): batches are built on a worker thread while the model runs; 'inline': on this thread, in turn. */
  prepare?: 'thread' | 'inline';
  /**
   * Where crops become model inputs: 'helper', on the helper thread while the model runs; 'runner',
   * on this thread between runs. Default: 'helper' when the host has a core beyond onnxruntime's
   * intra-op threads, else 'runner'. Without a spare core the helper's work preempts one of
   * onnxruntime's threads, and every parallel op then waits for it: on 2 cores with 2 threads it
   * cost MobileNetV2-int8 19% of its throughput, against 4-6% for the same work done between runs
   * (docs/BENCHMARKS.md). Reading crops, scoring and writing predictions stay on the helper.
   */
  normalise?: 'helper' | 'runner';
}

const FRESH: AccuracyProgress = { nextShard: 0, n: 0, correct1: 0, correct5: 0, nonFinite: 0 };

/**
 * Top-1/top-5 over the dataset's shards. onnxruntime runs a batch synchronously on this
 * thread, so a worker thread reads the shards' crops, ranks the scores and writes predictions
 * meanwhile (batch-stream.ts); crops are normalised there too, or here between runs when the host
 * has no core to spare (see EvaluateRequest.normalise).
 */
export async function evaluateAccuracy(req: EvaluateRequest): Promise<AccuracyResult> {
  const { model, manifest } = req;
  const crop = manifest.geometry.crop;
  if (crop !== model.preprocessing.crop || manifest.geometry.resize !== model.preprocessing.resize) {
    throw new InputError(`dataset ${req.datasetDir} has geometry ${manifest.geometry.resize}/${crop}, model ${model.id} needs ${model.preprocessing.resize}/${model.preprocessing.crop}`);
  }
  // Started first: the thread loads its modules while the session is created.
  const thread = req.prepare === 'inline' ? undefined : startBatchThread();
  let opened: BatchSession | undefined;
  let stream: BatchStream | undefined;
  try {
    // With a helper thread, onnxruntime's threads must not spin between ops: on a machine with as
    // many cores as intra-op threads they would take the CPU the helper prepares batches with.
    const session = thread ? { ...req.session, spinning: req.session.spinning ?? false } : req.session;
    opened = await openForBatch(req.runtime, model, req.batchSize, session, req.rebatchCacheDir);
    const { m, batchSize } = opened;
    checkInputGeometry(m, model.path, model.preprocessing, crop);
    checkDeclaredOutput(m, model);
    const start = await startingPoint(req);
    const normalisedOn = req.normalise ?? (os.availableParallelism() > m.threads ? 'helper' : 'runner');
    const job: EvaluationJob = {
      datasetDir: req.datasetDir, shardFiles: req.shardPaths ?? manifest.shards.map((s) => s.file), firstShard: start.nextShard, crop,
      preprocessing: model.preprocessing, dtype: m.inputDtype, batchSize, rowsPerRun: m.fixedBatch, rawCrops: normalisedOn === 'runner',
      scorer: { modelId: model.id, output: model.output, predictions: req.predictions }, start,
    };
    // Shards complete on the helper thread; the last one's counts are what a heartbeat carries.
    let lastShard = { ...start };
    const onShard = (p: AccuracyProgress) => {
      lastShard = p;
      req.onShardDone?.(p);
    };
    const started = performance.now();
    stream = thread ? thread.begin(job, onShard) : inThreadBatches(job, onShard);
    const label = `${model.id} (${model.path})`;
    let inferenceMs = 0;
    const runner = job.rawCrops ? runnerInputs(model.preprocessing, m.inputDtype, crop) : undefined;
    for (let b = await stream.next(); b; b = await stream.next()) {
      req.signal?.throwIfAborted();
      let scores: Float32Array | undefined;
      if (b.n > 0) {
        const data = runner ? runner.build(b.data as Uint8Array, b.n, b.rows) : b.data as Float32Array | Uint16Array;
        const t0 = performance.now();
        scores = await runScores(m, label, inputTensor(m, data, b.rows, crop, model.preprocessing), b.rows, model.output);
        inferenceMs += performance.now() - t0;
      }
      stream.done(b, scores);
      req.onBatchDone?.(lastShard);
    }
    const progress = await stream.finish();
    if (progress.nextShard !== manifest.shards.length) throw new Error(`evaluation of ${model.id} stopped at shard ${progress.nextShard} of ${manifest.shards.length}`);
    return {
      ...progress, batchSize, rebatched: opened.rebatched, note: opened.note, threads: m.threads, resumedFromShard: start.nextShard,
      loopSeconds: (performance.now() - started) / 1000, inferenceSeconds: inferenceMs / 1000, normalisedOn, normaliseKernel: runner?.kernel ?? 'table',
      top1: progress.n ? progress.correct1 / progress.n : NaN,
      top5: progress.n ? progress.correct5 / progress.n : NaN,
    };
  } finally {
    await (stream ?? thread)?.close();
    await opened?.m.handle.dispose();
  }
}

/** Resume only from a well-formed heartbeat whose shards' predictions are all on disk. */
async function startingPoint(req: EvaluateRequest): Promise<AccuracyProgress> {
  const r = req.resume;
  const valid = r && [r.nextShard, r.n, r.correct1, r.correct5, r.nonFinite].every(Number.isInteger)
    && r.nextShard > 0 && r.nextShard <= req.manifest.shards.length;
  if (!valid) return { ...FRESH };
  if (req.predictions && !(await partsExist(req.predictions.dir, r.nextShard))) return { ...FRESH };
  return { ...r };
}

/**
 * Fails before any image is read when the graph declares an output that cannot be one row of
 * class scores per image (e.g. [N,10]); undeclared or symbolic dims are left to the first run.
 */
function checkDeclaredOutput(m: Classifier, model: ResolvedModel): void {
  const dims = m.outputDims.slice(1);
  if (dims.some((d) => typeof d !== 'number')) return;
  const perImage = (dims as number[]).reduce((a, b) => a * b, 1);
  if (perImage !== model.output.classes) {
    throw new InputError(`model ${model.id} (${model.path}): output "${m.outputName}" has shape [${m.outputDims.join(',')}]; expected [N,${model.output.classes}] (or with trailing 1s) for ${model.output.classes} classes`);
  }
}
