import os from 'node:os';
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import type { ResolvedModel } from '../study/catalog.js';
import { dataDir } from '../config/settings.js';
import { readShard } from '../prepare/arrow-shards.js';
import { describeDevice } from '../host/describe-device.js';
import { evaluateAccuracy, type AccuracyProgress } from '../accuracy/evaluate-accuracy.js';
import { predictionsDir } from '../accuracy/predictions.js';
import { openModel, type Provider } from '../runtime/onnx-session.js';
import { measureCellInProcess } from '../latency/cell-process.js';
import { measureCell } from '../latency/measure-cell.js';
import { rebatchModel } from '../onnx/rebatch.js';
import { discoverPowerSampler } from '../latency/power/discover.js';
import { cellPath, readCell, writeCell } from '../results/cells.js';
import type { AccuracyCell, DeviceCell, LatencyCell } from '../results/cell-types.js';
import type { TimingSpec } from '../study/study-spec.js';
import { localPathOf } from '../results/location.js';
import { localDataset, localShardOf, readDatasetManifest, type ShardCacheOptions } from '../prepare/shard-cache.js';
import { withDeviceLock } from '../workers/device-lock.js';
import type { DatasetRef } from './control-activities.js';
import { classifyFailures } from './failures.js';

export interface DeviceCellRequest {
  device: string;
  outDir: string;
  model: ResolvedModel;
  dataset: DatasetRef;
  provider: Provider;
  threads?: number;
}

/** Activities pinned to hardware: a worker runs them only for the device queue it serves. */
export function createDeviceActivities() {
  return {
    async describeDevice(req: { device: string; outDir: string }): Promise<DeviceCell> {
      const file = cellPath(localPathOf(req.outDir, 'results'), 'devices', req.device);
      const cell = await describeDevice(req.device);
      await writeCell(file, cell);
      return cell;
    },

    /**
     * Top-1/top-5 of one model on this device, plus per-image predictions. Heartbeats after every
     * batch (so a long shard never looks like a dead worker) with the counts at the last finished
     * shard; a retried attempt (the worker was killed) resumes from there.
     */
    async evaluateAccuracy(req: DeviceCellRequest & { batchSize: number }): Promise<AccuracyCell> {
      return classifyFailures(() => withDeviceLock(async () => {
        const outDir = localPathOf(req.outDir, 'results');
        const file = cellPath(outDir, 'accuracy', req.device, req.model.id);
        const done = await readCell<AccuracyCell>(file);
        if (done) return done;
        const ctx = Context.current();
        const resume = ctx.info.heartbeatDetails as AccuracyProgress | undefined;
        // Heartbeats while fetching carry the resume point on: a retry must not lose it.
        const { manifest, shardPaths, fetched } = await localDataset(req.dataset.uri, shardCacheOptions(() => heartbeat(resume)));
        if (fetched) ctx.log.info(`fetched ${fetched} dataset shards of ${req.dataset.name} into this worker's cache`);
        const started = performance.now();
        const result = await evaluateAccuracy({
          model: req.model, datasetDir: localPathOf(req.dataset.uri, 'dataset'), shardPaths, manifest, batchSize: req.batchSize,
          session: { provider: req.provider, threads: req.threads }, resume,
          rebatchCacheDir: path.join(dataDir(), 'cache', 'rebatched'),
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
          threads: result.threads, provider: req.provider, dataset: req.dataset.name,
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
      return classifyFailures(() => withDeviceLock(async () => {
        const file = cellPath(localPathOf(req.outDir, 'results'), 'latency', req.device, req.model.id, `b${req.batchSize}`);
        const done = await readCell<LatencyCell>(file);
        if (done) return withoutSamples(done);
        const base = {
          model_id: req.model.id, device: req.device, batch_size: req.batchSize, provider: req.provider,
          precision: req.model.precision ?? 'unknown', rebatched: false, worker: workerIdentity(),
          isolation: req.provider === 'trtexec' || (req.timing.isolation ?? 'process') === 'process' ? 'process' as const : 'worker' as const,
        };
        let cell: LatencyCell;
        try {
          const { modelPath, rebatched, inputDtype } = await modelFileForBatch(req.model.path, req.batchSize, req.provider);
          const precision = req.model.precision ?? inputDtype;
          // Timing needs real images, not all of them: the first shard's.
          const manifest = await readDatasetManifest(req.dataset.uri);
          const first = (await localShardOf(req.dataset.uri, manifest, 0, shardCacheOptions())).path;
          const cellReq = {
            model: req.model, modelPath, batchSize: req.batchSize, timing: req.timing, provider: req.provider, threads: req.threads,
          };
          // trtexec runs in a process of its own anyway.
          const measured = base.isolation === 'process' && req.provider !== 'trtexec'
            ? await measureCellInProcess({ ...cellReq, shardFile: first, crop: manifest.geometry.crop }, () => heartbeat(), Context.current().cancellationSignal)
            : await measureCell({
              ...cellReq, crops: await shardCrops(first, manifest.geometry.crop),
              power: await discoverPowerSampler(req.provider), onProgress: () => heartbeat(),
            });
          cell = { ...base, precision, rebatched, status: 'ok', error: null, ...measured };
        } catch (err) {
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

/** This worker's shard cache; datasets its own control activities prepared are read in place. */
function shardCacheOptions(onShard?: (done: number, total: number) => void): ShardCacheOptions {
  return { cacheDir: path.join(dataDir(), 'cache', 'shards'), localRoot: dataDir(), onShard };
}

/** The file to time at batch b: the model, or for a graph with another fixed batch, its re-batched copy. */
async function modelFileForBatch(modelPath: string, b: number, provider: Provider): Promise<{ modelPath: string; rebatched: boolean; inputDtype: string }> {
  const probe = await openModel(modelPath, { provider, threads: 1 });
  const { fixedBatch, inputDtype } = probe;
  await probe.session.release();
  if (fixedBatch === null || fixedBatch === b) return { modelPath, rebatched: false, inputDtype };
  const copy = await rebatchModel(modelPath, path.join(dataDir(), 'cache', 'rebatched'));
  return { modelPath: copy, rebatched: true, inputDtype };
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
