import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import type { ResolvedModel } from '../study/catalog.js';
import { readShard } from '../prepare/arrow-shards.js';
import { codeVersion } from '../host/code-version.js';
import { describeDevice } from '../host/describe-device.js';
import type { DeviceLock } from '../host/device-lock.js';
import type { HostFacts } from '../host/probe-host.js';
import { classifierSessionSettings } from '../runtime/classifier.js';
import { deviceRuntime, inProcessRuntime, providerColumn, runtimeFacts } from '../runtime/registry.js';
import type { DeviceRuntime } from '../runtime/runtime.js';
import type { AccuracyProgress } from '../accuracy/evaluate-accuracy.js';
import { evaluateAccuracyInProcess } from '../accuracy/accuracy-process.js';
import { predictionsDir } from '../accuracy/predictions.js';
import { measureCellInProcess, type IsolatedCellResult } from '../latency/cell-process.js';
import { measureCell, type CellMeasurement } from '../latency/measure-cell.js';
import { fileForBatch } from '../onnx/rebatch.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import { discoverPowerSampler } from '../latency/power/discover.js';
import { cellPath, readCell, writeCell } from '../results/cells.js';
import { accuracyProvenance } from '../analysis/accuracy-provenance.js';
import type { AccuracyCell, DeviceCell, LatencyCell, RepetitionCell } from '../results/cell-types.js';
import { coreDisturbances, coreProbeReference, isDisturbed, judgedCoreReadings, startReading, type CoreReadings } from '../host/host-noise.js';
import { newlyDisturbedByCores } from '../latency/core-probes-judgement.js';
import { withHostProbes } from '../latency/host-probes-around.js';
import { combineRepetitions, nextRepetition } from '../latency/combine-repetitions.js';
import { priorFor } from '../latency/cell-interval.js';
import { cellSpreads } from '../latency/device-spreads.js';
import { repetitionRecord } from '../latency/repetition-record.js';
import { DEFAULT_STABILITY_SETTINGS } from '../latency/stability.js';
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
    /** The host, and the settings its latency sessions use (`runtime`, `provider`, `threads` of the spec's device; absent in histories older than them). */
    async describeDevice(req: { device: string; outDir: string } & Partial<DeviceRuntime>): Promise<DeviceCell> {
      const file = cellPath(localPathOf(req.outDir, 'results'), 'devices', req.device);
      const provider = req.provider ?? 'cpu';
      // trtexec sets its own session in its own process (src/runtime/trtexec.ts): only the tool is named.
      const settings = providerColumn({ ...req, provider }) === 'trtexec'
        ? { runtime: 'trtexec' }
        : { runtime: 'onnxruntime', ...classifierSessionSettings({ provider, threads: req.threads }) };
      const cell = describeDevice(req.device, deps.host, runtimeFacts().onnxruntime, settings, codeVersion());
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
        // In a process of its own, so this worker's event loop (its workflow tasks, its heartbeats)
        // is never held by a batch running (src/accuracy/accuracy-process.ts).
        const result = await evaluateAccuracyInProcess({
          model: req.model, datasetDir: localPathOf(req.dataset.uri, 'dataset'), shardPaths, manifest, batchSize: req.batchSize,
          runtimeId: scoring.runtime.id, session: scoring.session, resume,
          rebatchCacheDir,
          predictions: { dir: predictionsDir(outDir, req.model.id, req.device), device: req.device },
        }, { shardDone: (progress) => heartbeat(progress), batchDone: (progress) => heartbeat(progress) }, ctx.cancellationSignal);
        if (result.note) ctx.log.warn(`accuracy of ${req.model.id} at batch ${result.batchSize}, not ${req.batchSize}: ${result.note}`);
        if (result.nonFinite > 0) ctx.log.warn(`${req.model.id} gave NaN/Inf scores for ${result.nonFinite} of ${result.n} images (n_non_finite)`);
        const cell: AccuracyCell = {
          model_id: req.model.id, device: req.device, n_images: result.n, n_failed: manifest.failed.length,
          n_non_finite: result.nonFinite, top1: result.top1, top5: result.top5, batch_size: result.batchSize,
          threads: result.threads, provider: providerColumn(req), dataset: req.dataset.name,
          resize_filter: manifest.resizeFilter, seconds: (performance.now() - started) / 1000,
          rebatched: result.rebatched, resumed_from_shard: result.resumedFromShard, attempt: ctx.info.attempt,
          ...accuracyProvenance({ n_images: result.n, top1: result.top1, top5: result.top5 }),
        };
        await writeCell(file, cell);
        return cell;
      }));
    },

    /**
     * One repetition of a (model, device, batch) timing cell, then the cell itself once its
     * repetitions are done (src/latency/combine-repetitions.ts). Each call runs at most one
     * repetition, so the workflow can interleave a device's cells in rounds; the repetition runs in a
     * fresh process (timing.isolation 'process') with the host read around it, and one the host
     * disturbed is kept but marked discarded. A failure at this batch size (out of memory, a model
     * that cannot be re-batched) ends the cell with that status, so the sweep goes on. Idempotent:
     * repetitions and the cell are files; a retried call carries on from what is on disk.
     * `finish` ends the cell with the repetitions it has (the workflow's last round).
     */
    async measureLatencyRepetition(req: LatencyRepetitionRequest): Promise<LatencyRepetitionOutcome> {
      return classifyFailures(() => deps.lock.run(async () => {
        const outDir = localPathOf(req.outDir, 'results');
        // A runtime variant's cells sit in a folder of its own beside the device's plain ones.
        const key = [req.device, req.model.id, ...(req.variant ? [req.variant] : []), `b${req.batchSize}`] as const;
        const file = cellPath(outDir, 'latency', ...key);
        const done = await readCell<LatencyCell>(file);
        if (done) return outcomeOf(done, true);
        const repDir = path.dirname(cellPath(outDir, 'latency_repetitions', ...key, 'r0'));
        // The device's other cells' repetitions as they stand: the spread a cell's interval is widened to.
        const deviceReps = await readDeviceRepetitions(outDir, req.device);
        const { noise } = req.timing;
        const judgesCores = noise.discard && providerColumn(req) === 'cpu';
        const deviceCores = deviceReps.map((r) => ({ linkNs: r.host_core_link_ns ?? null, shareRatio: r.host_core_share_ratio ?? null }));
        // This cell's kept repetitions judged again by the probes of the cores as the device's references now stand (core-probes-judgement.ts).
        const onDisk = await readRepetitions(repDir);
        const rejudged = judgesCores ? newlyDisturbedByCores(onDisk, coreReferences(deviceCores), noise) : [];
        for (const r of rejudged) {
          const before = onDisk.find((x) => x.repetition === r.repetition)!.discard_reasons.length;
          Context.current().log.warn(`${req.model.id} b${req.batchSize}${req.variant ? `@${req.variant}` : ''} repetition ${r.repetition} discarded on a second look: ${r.discard_reasons.slice(before).join('; ')}`);
          await writeCell(path.join(repDir, `r${r.repetition}.json`), r);
        }
        const reps = onDisk.map((r) => rejudged.find((x) => x.repetition === r.repetition) ?? r);
        const prior = priorFor({ model_id: req.model.id, batch_size: req.batchSize, variant: req.variant ?? null }, cellSpreads(deviceReps));
        const runtime = deviceRuntime(req);
        const base = {
          model_id: req.model.id, device: req.device, batch_size: req.batchSize, ...(req.variant ? { variant: req.variant } : {}), provider: providerColumn(req),
          precision: req.model.precision ?? 'unknown', rebatched: false, worker: workerIdentity(),
          // A self-timed runtime (trtexec) runs in a process of its own anyway.
          isolation: runtime.kind === 'self-timed' || (req.timing.isolation ?? 'process') === 'process' ? 'process' as const : 'worker' as const,
        };
        const finishCell = async (all: RepetitionCell[], extra: { precision: string; rebatched: boolean }) => {
          const cell: LatencyCell = { ...base, ...extra, status: 'ok', error: null, ...combineRepetitions(all, req.batchSize, req.timing, prior) };
          await writeCell(file, cell);
          return outcomeOf(cell, true);
        };
        heartbeat(); // the device lock may have been held for a while: say at once that this attempt lives
        try {
          const { modelPath, rebatched, inputDtype } = await modelFileForBatch(req.model.path, req.batchSize, rebatchCacheDir);
          const precision = req.model.precision ?? inputDtype;
          if (reps.length > 0 && (req.finish || !nextRepetition(reps, req.timing, prior).another)) return await finishCell(reps, { precision, rebatched });
          // Timing needs real images, not all of them: the first shard's.
          const manifest = await readDatasetManifest(req.dataset.uri);
          const first = (await localShardOf(req.dataset.uri, manifest, 0, shardCacheOptions())).path;
          const cellReq = {
            model: req.model, modelPath, batchSize: req.batchSize, timing: req.timing, runtime: req.runtime, provider: req.provider, threads: req.threads,
            ...(req.session ? { session: req.session } : {}),
          };
          const started = performance.now();
          const startedAt = Date.now();
          // Our process tree (this worker and the repetition's process) is ours; anything else busy meanwhile is noise.
          const reading = await startReading({ rootPid: process.pid, host: deps.host });
          // The host's speed just before and just after, by work that does not touch the system under
          // test: in the repetition's own process when it has one, else on this thread.
          const { measurement: measured, speed, ...cores } = base.isolation === 'process' && runtime.kind === 'in-process'
            ? await measureCellInProcess({ ...cellReq, shardFile: first, crop: manifest.geometry.crop, host: deps.host }, (detail) => {
              heartbeat();
              if (detail === 'timed-runs') reading.markTimedRuns();
            }, Context.current().cancellationSignal)
            : await measureHere(async () => measureCell({
              ...cellReq, crops: await shardCrops(first, manifest.geometry.crop),
              power: await discoverPowerSampler(providerColumn(req), deps.host.power), onProgress: () => heartbeat(), onTimedRuns: () => reading.markTimedRuns(),
            }));
          const host = await reading.stop();
          // The probes of the cores are judged against the device's own readings so far, this one's included.
          const these = { linkNs: cores.coreLinkNs, shareRatio: cores.coreShareRatio };
          const coreTrouble = judgesCores ? coreDisturbances(judgedCoreReadings(these.linkNs, these.shareRatio, measured.threads), coreReferences([...deviceCores, these]), noise) : [];
          const disturbances = noise.discard ? [...isDisturbed(host, noise), ...coreTrouble] : [];
          const rep = repetitionRecord(
            { model_id: req.model.id, device: req.device, batch_size: req.batchSize, ...(req.variant ? { variant: req.variant } : {}), repetition: reps.length, round: req.round, worker: base.worker, started_at: startedAt },
            measured, host, { ...speed, ...cores }, disturbances, (performance.now() - started) / 1000, { ...DEFAULT_STABILITY_SETTINGS, ...req.timing.stability },
          );
          if (rep.discarded) Context.current().log.warn(`${req.model.id} b${req.batchSize}${req.variant ? `@${req.variant}` : ''} repetition ${rep.repetition} discarded: ${rep.discard_reasons.join('; ')}`);
          await writeCell(path.join(repDir, `r${rep.repetition}.json`), rep);
          const all = [...reps, rep];
          if (req.finish || !nextRepetition(all, req.timing, prior).another) return await finishCell(all, { precision, rebatched });
          return outcomeOf({ ...base, status: 'ok', error: null }, false, all);
        } catch (err) {
          // A cancelled attempt (the server timed it out or gave the cell to another worker) is not
          // a result of this batch size: leave no cell, so the attempt that owns it measures it.
          if (Context.current().cancellationSignal.aborted) throw err;
          const message = (err as Error).message ?? String(err);
          const cell: LatencyCell = { ...base, status: isOutOfMemory(message) ? 'oom' : 'error', error: message, samples_ms: [] };
          await writeCell(file, cell);
          return outcomeOf(cell, true);
        }
      }));
    },
  };
}

export type DeviceActivities = ReturnType<typeof createDeviceActivities>;

/** The device's references for the probes of its cores: each the lower quartile of its readings (host-noise.ts coreProbeReference). */
function coreReferences(readings: readonly CoreReadings[]): CoreReadings {
  const of = (key: keyof CoreReadings) => coreProbeReference(readings.flatMap((r) => (r[key] === null ? [] : [r[key]!])));
  return { linkNs: of('linkNs'), shareRatio: of('shareRatio') };
}

/** A cell measured on this thread (or by a runtime that times itself), the host's speed and cores' round trip read on this thread around it. */
async function measureHere(measure: () => Promise<CellMeasurement>): Promise<IsolatedCellResult> {
  const { result: measurement, ...probes } = await withHostProbes(measure);
  return { measurement, ...probes };
}

export interface LatencyRepetitionRequest extends DeviceCellRequest {
  batchSize: number;
  /** The device's runtime variant this cell times (its settings are in the request's runtime fields). */
  variant?: string;
  timing: TimingSpec;
  /** The device's round this repetition belongs to (recorded with it). */
  round: number;
  /** End the cell with the repetitions it has, running none if it has any. */
  finish?: boolean;
}

/** Where a latency cell stands after a call: done (its cell is written) or wanting more repetitions. */
export interface LatencyRepetitionOutcome {
  done: boolean;
  status: LatencyCell['status'];
  p50_ms: number | null;
  repetitions: number;
  discarded: number;
  stability: string | null;
}

function outcomeOf(cell: Pick<LatencyCell, 'status'> & Partial<LatencyCell>, done: boolean, reps: RepetitionCell[] = []): LatencyRepetitionOutcome {
  return {
    done, status: cell.status, p50_ms: cell.p50_ms ?? null,
    repetitions: cell.repetitions ?? reps.filter((r) => !r.discarded).length,
    discarded: cell.repetitions_discarded ?? reps.filter((r) => r.discarded).length,
    stability: cell.stability ?? null,
  };
}

/** A cell's repetitions so far, in order (r0, r1, …); a missing folder is none. */
async function readRepetitions(dir: string): Promise<RepetitionCell[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const indices = names.map((n) => /^r(\d+)\.json$/.exec(n)?.[1]).filter((k): k is string => k !== undefined).map(Number).sort((a, b) => a - b);
  const reps = await Promise.all(indices.map((k) => readCell<RepetitionCell>(path.join(dir, `r${k}.json`))));
  return reps.filter((r): r is RepetitionCell => r !== undefined);
}

/** Every repetition of a device's latency cells on disk, of all its models and variants. */
async function readDeviceRepetitions(outDir: string, device: string): Promise<RepetitionCell[]> {
  const root = path.dirname(cellPath(outDir, 'latency_repetitions', device, 'r0'));
  const names = await readdir(root, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const reps = await Promise.all(names.filter((n) => /(^|[/\\])r\d+\.json$/.test(n)).sort().map((n) => readCell<RepetitionCell>(path.join(root, n))));
  return reps.filter((r): r is RepetitionCell => r !== undefined);
}

async function shardCrops(file: string, crop: number): Promise<{ pixels: Uint8Array; n: number; crop: number }> {
  const shard = await readShard(file, crop);
  return { pixels: shard.pixels, n: shard.ids.length, crop: shard.crop };
}

/**
 * The file to time at batch b, by rebatch.ts's fileForBatch policy, read from the graph (no
 * runtime session): a graph that cannot be re-batched to b fails the cell with the reason.
 */
export async function modelFileForBatch(modelPath: string, b: number, rebatchCacheDir: string): Promise<{ modelPath: string; rebatched: boolean; inputDtype: string }> {
  const io = describeModelIo(await loadOnnxModel(modelPath));
  const file = await fileForBatch(modelPath, io.fixedBatch, b, rebatchCacheDir);
  if (file.batchSize !== b) throw new Error(file.note ?? `model ${modelPath} runs only at batch ${file.batchSize}`);
  return { modelPath: file.path, rebatched: file.rebatched, inputDtype: io.inputs[0]?.dtype ?? 'unknown' };
}

export function workerIdentity(): string {
  return `${os.hostname()}:${process.pid}`;
}

function isOutOfMemory(message: string): boolean {
  return /bad_alloc|out of memory|failed to allocate|OOM/i.test(message);
}

