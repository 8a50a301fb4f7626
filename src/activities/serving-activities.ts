/**
 * The serving runs of a device (issue 21, docs/SERVING.md): one activity call is one run of one
 * scenario, in a fresh process (src/serving/serving-process.ts), with the host read around it. A
 * run the host disturbed is run again (twice at most, counted); one still disturbed is kept and
 * flagged. Each run is a cell written atomically: a retried or resumed call returns the finished
 * cell, and a worker killed mid-run repeats only that run.
 */
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import { isDisturbed, startReading, type Disturbance, type HostNoiseReading } from '../host/host-noise.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import { localShardOf, readDatasetManifest } from '../prepare/shard-cache.js';
import { cellPath, readCell, writeCell } from '../results/cells.js';
import type { ServingCell } from '../results/cell-types.js';
import { localPathOf } from '../results/location.js';
import { deviceRuntime, providerColumn } from '../runtime/registry.js';
import type { Scenario } from '../serving/load-generator.js';
import { runServingInProcess, type ServingRunReply } from '../serving/serving-process.js';
import type { ServingRunRequest } from '../serving/serving-run.js';
import type { ServingSpec, TimingSpec } from '../study/study-spec.js';
import { InputError } from '../errors.js';
import { modelFileForBatch, workerIdentity, type DeviceActivityDeps, type DeviceCellRequest } from './device-activities.js';
import { classifyFailures } from './failures.js';

/** A scheduler setting with its threads settled (the workflow divides the device's threads among the instances). */
export interface ResolvedScheduler {
  maxBatch: number;
  maxQueueDelayMs: number;
  instances: number;
  threadsPerInstance: number;
  spinning: boolean;
}

export interface ServingRunActivityRequest extends DeviceCellRequest {
  serving: ServingSpec;
  scheduler: ResolvedScheduler;
  /** The setting's name in the tables and cell paths (e.g. b1-d0-i1-t2). */
  setting: string;
  scenario: Scenario;
  /** The run's name within its setting: single-stream, offline, multi-stream, server-s0-t3. */
  runId: string;
  search: number | null;
  trial: number | null;
  targetQps: number | null;
  boundMs: number | null;
  seed: number;
  noise: TimingSpec['noise'];
}

/** What the workflow needs of a finished run to go on (the search's next rate, the bound). */
export interface ServingRunOutcome {
  runId: string;
  valid: boolean;
  p50_ms: number | null;
  p99_ms: number | null;
  achieved_qps: number;
  samples_per_s: number;
  host_disturbed: boolean;
}

const MAX_DISCARDED_RUNS = 2;

export function createServingActivities(deps: DeviceActivityDeps) {
  const rebatchCacheDir = path.join(deps.dataDir, 'cache', 'rebatched');
  const shardCache = { cacheDir: path.join(deps.dataDir, 'cache', 'shards'), localRoot: deps.dataDir };
  return {
    async measureServingRun(req: ServingRunActivityRequest): Promise<ServingRunOutcome> {
      return classifyFailures(() => deps.lock.run(async () => {
        const outDir = localPathOf(req.outDir, 'results');
        const file = cellPath(outDir, 'serving', req.device, req.model.id, req.setting, req.runId);
        const done = await readCell<ServingCell>(file);
        if (done) return outcomeOf(done);
        heartbeat();
        const runtime = deviceRuntime(req);
        if (runtime.kind !== 'in-process') {
          throw new InputError(`device ${req.device} runs models with ${runtime.id}, which times them in a process of its own: serving scenarios need a runtime dnnbench drives query by query (onnxruntime)`);
        }
        const { modelPath, fixedBatch, inputDtype } = await servedFile(req.model.path, req.scheduler.maxBatch, rebatchCacheDir);
        const manifest = await readDatasetManifest(req.dataset.uri);
        const shard = (await localShardOf(req.dataset.uri, manifest, 0, shardCache)).path;
        const s = req.serving;
        const minQueries = { 'single-stream': s.minQueries.singleStream, 'multi-stream': s.minQueries.multiStream, server: s.minQueries.server, offline: s.minQueries.offline }[req.scenario];
        const run: ServingRunRequest = {
          modelPath, runtime: runtime.id, provider: req.provider, inputDtype, fixedBatch, preprocessing: req.model.preprocessing,
          shardFile: shard, crop: manifest.geometry.crop, sampleCount: s.sampleCount, scheduler: req.scheduler, scenario: req.scenario,
          samplesPerQuery: s.multiStreamSamples, targetQps: req.targetQps, seed: req.seed, boundMs: req.boundMs, percentile: s.percentile,
          limits: { minDurationMs: s.minDurationSeconds * 1000, minQueries, maxDurationMs: s.maxDurationSeconds * 1000 },
          warmupSeconds: s.warmupSeconds,
        };
        const ctx = Context.current();
        let discarded = 0;
        for (;;) {
          const startedAt = Date.now();
          const started = performance.now();
          const reading = await startReading({ rootPid: process.pid, host: deps.host });
          const result = await runServingInProcess(run, () => heartbeat(), ctx.cancellationSignal);
          const host = await reading.stop();
          const disturbances = req.noise.discard ? isDisturbed(host, req.noise) : [];
          if (disturbances.length && discarded < MAX_DISCARDED_RUNS) {
            discarded++;
            ctx.log.warn(`${req.model.id} ${req.setting} ${req.runId} run again: ${disturbances.map((d) => d.message).join('; ')}`);
            continue;
          }
          const cell = servingCell(req, result, host, disturbances, discarded, {
            startedAt, seconds: (performance.now() - started) / 1000, precision: req.model.precision ?? inputDtype,
          });
          await writeCell(file, cell);
          return outcomeOf(cell);
        }
      }));
    },
  };
}

export type ServingActivities = ReturnType<typeof createServingActivities>;

/**
 * The file to serve: the model as it is when its batch is dynamic (or fixed at least as large as
 * the scheduler's batches, which are then padded to it), else a copy fixed at the largest batch.
 */
async function servedFile(modelPath: string, maxBatch: number, rebatchCacheDir: string): Promise<{ modelPath: string; fixedBatch: number | null; inputDtype: 'float32' | 'float16' }> {
  const io = describeModelIo(await loadOnnxModel(modelPath));
  const dtype = io.inputs[0]?.dtype;
  if (dtype !== 'float32' && dtype !== 'float16') throw new InputError(`model ${modelPath}: input is ${dtype ?? 'missing'}; dnnbench serves float32 or float16 images`);
  if (io.fixedBatch === null || io.fixedBatch >= maxBatch) return { modelPath, fixedBatch: io.fixedBatch, inputDtype: dtype };
  const file = await modelFileForBatch(modelPath, maxBatch, rebatchCacheDir);
  return { modelPath: file.modelPath, fixedBatch: maxBatch, inputDtype: dtype };
}

function servingCell(
  req: ServingRunActivityRequest, r: ServingRunReply, host: HostNoiseReading, disturbances: readonly Disturbance[], discarded: number,
  extra: { startedAt: number; seconds: number; precision: string },
): ServingCell {
  const f = r.figures;
  return {
    model_id: req.model.id, device: req.device, provider: providerColumn(req), precision: extra.precision, setting: req.setting,
    max_batch: req.scheduler.maxBatch, max_queue_delay_ms: req.scheduler.maxQueueDelayMs, instances: req.scheduler.instances,
    threads_per_instance: req.scheduler.threadsPerInstance, spinning: req.scheduler.spinning,
    scenario: req.scenario, run_id: req.runId, search: req.search, trial: req.trial, target_qps: req.targetQps,
    achieved_qps: f.achieved_qps, queries: f.queries, samples: f.samples, samples_per_query: r.samplesPerQuery, samples_per_s: f.samples_per_s,
    duration_s: f.duration_s, p50_ms: f.p50_ms, p90_ms: f.p90_ms, p99_ms: f.p99_ms, max_ms: f.max_ms, mean_ms: f.mean_ms,
    latency_lower_bound: f.latency_lower_bound, bound_ms: req.boundMs, percentile: req.serving.percentile,
    overlatency_count: f.overlatency_count, overlatency_fraction: f.overlatency_fraction, early_stopping_ok: f.early_stopping_ok,
    early_stopping_queries_needed: f.early_stopping_queries_needed, early_stop_estimate_ms: f.early_stop_estimate_ms,
    issue_lag_mean_ms: f.issue_lag_mean_ms, issue_lag_max_ms: f.issue_lag_max_ms, min_duration_met: f.min_duration_met,
    min_queries_met: f.min_queries_met, valid: f.valid, invalid_reasons: f.invalid_reasons, mean_batch: r.meanBatch,
    warmup_runs: r.warmupRuns, sample_count: r.sampleCount, seed: req.seed,
    host_disturbed: disturbances.length > 0, disturbances: disturbances.map((d) => d.message), discarded_runs: discarded,
    steal_fraction: host.stealFraction, other_cores: host.otherCores, load_avg_end: host.loadAverage1m.end,
    worker: workerIdentity(), started_at: extra.startedAt, seconds: extra.seconds,
    due_ms: r.dueMs, latency_ms: r.latencyMs,
  };
}

function outcomeOf(c: ServingCell): ServingRunOutcome {
  return {
    runId: c.run_id, valid: c.valid, p50_ms: c.p50_ms, p99_ms: c.p99_ms, achieved_qps: c.achieved_qps, samples_per_s: c.samples_per_s,
    host_disturbed: c.host_disturbed,
  };
}
