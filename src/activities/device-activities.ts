import os from 'node:os';
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import type { ResolvedModel } from '../study/catalog.js';
import { readShard } from '../prepare/arrow-shards.js';
import { describeDevice } from '../host/describe-device.js';
import type { DeviceLock } from '../host/device-lock.js';
import type { HostFacts } from '../host/probe-host.js';
import { deviceRuntime, inProcessRuntime, providerColumn, runtimeFacts } from '../runtime/registry.js';
import type { DeviceRuntime } from '../runtime/runtime.js';
import { evaluateAccuracy, type AccuracyProgress } from '../accuracy/evaluate-accuracy.js';
import { predictionsDir } from '../accuracy/predictions.js';
import { measureCellInProcess } from '../latency/cell-process.js';
import { measureCell } from '../latency/measure-cell.js';
import { fileForBatch } from '../onnx/rebatch.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import { discoverPowerSampler } from '../latency/power/discover.js';
import { cellPath, readCell, writeCell } from '../results/cells.js';
import type { AccuracyCell, DeviceCell, LatencyCell } from '../results/cell-types.js';
import type { TimingSpec } from '../study/study-spec.js';
import { localPathOf } from '../results/location.js';
import { localDataset, localShardOf, readDatasetManifest, type ShardCacheOptions } from '../prepare/shard-cache.js';
import type { DatasetRef } from './control-activities.js';
import { classifyFailures } from './failures.js';

/** A device's cell: its runtime, provider and threads (DeviceRuntime) are the device spec's. */
export interface DeviceCellRequest extends DeviceRuntime {
  device: string;
  outDir: string;
  model: ResolvedModel;
  dataset: DatasetRef;
}

/** What device activities are built from: no module globals, no environment reads. */
export interface DeviceActivityDeps {
  /** Root of this worker's caches (settings' DNNBENCH_DATA): shards fetched, re-batched models. */
  dataDir: string;
  /** One timing at a time on this host, shared by every device worker of the process. */
  lock: DeviceLock;
  /** What this host has, probed once when the worker set started. */
  host: HostFacts;
}

/** Activities pinned to hardware: a worker runs them only for the device queue it serves. */
export function createDeviceActivities(deps: DeviceActivityDeps) {
  const rebatchCacheDir = path.join(deps.dataDir, 'cache', 'rebatched');
  /** This worker's shard cache; datasets its own control activities prepared are read in place. */
  const shardCacheOptions = (onShard?: (done: number, total: number) => void): ShardCacheOptions =>
    ({ cacheDir: path.join(deps.dataDir, 'cache', 'shards'), localRoot: deps.dataDir, onShard });
  return {
    async describeDevice(req: { device: string; outDir: string }): Promise<DeviceCell> {
      const file = cellPath(localPathOf(req.outDir, 'results'), 'devices', req.device);
      const cell = describeDevice(req.device, deps.host, runtimeFacts().onnxruntime);
      await writeCell(file, cell);
      return cell;
    },

    /**
     * Top-1/top-5 of one model on this device, plus per-image predictions. Heartbeats after every
     * batch (so a long shard never looks like a dead worker) with the counts at the last finished
     * shard; a retried attempt (the worker was killed) resumes from there.
     */
    async evaluateAccuracy(req: DeviceCellRequest & { batchSize: number }): Promise<AccuracyCell> {
      return classifyFailures(() => deps.lock.run(async () => {
        const outDir = localPathOf(req.outDir, 'results');
        const file = cellPath(outDir, 'accuracy', req.device, req.model.id);
        const done = await readCell<AccuracyCell>(file);
        if (done) return done;
        const ctx = Context.current();
        const resume = ctx.info.heartbeatDetails as AccuracyProgress | undefined;
        // Heartbeats while fetching carry the resume point on: a retry must not lose it.
        const { manifest, shardPaths, fetched } = await localDataset(req.dataset.uri, shardCacheOptions(() => heartbeat(resume)));
        if (fetched) ctx.log.info(`fetched ${fetched} dataset shards of ${req.dataset.name} into this worker's cache`);
        // trtexec only times models, in its own process, and returns no scores: a trtexec device's
        // accuracy is onnxruntime's on the CPU, as it always was (docs/GPU.md).
        const runtime = deviceRuntime(req);
        const scoring = runtime.kind === 'in-process'
          ? { runtime, session: { provider: req.provider, threads: req.threads } }
          : { runtime: inProcessRuntime('onnxruntime'), session: { provider: 'cpu' as const, threads: req.threads } };
        const started = performance.now();
        const result = await evaluateAccuracy({
          model: req.model, datasetDir: localPathOf(req.dataset.uri, 'dataset'), shardPaths, manifest, batchSize: req.batchSize,
          ...scoring, resume,
          rebatchCacheDir,
          predictions: { dir: predictionsDir(outDir, req.model.id, req.device), device: req.device },
          onShardDone: (progress) => heartbeat(progress),
          onBatchDone: (progress) => heartbeat(progress),
          signal: ctx.cancellationSignal,
        });
        if (result.note) ctx.log.warn(`accuracy of ${req.model.id} at batch ${result.batchSize}, not ${req.batchSize}: ${result.note}`);
        if (result.nonFinite > 0) ctx.log.warn(`${req.model.id} gave NaN/Inf scores for ${result.nonFinite} of ${result.n} images (n_non_finite)`);
        const cell: AccuracyCell = {
          model_id: req.model.id, device: req.device, n_images: result.n, n_failed: manifest.failed.length,
          n_non_finite: result.nonFinite, top1: result.top1, top5: result.top5, batch_size: result.batchSize,
          threads: result.threads, provider: providerColumn(req), dataset: req.dataset.name,
          resize_filter: manifest.resizeFilter, seconds: (performance.now() - started) / 1000,
          rebatched: result.rebatched, resumed_from_shard: result.resumedFromShard, attempt: ctx.info.attempt,
        };
        await writeCell(file, cell);
        return cell;
      }));
    },

    /**
     * One (model, device, batch) timing cell. A failure at this batch size (out of memory, a model
     * that cannot be re-batched) is recorded as the cell's status, so the sweep goes on.
     */
    async measureLatency(req: DeviceCellRequest & { batchSize: number; timing: TimingSpec }): Promise<Omit<LatencyCell, 'samples_ms'>> {
      return classifyFailures(() => deps.lock.run(async () => {
        const file = cellPath(localPathOf(req.outDir, 'results'), 'latency', req.device, req.model.id, `b${req.batchSize}`);
        const done = await readCell<LatencyCell>(file);
        if (done) return withoutSamples(done);
        const runtime = deviceRuntime(req);
        const base = {
          model_id: req.model.id, device: req.device, batch_size: req.batchSize, provider: providerColumn(req),
          precision: req.model.precision ?? 'unknown', rebatched: false, worker: workerIdentity(),
          // A self-timed runtime (trtexec) runs in a process of its own anyway.
          isolation: runtime.kind === 'self-timed' || (req.timing.isolation ?? 'process') === 'process' ? 'process' as const : 'worker' as const,
        };
        let cell: LatencyCell;
        heartbeat(); // the device lock may have been held for a while: say at once that this attempt lives
        try {
          const { modelPath, rebatched, inputDtype } = await modelFileForBatch(req.model.path, req.batchSize, rebatchCacheDir);
          const precision = req.model.precision ?? inputDtype;
          // Timing needs real images, not all of them: the first shard's.
          const manifest = await readDatasetManifest(req.dataset.uri);
          const first = (await localShardOf(req.dataset.uri, manifest, 0, shardCacheOptions())).path;
          const cellReq = {
            model: req.model, modelPath, batchSize: req.batchSize, timing: req.timing, runtime: req.runtime, provider: req.provider, threads: req.threads,
          };
          const measured = base.isolation === 'process' && runtime.kind === 'in-process'
            ? await measureCellInProcess({ ...cellReq, shardFile: first, crop: manifest.geometry.crop, host: deps.host }, () => heartbeat(), Context.current().cancellationSignal)
            : await measureCell({
              ...cellReq, crops: await shardCrops(first, manifest.geometry.crop),
              power: await discoverPowerSampler(providerColumn(req), deps.host.power), onProgress: () => heartbeat(),
            });
          cell = { ...base, precision, rebatched, status: 'ok', error: null, ...measured };
        } catch (err) {
          // A cancelled attempt (the server timed it out or gave the cell to another worker) is not
          // a result of this batch size: leave no cell, so the attempt that owns it measures it.
          if (Context.current().cancellationSignal.aborted) throw err;
          const message = (err as Error).message ?? String(err);
          cell = { ...base, status: isOutOfMemory(message) ? 'oom' : 'error', error: message, samples_ms: [] };
        }
        await writeCell(file, cell);
        return withoutSamples(cell);
      }));
    },
  };
}

export type DeviceActivities = ReturnType<typeof createDeviceActivities>;

async function shardCrops(file: string, crop: number): Promise<{ pixels: Uint8Array; n: number; crop: number }> {
  const shard = await readShard(file, crop);
  return { pixels: shard.pixels, n: shard.ids.length, crop: shard.crop };
}

/**
 * The file to time at batch b, by rebatch.ts's fileForBatch policy, read from the graph (no
 * runtime session): a graph that cannot be re-batched to b fails the cell with the reason.
 */
async function modelFileForBatch(modelPath: string, b: number, rebatchCacheDir: string): Promise<{ modelPath: string; rebatched: boolean; inputDtype: string }> {
  const io = describeModelIo(await loadOnnxModel(modelPath));
  const file = await fileForBatch(modelPath, io.fixedBatch, b, rebatchCacheDir);
  if (file.batchSize !== b) throw new Error(file.note ?? `model ${modelPath} runs only at batch ${file.batchSize}`);
  return { modelPath: file.path, rebatched: file.rebatched, inputDtype: io.inputs[0]?.dtype ?? 'unknown' };
}

function workerIdentity(): string {
  return `${os.hostname()}:${process.pid}`;
}

function isOutOfMemory(message: string): boolean {
  return /bad_alloc|out of memory|failed to allocate|OOM/i.test(message);
}

function withoutSamples(cell: LatencyCell): Omit<LatencyCell, 'samples_ms'> {
  const { samples_ms: _samples, ...rest } = cell;
  return rest;
}
