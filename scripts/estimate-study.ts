/**
 * Estimates how long a study's latency sweep (and accuracy passes) will take on this host, from a
 * few real runs per model, before committing hours to it.
 *
 *   node --import tsx scripts/estimate-study.ts [--preset papers] [--timing warmupRuns,warmupSeconds,minRuns,minSeconds]
 *
 * Per model: the session is created (timed), then one warm-up and one timed run at batch 1 and at
 * batch 8. Per-image time at batch b is interpolated between those (b ≥ 8 takes batch 8's per-image
 * time, which is what a CPU gives once its cores are busy). A latency cell then costs two session
 * creations (the activity probes the model first) + its own process's start (measured once, with
 * timing.isolation 'process') + max(warmupRuns·t, warmupSeconds) +
 * max(minRuns·t, minSeconds); an accuracy pass costs its images at batch 8's per-image time. The
 * inputs are random values: the time of a dense float model does not depend on them.
 */
import os from 'node:os';
import path from 'node:path';
import { resolveModel, type ResolvedModel } from '../src/study/catalog.js';
import { dataDir, kitDir } from '../src/config/settings.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { kitImages } from '../src/prepare/kit.js';
import { measureCellInProcess } from '../src/latency/cell-process.js';
import { probeHost } from '../src/host/probe-host.js';
import { presetSpec } from '../src/study/presets.js';
import { parseStudySpec, type TimingSpec } from '../src/study/study-spec.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import type { ModelHandle, Tensor } from '../src/runtime/runtime.js';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const preset = opt('--preset') ?? 'papers';
const spec = parseStudySpec(presetSpec(preset, 'cpu-local'));
const timing: TimingSpec = opt('--timing')
  ? (([warmupRuns, warmupSeconds, minRuns, minSeconds]) => ({ warmupRuns, warmupSeconds, minRuns, minSeconds }))(opt('--timing')!.split(',').map(Number) as [number, number, number, number])
  : spec.timing;
const accuracyImages = (await kitImages(spec.dataset.kit ?? kitDir(), spec.dataset.set, spec.dataset.limit)).length;

async function timeRun(handle: ModelHandle, model: ResolvedModel, b: number): Promise<number> {
  const { crop, layout } = model.preprocessing;
  const dims = layout === 'NCHW' ? [b, 3, crop, crop] : [b, crop, crop, 3];
  const input = handle.inputs[0]!;
  const n = dims.reduce((a, x) => a * x, 1);
  const tensor: Tensor = input.dtype === 'float16'
    ? { type: 'float16', data: new Uint16Array(n).fill(0x3c00), dims }
    : { type: 'float32', data: Float32Array.from({ length: n }, () => Math.random() - 0.5), dims };
  const feeds = { [input.name]: tensor };
  await handle.run(feeds);
  const t0 = performance.now();
  await handle.run(feeds);
  return (performance.now() - t0) / 1000;
}

function cellSeconds(t: number, create: number): number {
  return 2 * create + childStart + Math.max(timing.warmupRuns * t, timing.warmupSeconds) + Math.max(timing.minRuns * t, timing.minSeconds);
}

/** A cell timed in its own process (timing.isolation 'process', the default) also pays the child's start: one measured here. */
async function measureChildStart(): Promise<number> {
  if ((timing.isolation ?? 'process') !== 'process') return 0;
  const model = await resolveModel(spec.models[0]!, spec.dataset.kit ?? kitDir());
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(spec.dataset.kit ?? kitDir(), 'val_227', 8), geometry: { resize: model.preprocessing.resize, crop: model.preprocessing.crop },
    resizeFilter: 'linear', labelSource: `${spec.dataset.kit ?? kitDir()}/manifest.json`, cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
  });
  const host = await probeHost();
  const t0 = performance.now();
  await measureCellInProcess({
    model, modelPath: model.path, batchSize: 1, provider: 'cpu', threads: 1, shardFile: path.join(dir, manifest.shards[0]!.file), crop: model.preprocessing.crop, host,
    timing: { warmupRuns: 0, warmupSeconds: 0, minRuns: 1, minSeconds: 0 },
  });
  return (performance.now() - t0) / 1000;
}
const childStart = await measureChildStart();

const threads = os.availableParallelism();
console.log(`preset ${preset}: ${spec.models.length} models x batch ${spec.batchSizes.join(',')}; timing ${JSON.stringify(timing)}; ${threads} threads; accuracy on ${accuracyImages} images where measured; ${childStart.toFixed(2)} s per cell to start its process\n`);
console.log('| model | session s | b1 ms | b8 ms/image | sweep s | accuracy s |');
console.log('|---|---|---|---|---|---|');
let total = 0;
for (const ref of spec.models) {
  const model = await resolveModel(ref, spec.dataset.kit ?? kitDir());
  const t0 = performance.now();
  const handle = await onnxruntime.open(model.path, { threads, interOpThreads: 1, executionMode: 'sequential', graphOptimization: 'all' });
  const create = (performance.now() - t0) / 1000;
  // Fixed-batch models are timed at batch 1 only; their re-batched copies behave like the rest.
  const t1 = await timeRun(handle, model, 1);
  const per8 = handle.fixedBatch === null ? (await timeRun(handle, model, 8)) / 8 : t1;
  await handle.dispose();
  const perImage = (b: number) => (b >= 8 ? per8 : t1 + ((per8 - t1) * (b - 1)) / 7);
  const sweep = spec.batchSizes.reduce((s, b) => s + cellSeconds(perImage(b) * b, create), 0);
  const accuracy = spec.devices[0]?.accuracy && model.weights !== 'random' ? create + accuracyImages * per8 : 0;
  total += sweep + accuracy;
  console.log(`| ${model.id} | ${create.toFixed(2)} | ${(t1 * 1000).toFixed(1)} | ${(per8 * 1000).toFixed(1)} | ${sweep.toFixed(0)} | ${accuracy.toFixed(0)} |`);
}
console.log(`\nestimated: ${(total / 60).toFixed(1)} minutes of measuring (plus dataset preparation per geometry and profiling, about a minute each on first run), load average now ${os.loadavg()[0]!.toFixed(1)}`);
