/**
 * One serving run, start to end, in the calling process (serving-child.ts runs it in a fresh one):
 * real crops from the dataset's first shard preprocessed into shared memory before anything is
 * timed, the model's instances opened and warmed at the batch sizes the scheduler will form, then
 * the scenario, then LoadGen's figures.
 */
import { readShard } from '../prepare/arrow-shards.js';
import { runnerInputs } from '../inputs/input-builder.js';
import type { InputDtype } from '../inputs/normalise.js';
import type { ExecutionProvider } from '../runtime/runtime.js';
import type { Preprocessing } from '../study/study-spec.js';
import { DynamicBatcher, type BatchingSetting } from './dynamic-batcher.js';
import { openInstancePool, type BatchRunner } from './instance-pool.js';
import { runOffline, runServer, runStream, type RunLimits, type Scenario, type ScenarioOutcome } from './load-generator.js';
import { summariseRun, type ServingFigures } from './serving-summary.js';

export interface SchedulerSetting extends BatchingSetting {
  instances: number;
  threadsPerInstance: number;
  /** onnxruntime's intra-op spinning in each instance (instance-messages.ts says why it is a setting). */
  spinning: boolean;
}

export interface ServingRunRequest {
  /** The model file to serve; null serves nothing (the null system under test of bench:serving). */
  modelPath: string | null;
  runtime: string;
  provider: ExecutionProvider;
  /** The graph's input: its dtype, and its batch when fixed (every batch is then padded to it). */
  inputDtype: InputDtype;
  fixedBatch: number | null;
  preprocessing: Preprocessing;
  shardFile: string;
  crop: number;
  /** Distinct samples cycled through (LoadGen's performance sample count), at most the shard's images. */
  sampleCount: number;
  scheduler: SchedulerSetting;
  scenario: Scenario;
  /** MultiStream's samples per query. */
  samplesPerQuery: number;
  targetQps: number | null;
  seed: number;
  boundMs: number | null;
  /** Server's latency percentile (LoadGen: 0.99). */
  percentile: number;
  /** Server: give a run up once it is certain to fail (default true; load-generator.ts ServerOptions). */
  stopWhenCertainToFail?: boolean;
  limits: RunLimits;
  warmupSeconds: number;
}

export interface ServingRunResult {
  figures: ServingFigures;
  /** Per query, from the run's start: when it was due, and its latency (NaN: never completed). */
  dueMs: number[];
  latencyMs: number[];
  samplesPerQuery: number;
  meanBatch: number;
  warmupRuns: number;
  sampleCount: number;
}

/** The crops preprocessed as the model takes them, back to back in memory every instance shares. */
async function sharedSamples(req: ServingRunRequest): Promise<{ buffer: SharedArrayBuffer; count: number; dims: number[] }> {
  const shard = await readShard(req.shardFile, req.crop);
  const count = Math.min(req.sampleCount, shard.ids.length);
  if (count === 0) throw new Error(`dataset shard ${req.shardFile} has no images to serve`);
  const values = runnerInputs(req.preprocessing, req.inputDtype, shard.crop).build(shard.pixels, count, count);
  const buffer = new SharedArrayBuffer(values.byteLength);
  (values instanceof Uint16Array ? new Uint16Array(buffer) : new Float32Array(buffer)).set(values);
  const c = shard.crop;
  return { buffer, count, dims: req.preprocessing.layout === 'NCHW' ? [3, c, c] : [c, c, 3] };
}

/** Each instance runs alone at batch 1 and at the largest batch the scheduler forms, for the warm-up time. */
async function warmUp(runner: BatchRunner, sampleCount: number, setting: SchedulerSetting, seconds: number): Promise<number> {
  const sizes = [...new Set([1, setting.maxBatch])];
  let runs = 0;
  for (const size of sizes) {
    const samples = Array.from({ length: size }, (_, k) => k % sampleCount);
    const until = performance.now() + (seconds * 1000) / sizes.length;
    await Promise.all(Array.from({ length: runner.instances }, async (_, i) => {
      for (let k = 0; k < 3 || performance.now() < until; k++) {
        await runner.run(i, samples);
        runs++;
      }
    }));
  }
  return runs;
}

export async function runServing(req: ServingRunRequest): Promise<ServingRunResult> {
  const samples = await sharedSamples(req);
  const runner = await openInstancePool({
    modelPath: req.modelPath, runtime: req.runtime, provider: req.provider, threads: req.scheduler.threadsPerInstance, spinning: req.scheduler.spinning,
    samples: samples.buffer, dtype: req.inputDtype, sampleDims: samples.dims, fixedBatch: req.fixedBatch,
  }, req.scheduler.instances);
  try {
    const warmupRuns = await warmUp(runner, samples.count, req.scheduler, req.warmupSeconds);
    const batcher = new DynamicBatcher(runner, req.scheduler);
    const set = { count: samples.count };
    let outcome: ScenarioOutcome;
    if (req.scenario === 'server') {
      if (req.targetQps === null || req.boundMs === null) throw new Error('a Server run needs a target QPS and a latency bound');
      outcome = await runServer(batcher, set, req.limits, { targetQps: req.targetQps, seed: req.seed, boundMs: req.boundMs, percentile: req.percentile,
        stopWhenCertainToFail: req.stopWhenCertainToFail });
    } else if (req.scenario === 'offline') {
      outcome = await runOffline(batcher, set, req.limits);
    } else {
      outcome = await runStream(batcher, set, req.scenario === 'single-stream' ? 1 : req.samplesPerQuery, req.limits);
    }
    return {
      figures: summariseRun(outcome, req.limits, { boundMs: req.boundMs, percentile: req.percentile }),
      dueMs: outcome.dueMs, latencyMs: outcome.latencyMs, samplesPerQuery: outcome.samplesPerQuery,
      meanBatch: batcher.batches ? batcher.batchedSamples / batcher.batches : 0, warmupRuns, sampleCount: samples.count,
    };
  } finally {
    await runner.close();
  }
}
