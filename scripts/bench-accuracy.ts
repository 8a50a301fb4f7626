/**
 * Does data loading hide behind inference? For each model, on the kit's val_227 shards at the
 * accuracy batch size, alternating:
 *   pure     — the same batches as the evaluation, each normalised before its clock starts: the
 *              sum of onnxruntime's run times alone (images / Σ run);
 *   e2e      — evaluateAccuracy as the activity runs it (shard reads, normalisation, inference,
 *              top-5 and softmax, predictions Parquet), its loop's wall time (session opening and
 *              re-batching excluded from both).
 * Target (issue 6): e2e images/s ≥ 90% of pure images/s. Rounds alternate because this machine is
 * shared and noisy; the table gives the median of each. Also "model busy": the share of the e2e
 * loop spent inside onnxruntime's runs, measured in the same run, so immune to load that changes
 * between rounds (it cannot see the preparation thread slowing the runs down; the ratio can).
 *
 *   npm run bench:accuracy [-- --rounds 3 --models id,id --batch 32 --limit 1300 --threads N --spinning on|off --normalise helper|runner]
 *
 * --normalise picks where the end-to-end run turns crops into inputs (default: evaluateAccuracy's
 * choice, 'helper' with a spare core, else 'runner').
 * --spinning sets the end-to-end session's onnxruntime thread spinning (default: evaluateAccuracy's, off
 * with the helper thread); pure inference always runs with onnxruntime's default (spinning on).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveModel, type ResolvedModel } from '../src/study/catalog.js';
import { dataDir, kitDir } from '../src/config/settings.js';
import { readShard } from '../src/prepare/arrow-shards.js';
import { prepareDataset, type DatasetManifest } from '../src/prepare/prepare.js';
import { evaluateAccuracy } from '../src/accuracy/evaluate-accuracy.js';
import { openForBatch } from '../src/accuracy/model-for-batch.js';
import { makeInput, runScores } from '../src/runtime/classifier.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { kitImages } from '../src/prepare/kit.js';

const { values: args } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' },
  models: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13,squeezenet1.1_caffe2_fp16_winml,squeezenet1.0_tflite2018_opset13,mobilenetv2-12-int8,resnet50_keras_opset13' },
  batch: { type: 'string', default: '32' },
  limit: { type: 'string' },
  threads: { type: 'string' },
  // The end-to-end session's spinning (pure inference keeps onnxruntime's default, spinning on).
  spinning: { type: 'string' },
  // Where crops are normalised in the end-to-end run: beside the model ('helper') or between runs ('runner').
  normalise: { type: 'string' },
} });
if (args.normalise && !['helper', 'runner'].includes(args.normalise)) throw new Error(`--normalise takes helper or runner, not ${args.normalise}`);
const batch = Number(args.batch);
const threads = args.threads ? Number(args.threads) : os.availableParallelism();
const session = { provider: 'cpu' as const, threads };
const rebatchCacheDir = path.join(dataDir(), 'cache', 'rebatched');

const kit = kitDir();
const { dir: datasetDir, manifest } = await prepareDataset({
  images: await kitImages(kit, 'val_227', args.limit ? Number(args.limit) : undefined), geometry: { resize: 256, crop: 224 },
  resizeFilter: 'linear', labelSource: `${kit}/manifest.json`, cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
});
const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-bench-accuracy-'));

/** Σ of onnxruntime run times over the evaluation's batches, each input built before its clock starts. */
async function pureInference(model: ResolvedModel, m: DatasetManifest): Promise<{ images: number; seconds: number }> {
  const { m: s, batchSize } = await openForBatch(onnxruntime, model, batch, session, rebatchCacheDir);
  const crop = m.geometry.crop;
  const per = crop * crop * 3;
  let seconds = 0;
  let images = 0;
  try {
    for (const entry of m.shards) {
      const shard = await readShard(path.join(datasetDir, entry.file), crop);
      for (let start = 0; start < shard.ids.length; start += batchSize) {
        const n = Math.min(batchSize, shard.ids.length - start);
        const { tensor } = makeInput(s, shard.pixels.subarray(start * per, (start + n) * per), n, crop, model.preprocessing);
        const t0 = performance.now();
        await runScores(s, model.id, tensor, n, model.output);
        seconds += (performance.now() - t0) / 1000;
        images += n;
      }
    }
  } finally {
    await s.handle.dispose();
  }
  return { images, seconds };
}

async function endToEnd(model: ResolvedModel, round: number): Promise<{ images: number; seconds: number; busy: number; batchSize: number; normalisedOn: string }> {
  const r = await evaluateAccuracy({
    model, datasetDir, manifest, batchSize: batch, rebatchCacheDir, runtime: onnxruntime,
    session: args.spinning ? { ...session, spinning: args.spinning === 'on' } : session,
    predictions: { dir: path.join(work, `${model.id}-${round}`), device: 'bench' },
    normalise: args.normalise as 'helper' | 'runner' | undefined,
  });
  return { images: r.n, seconds: r.loopSeconds, busy: r.inferenceSeconds / r.loopSeconds, batchSize: r.batchSize, normalisedOn: r.normalisedOn === 'runner' ? `runner (${r.normaliseKernel})` : r.normalisedOn };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`CPU ${os.cpus()[0]?.model}, ${threads} threads, batch ${batch}, ${manifest.n} images in ${manifest.shards.length} shards, ${Number(args.rounds)} alternating rounds (median)`);
console.log('| model | batch run | normalised on | pure images/s | end-to-end images/s | e2e / pure | model busy in e2e | rounds (pure, e2e) |');
console.log('|---|---|---|---|---|---|---|---|');
try {
  for (const id of args.models!.split(',')) {
    const model = await resolveModel(id, kit);
    await pureInference(model, { ...manifest, shards: manifest.shards.slice(0, 1) }); // warm caches and the re-batched copy
    const pure: number[] = [];
    const e2e: number[] = [];
    const busy: number[] = [];
    let batchRun = batch;
    let normalisedOn = '';
    for (let round = 0; round < Number(args.rounds); round++) {
      const p = await pureInference(model, manifest);
      pure.push(p.images / p.seconds);
      const e = await endToEnd(model, round);
      e2e.push(e.images / e.seconds);
      busy.push(e.busy);
      batchRun = e.batchSize;
      normalisedOn = e.normalisedOn;
    }
    const ratio = median(e2e) / median(pure);
    const rounds = pure.map((p, i) => `${p.toFixed(1)}, ${e2e[i]!.toFixed(1)}`).join('; ');
    console.log(`| ${id} | ${batchRun} | ${normalisedOn} | ${median(pure).toFixed(1)} | ${median(e2e).toFixed(1)} | ${(100 * ratio).toFixed(1)}% | ${(100 * median(busy)).toFixed(1)}% | ${rounds} |`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
