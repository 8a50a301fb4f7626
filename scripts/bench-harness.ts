/**
 * Harness overhead: dnnbench's measureLatency (the code the study runs) against Python onnxruntime
 * on the same model file, the same input bytes, the same threads and timing rules, alternating
 * node and Python runs (machines are noisy: side by side, repeated). Also the GFLOP/s achieved,
 * against this CPU's FMA peak measured by scripts/fma-peak.c.
 *
 *   npm run bench:harness [-- --rounds 2 --models id,id --batches 1,32]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { resolveModel } from '../src/study/catalog.js';
import { dataDir, kitDir } from '../src/config/settings.js';
import { readShard } from '../src/prepare/arrow-shards.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { makeInput, openClassifier } from '../src/runtime/classifier.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { kitImages } from '../src/prepare/kit.js';
import { measureLatency } from '../src/latency/measure-latency.js';
import { profileModel } from '../src/profile/profile.js';
import { fileForBatch } from '../src/onnx/rebatch.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: {
  rounds: { type: 'string', default: '2' },
  models: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13,squeezenet1.1_caffe2_fp16_winml,squeezenet1.0_tflite2018_opset13,mobilenetv2-12-int8,resnet50_keras_opset13' },
  batches: { type: 'string', default: '1,32' },
} });
const THREADS = os.availableParallelism();
const timing = { warmupRuns: 10, warmupSeconds: 2, minRuns: 20, minSeconds: 5 };
const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-harness-'));
const python = (await run('bash', ['scripts/python-venv.sh'])).stdout.trim().split('\n').pop()!;

await run('gcc', ['-O3', '-march=native', '-fopenmp', 'scripts/fma-peak.c', '-o', path.join(work, 'fma-peak')]);
const peak = JSON.parse((await run(path.join(work, 'fma-peak'), [String(THREADS)])).stdout) as { gflops: number; lanes: number };

const kit = kitDir();
const { dir, manifest } = await prepareDataset({
  images: await kitImages(kit, 'val_227', 64), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear',
  labelSource: 'kit', cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
});
const shard = await readShard(path.join(dir, manifest.shards[0]!.file), 224);
const crops = { pixels: shard.pixels, n: shard.ids.length, crop: 224 };

console.log(`CPU ${os.cpus()[0]?.model}, ${THREADS} threads; FMA peak ${peak.gflops} GFLOP/s (${peak.lanes}-lane fp32 FMA, scripts/fma-peak.c)`);
console.log('| model | batch | node p50 ms (runs) | python p50 ms (runs) | node/python | GFLOP/s node | % of peak |');
console.log('|---|---|---|---|---|---|---|');
for (const id of args.models!.split(',')) {
  const model = await resolveModel(id, kit);
  const flops = (await profileModel(model.path)).flops;
  for (const b of args.batches!.split(',').map(Number)) {
    const probe = await openClassifier(onnxruntime, model.path, { provider: 'cpu', threads: 1 });
    const batchFile = await fileForBatch(model.path, probe.fixedBatch, b, path.join(dataDir(), 'cache', 'rebatched'));
    if (batchFile.batchSize !== b) throw new Error(batchFile.note);
    const file = batchFile.path;
    // The exact input bytes our harness feeds, saved for Python.
    const per = 224 * 224 * 3;
    const tiled = new Uint8Array(b * per).map((_, i) => crops.pixels[i % (crops.n * per)]!);
    const tensor = makeInput(probe, tiled, b, 224, model.preprocessing).tensor;
    await probe.handle.dispose();
    const raw = path.join(work, `${id}-${b}.raw`);
    const data = tensor.data as Float32Array | Uint16Array;
    await writeFile(raw, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const node: number[] = [];
    const py: number[] = [];
    let nodeRuns = 0;
    let pyRuns = 0;
    for (let r = 0; r < Number(args.rounds); r++) {
      const m = await measureLatency({
        model, modelPath: file, batchSize: b, timing, runtime: onnxruntime, session: { provider: 'cpu', threads: THREADS },
        crops: { pixels: tiled, n: b, crop: 224 }, power: { sampler: null, reason: 'not measured in this benchmark' },
      });
      node.push(m.p50_ms);
      nodeRuns += m.runs;
      const out = JSON.parse((await run(python, ['scripts/python/time_onnxruntime.py', file, raw, tensor.type, tensor.dims.join(','), String(THREADS),
        String(timing.warmupRuns), String(timing.warmupSeconds), String(timing.minRuns), String(timing.minSeconds)])).stdout) as { p50_ms: number; runs: number };
      py.push(out.p50_ms);
      pyRuns += out.runs;
    }
    const med = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor((xs.length - 1) / 2)]!;
    const n = med(node);
    const p = med(py);
    const gflops = (flops * b) / (n / 1000) / 1e9;
    console.log(`| ${id} | ${b} | ${node.map((x) => x.toFixed(2)).join(', ')} (${nodeRuns}) | ${py.map((x) => x.toFixed(2)).join(', ')} (${pyRuns}) | ${(n / p).toFixed(3)} | ${gflops.toFixed(1)} | ${((100 * gflops) / peak.gflops).toFixed(0)}% |`);
  }
}
process.exit(0);
