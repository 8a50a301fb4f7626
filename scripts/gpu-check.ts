/**
 * A GPU host checked end to end without Temporal (docs/GPU.md "Checking a GPU host"): the host
 * probe a GPU worker starts with, then latency cells measured by the code a worker's repetition
 * runs (measureCell with the power sampler discoverPowerSampler picks and the host-noise reading
 * around it), and each model's scores on the GPU against the CPU's on the same real crops.
 *
 *   npm run gpu:check -- --models squeezenet1.1,tv_resnet50 --batches 1,8,64 --out DIR [--cpu-batches 1] [--shard FILE]
 *
 * Writes DIR/gpu-check.json; `npm run gpu:check -- --render FILE.json` prints it as Markdown.
 * Cells run in this process one after another (a study runs each repetition in a fresh process):
 * this is a check that the GPU path works and what it measures, not a study.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dataDir, kitDir } from '../src/config/settings.js';
import { probeHost } from '../src/host/probe-host.js';
import { startReading } from '../src/host/host-noise.js';
import { readShard } from '../src/prepare/arrow-shards.js';
import { discoverPowerSampler } from '../src/latency/power/discover.js';
import { measureCell } from '../src/latency/measure-cell.js';
import { checkInputGeometry, makeInput, openClassifier, runScores } from '../src/runtime/classifier.js';
import { inProcessRuntime, runtimeFacts } from '../src/runtime/registry.js';
import type { ExecutionProvider } from '../src/runtime/runtime.js';
import { resolveModel, type ResolvedModel } from '../src/study/catalog.js';
import { timingSpec, type RunTiming } from '../src/study/study-spec.js';
import { renderGpuCheck, type GpuCheck, type GpuCheckAgreement, type GpuCheckCell } from './gpu-check-render.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'squeezenet1.1' },
    batches: { type: 'string', default: '1,8,64' },
    'cpu-batches': { type: 'string', default: '1' },
    'cpu-models': { type: 'string' },
    shard: { type: 'string' },
    out: { type: 'string' },
    'min-seconds': { type: 'string', default: '2' },
    render: { type: 'string' },
  },
});

// A bad argument, model or file is said in one line (exit 2), not as a stack.
try {
  if (values.render) {
    process.stdout.write(renderGpuCheck(JSON.parse(await readFile(values.render, 'utf8')) as GpuCheck));
  } else {
    if (!values.out) throw new Error('give --out DIR (or --render FILE.json)');
    const check = await runCheck();
    await mkdir(values.out, { recursive: true });
    await writeFile(path.join(values.out, 'gpu-check.json'), JSON.stringify(check, null, 1) + '\n');
    process.stdout.write(renderGpuCheck(check));
  }
} catch (err) {
  process.stderr.write(`gpu:check: ${(err as Error).message}\n`);
  process.exitCode = 2;
}

async function runCheck(): Promise<GpuCheck> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const host = await probeHost();
  if (host.gpus.length === 0) throw new Error(`no NVIDIA GPU on this host: ${host.gpuNote}`);
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const models = await Promise.all(list(values.models!).map((id) => resolveModel(id, kitDir())));
  const cpuModels = values['cpu-models'] ? list(values['cpu-models']) : models.map((m) => m.id);
  const shardFile = values.shard ?? (await firstShard(224));
  const shard = await readShard(shardFile, 224);
  const crops = { pixels: shard.pixels, n: shard.ids.length, crop: shard.crop };
  const timing: RunTiming = timingSpec({ minSeconds: Number(values['min-seconds']) });
  const cells: GpuCheckCell[] = [];
  const errors: string[] = [];
  const plan: Array<{ model: ResolvedModel; provider: ExecutionProvider; batch: number; threads: number | null }> = [];
  for (const model of models) for (const batch of list(values.batches!).map(Number)) plan.push({ model, provider: 'cuda', batch, threads: null });
  for (const model of models.filter((m) => cpuModels.includes(m.id))) {
    for (const batch of list(values['cpu-batches']!).map(Number)) plan.push({ model, provider: 'cpu', batch, threads: os.availableParallelism() });
  }
  for (const { model, provider, batch, threads } of plan) {
    const label = `${model.id} ${provider} b${batch}`;
    try {
      const noise = await startReading({ host });
      const m = await measureCell({
        model, modelPath: model.path, batchSize: batch, timing, runtime: 'onnxruntime', provider, crops,
        ...(threads !== null ? { threads } : {}),
        power: await discoverPowerSampler(provider, host.power),
      });
      cells.push({
        model: model.id, provider, threads, batch, runs: m.runs, warmup_runs: m.warmup_runs ?? null,
        p50_ms: m.p50_ms, p90_ms: m.p90_ms, p99_ms: m.p99_ms, images_per_s: m.images_per_s,
        power_avg_w: m.power_avg_w ?? null, power_idle_w: m.power_idle_w ?? null, energy_per_image_j: m.energy_per_image_j ?? null,
        power_note: m.power_note, gpu_memory_peak_bytes: m.gpu_memory_peak_bytes ?? null, rss_peak_bytes: m.rss_peak_bytes ?? null,
        noise: await noise.stop(),
      });
      process.stderr.write(`${label}: p50 ${m.p50_ms.toFixed(3)} ms, ${m.power_avg_w?.toFixed(1) ?? '-'} W\n`);
    } catch (err) {
      errors.push(`${label}: ${(err as Error).message}`);
      process.stderr.write(`${label}: FAILED ${(err as Error).message}\n`);
    }
  }
  const agreement: GpuCheckAgreement[] = [];
  for (const model of models) {
    try {
      agreement.push(await agree(model, crops));
    } catch (err) {
      errors.push(`${model.id} agreement: ${(err as Error).message}`);
    }
  }
  return {
    startedAt, seconds: (performance.now() - t0) / 1000, host, runtime: runtimeFacts(), timing,
    crops: { shard: path.basename(shardFile), images: crops.n, crop: crops.crop }, cells, agreement, errors,
  };
}

/** The model's scores for every crop on the GPU and on the CPU, batch by batch. */
async function agree(model: ResolvedModel, crops: { pixels: Uint8Array; n: number; crop: number }): Promise<GpuCheckAgreement> {
  const runtime = inProcessRuntime('onnxruntime');
  const scores: Float32Array[] = [];
  for (const provider of ['cuda', 'cpu'] as const) {
    const m = await openClassifier(runtime, model.path, { provider });
    try {
      checkInputGeometry(m, model.path, model.preprocessing, crops.crop);
      const n = m.fixedBatch ?? crops.n;
      const all = new Float32Array(crops.n * model.output.classes);
      for (let i = 0; i + n <= crops.n; i += n) {
        const size = crops.crop * crops.crop * 3;
        const input = makeInput(m, crops.pixels.subarray(i * size, (i + n) * size), n, crops.crop, model.preprocessing).tensor;
        all.set(await runScores(m, model.path, input, n, model.output), i * model.output.classes);
      }
      scores.push(all);
    } finally {
      await m.handle.dispose();
    }
  }
  const [gpu, cpu] = scores as [Float32Array, Float32Array];
  const k = model.output.classes;
  let sameTop1 = 0;
  let maxAbsScoreDiff = 0;
  let maxAbsScore = 0;
  for (let i = 0; i < crops.n; i++) {
    if (argmax(gpu.subarray(i * k, (i + 1) * k)) === argmax(cpu.subarray(i * k, (i + 1) * k))) sameTop1++;
  }
  for (let j = 0; j < gpu.length; j++) {
    maxAbsScoreDiff = Math.max(maxAbsScoreDiff, Math.abs(gpu[j]! - cpu[j]!));
    maxAbsScore = Math.max(maxAbsScore, Math.abs(cpu[j]!));
  }
  return { model: model.id, images: crops.n, sameTop1, maxAbsScoreDiff, maxAbsScore };
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

/** The first prepared shard of this crop size in the dataset cache (a study prepares them). */
async function firstShard(crop: number): Promise<string> {
  const root = path.join(dataDir(), 'cache', 'datasets');
  const dirs = (await readdir(root).catch(() => [] as string[])).filter((d) => d.endsWith(`-${crop}-linear`) || d.includes(`-${crop}-linear-`)).sort();
  for (const d of dirs) {
    const shards = (await readdir(path.join(root, d))).filter((f) => f.endsWith('.arrow')).sort();
    if (shards.length) return path.join(root, d, shards[0]!);
  }
  throw new Error(`no prepared ${crop}-pixel shard under ${root}: run a study first, or give --shard FILE`);
}

