/**
 * evaluateAccuracy on tiny ONNX models built in code and synthetic 4x4 shards: label mapping,
 * ties, background drop, NaN counting, bad output shapes, geometry mismatches, fixed batches,
 * resume and the per-image predictions parts. Every expected number is worked out in comments.
 *
 * The models: x [N,3,4,4] → GlobalAveragePool → Flatten → f [N,3] (the image's mean colour, /255
 * with mean 0 / std 1) → MatMul W [3,C] → Add B [C] → scores [N,C]. With W = 0 every image gets
 * the scores B; with W's red row set, scores depend on the image's redness.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ResolvedModel } from '../../src/study/catalog.js';
import { writeShard } from '../../src/prepare/arrow-shards.js';
import type { DatasetManifest } from '../../src/prepare/prepare.js';
import { evaluateAccuracy, type AccuracyProgress, type EvaluateRequest } from '../../src/accuracy/evaluate-accuracy.js';
import { onnxruntime } from '../../src/runtime/onnxruntime.js';
import { partFile } from '../../src/accuracy/predictions.js';
import { buildModel, type BuildNode } from '../../src/onnx/build-model.js';
import type { ModelOutput } from '../../src/study/study-spec.js';
import { queryParquet } from '../helpers/duckdb.js';

const CROP = 4;
let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-eval-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;

interface Img { label: number; rgb: [number, number, number] }

/** Shards of uniformly coloured 4x4 crops, `perShard` images each, and their manifest. */
async function dataset(images: Img[], perShard = 1000): Promise<{ datasetDir: string; manifest: DatasetManifest }> {
  const datasetDir = path.join(dir, `ds${seq++}`);
  const shards: DatasetManifest['shards'] = [];
  for (let s = 0; s * perShard < images.length; s++) {
    const part = images.slice(s * perShard, (s + 1) * perShard);
    const pixels = new Uint8Array(part.length * CROP * CROP * 3);
    part.forEach((img, i) => { for (let k = 0; k < CROP * CROP; k++) pixels.set(img.rgb, (i * CROP * CROP + k) * 3); });
    const file = `shard-${s}.arrow`;
    await writeShard(path.join(datasetDir, file), {
      ids: part.map((_, i) => `img${String(s * perShard + i).padStart(4, '0')}`), labels: Int16Array.from(part.map((p) => p.label)), pixels, crop: CROP,
    });
    shards.push({ file, n: part.length, sha256: '' });
  }
  const manifest: DatasetManifest = {
    key: 'test', geometry: { resize: CROP, crop: CROP }, resizeFilter: 'linear', labelSource: 'test', n: images.length, failed: [], shards,
    versions: { sharp: '', libvips: '' },
  };
  return { datasetDir, manifest };
}

interface TinyModel {
  classes?: number;
  /** Rows of W [3, classes] (R, G, B); default zeros. */
  w?: [number[]?, number[]?, number[]?];
  bias: number[];
  batch?: number | 'N';
  /** Declare the output's shape (default) or leave it for onnxruntime to infer. */
  declareOutput?: boolean;
  /** Apply an element-wise op to the scores (e.g. Sqrt to make NaN). */
  post?: string;
  output?: ModelOutput;
}

async function tinyModel(spec: TinyModel): Promise<ResolvedModel> {
  const classes = spec.classes ?? spec.bias.length;
  const w = Array.from({ length: 3 }, (_, r) => spec.w?.[r] ?? new Array<number>(classes).fill(0)).flat();
  const nodes: BuildNode[] = [
    { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] },
    { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
    { op: 'MatMul', inputs: ['f', 'w'], outputs: ['s'] },
    { op: 'Add', inputs: ['s', 'b'], outputs: [spec.post ? 'z' : 'y'] },
    ...(spec.post ? [{ op: spec.post, inputs: ['z'], outputs: ['y'] }] : []),
  ];
  const batch = spec.batch ?? 'N';
  const file = path.join(dir, `m${seq++}.onnx`);
  await writeFile(file, buildModel({
    inputs: [{ name: 'x', dims: [batch, 3, CROP, CROP] }],
    outputs: [{ name: 'y', ...(spec.declareOutput === false ? {} : { dims: [batch, classes] }) }],
    initializers: [{ name: 'w', dims: [3, classes], values: w }, { name: 'b', dims: [classes], values: spec.bias }],
    nodes,
  }));
  return {
    id: `tiny-${path.basename(file, '.onnx')}`, path: file, preprocessingSource: 'spec',
    preprocessing: { resize: CROP, crop: CROP, channelOrder: 'RGB', scale: 'unit', mean: [0, 0, 0], std: [1, 1, 1], layout: 'NCHW' },
    output: spec.output ?? { classes: 1000, backgroundOffset: 0, kind: 'logits' },
  };
}

const evaluate = (model: ResolvedModel, ds: { datasetDir: string; manifest: DatasetManifest }, extra: Partial<EvaluateRequest> = {}) =>
  evaluateAccuracy({ model, ...ds, batchSize: 2, runtime: onnxruntime, session: { provider: 'cpu', threads: 1 }, ...extra });

const grey: [number, number, number] = [128, 128, 128];
const bias1000 = (set: Record<number, number>) => Array.from({ length: 1000 }, (_, i) => set[i] ?? 0);

test('ties go to the lowest class index; top-5 and logit softmax probabilities per image', async () => {
  // Scores B for every image: classes 3 and 7 tie at 2, class 9 is 1, the rest 0.
  // Ranking: 3, 7 (tie → lower first), 9, then 0, 1 (the zeros, lowest indices first).
  const model = await tinyModel({ bias: bias1000({ 3: 2, 7: 2, 9: 1 }) });
  const ds = await dataset([3, 7, 0, 500, 9].map((label) => ({ label, rgb: grey })));
  const predDir = path.join(dir, `pred${seq++}`);
  const r = await evaluate(model, ds, { predictions: { dir: predDir, device: 'cpu-test' } });
  // Labels 3 → top-1; 7, 0, 9 → in the top 5; 500 → neither.
  assert.deepEqual({ n: r.n, c1: r.correct1, c5: r.correct5, nonFinite: r.nonFinite }, { n: 5, c1: 1, c5: 4, nonFinite: 0 });
  assert.equal(r.top1, 1 / 5);
  assert.equal(r.top5, 4 / 5);
  const rows = await queryParquet<{ image_id: string; label: number; top5_ids: number[]; top5_probs: number[]; correct_at_1: boolean; correct_at_5: boolean; model_id: string; device: string }>(
    `select * from '${partFile(predDir, 0)}' order by image_id`);
  assert.equal(rows.length, 5);
  // softmax: e²/(2e² + e + 997) for the tied pair, e/(…) for class 9, 1/(…) for the rest.
  const z = 2 * Math.exp(2) + Math.exp(1) + 997;
  for (const row of rows) {
    assert.deepEqual(row.top5_ids, [3, 7, 9, 0, 1]);
    const want = [Math.exp(2) / z, Math.exp(2) / z, Math.exp(1) / z, 1 / z, 1 / z];
    row.top5_probs.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < 1e-9, `prob ${i}: ${p} vs ${want[i]}`));
    assert.equal(row.model_id, model.id);
    assert.equal(row.device, 'cpu-test');
    assert.equal(row.correct_at_1, row.label === 3);
    assert.equal(row.correct_at_5, [3, 7, 9, 0, 1].includes(row.label));
  }
});

test('1001-way model: the background class is dropped and classes shift down by one', async () => {
  // Output index 0 (background) scores highest; index 43 next → class 42; index 1 → class 0.
  const bias = Array.from({ length: 1001 }, (_, i) => (i === 0 ? 0.5 : i === 43 ? 0.3 : i === 1 ? 0.1 : 0));
  const model = await tinyModel({ bias, output: { classes: 1001, backgroundOffset: 1, kind: 'probabilities' } });
  const ds = await dataset([{ label: 42, rgb: grey }, { label: 0, rgb: grey }, { label: 999, rgb: grey }]);
  const predDir = path.join(dir, `pred${seq++}`);
  const r = await evaluate(model, ds, { predictions: { dir: predDir, device: 'd' } });
  assert.deepEqual([r.correct1, r.correct5], [1, 2]);
  const rows = await queryParquet<{ top5_ids: number[]; top5_probs: number[] }>(`select top5_ids, top5_probs from '${partFile(predDir, 0)}' limit 1`);
  // Probability outputs are reported as the model gave them (float32 of 0.3, 0.1, 0, 0, 0).
  assert.deepEqual(rows[0]!.top5_ids, [42, 0, 1, 2, 3]);
  assert.deepEqual(rows[0]!.top5_probs, [Math.fround(0.3), Math.fround(0.1), 0, 0, 0]);
});

test('NaN scores are counted per image and never win', async () => {
  // scores = sqrt(R/255 − 0.5 + c·1e-4): a black image (R = 0) gives sqrt of negatives (NaN) for
  // c < 5000, i.e. every class; a red image (R = 255) gives finite scores, highest at class 999.
  const model = await tinyModel({ w: [new Array<number>(1000).fill(1)], bias: Array.from({ length: 1000 }, (_, c) => -0.5 + c * 1e-4), post: 'Sqrt' });
  const ds = await dataset([
    { label: 999, rgb: [255, 0, 0] }, { label: 999, rgb: [0, 0, 0] }, { label: 1, rgb: [0, 0, 0] },
  ]);
  const predDir = path.join(dir, `pred${seq++}`);
  const r = await evaluate(model, ds, { predictions: { dir: predDir, device: 'd' } });
  assert.equal(r.nonFinite, 2);
  assert.equal(r.n, 3);
  assert.equal(r.correct1, 1, 'only the finite image is right');
  const rows = await queryParquet<{ non_finite: boolean; n: number }>(`select non_finite, len(top5_ids) n from '${partFile(predDir, 0)}' order by image_id`);
  assert.deepEqual(rows.map((x) => [x.non_finite, Number(x.n)]), [[false, 5], [true, 0], [true, 0]]);
});

test('an output that is not [N,1000]/[N,1001] is a non-retryable error naming the model, declared or not', async () => {
  const ds = await dataset([{ label: 1, rgb: grey }]);
  const declared = await tinyModel({ bias: new Array<number>(10).fill(0) });
  await assert.rejects(evaluate(declared, ds), (err: Error & { nonRetryable?: boolean }) => {
    assert.match(err.message, new RegExp(`model ${declared.id} .*output "y" has shape \\[N,10\\]; expected \\[N,1000\\]`));
    assert.equal(err.nonRetryable, true);
    return true;
  });
  // Shape left undeclared: onnxruntime infers it when the session opens, so it is caught as early.
  const inferred = await tinyModel({ bias: new Array<number>(10).fill(0), declareOutput: false });
  await assert.rejects(evaluate(inferred, ds), new RegExp(`model ${inferred.id} .*output "y" has shape \\[N,10\\]; expected \\[N,1000\\]`));
  // 1000 outputs where the catalog promises 1001 is just as wrong.
  const short = await tinyModel({ bias: bias1000({}) });
  await assert.rejects(evaluate({ ...short, output: { classes: 1001, backgroundOffset: 1, kind: 'logits' } }, ds), /expected \[N,1001\]/);
});

test('a dataset whose geometry does not match the model is a clear error', async () => {
  const ds = await dataset([{ label: 1, rgb: grey }]);
  const model = await tinyModel({ bias: bias1000({}) });
  await assert.rejects(evaluate({ ...model, preprocessing: { ...model.preprocessing, resize: 8, crop: 8 } }, ds),
    /dataset .* has geometry 4\/4, model tiny-.* needs 8\/8/);
  // Preprocessing agrees with the dataset but the graph wants 8x8 input.
  const file = path.join(dir, `m${seq++}.onnx`);
  await writeFile(file, buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }], outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [3, 1000] }],
    nodes: [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['p'] }, { op: 'Flatten', inputs: ['p'], outputs: ['f'] }, { op: 'MatMul', inputs: ['f', 'w'], outputs: ['y'] }],
  }));
  await assert.rejects(evaluate({ ...model, path: file }, ds), /takes NCHW input \[N,3,8,8\] but its dataset has 4x4 crops/);
});

test('a fixed-batch graph runs at the asked batch through its re-batched copy, else at its own batch with padding', async () => {
  // Scores depend on the image: R·w + b with w rising with the class, so red images pick 999 and
  // black ones pick class 0 (all scores 0 → tie → lowest index).
  const w = Array.from({ length: 1000 }, (_, c) => c / 1000);
  const images: Img[] = [999, 0, 999, 5, 999].map((label, i) => ({ label, rgb: i % 2 === 0 ? [255, 0, 0] : [0, 0, 0] }));
  const ds = await dataset(images);
  const fixed1 = await tinyModel({ w: [w], bias: bias1000({}), batch: 1 });
  const viaCopy = await evaluate(fixed1, ds, { batchSize: 4, rebatchCacheDir: path.join(dir, 'rebatched') });
  assert.deepEqual([viaCopy.batchSize, viaCopy.rebatched], [4, true]);
  const own = await evaluate(fixed1, ds, { batchSize: 4 });
  assert.deepEqual([own.batchSize, own.rebatched], [1, false]);
  // A graph fixed at 2: five images are runs of 2, 2 and 1 padded to 2.
  const fixed2 = await tinyModel({ w: [w], bias: bias1000({}), batch: 2 });
  const padded = await evaluate(fixed2, ds, { batchSize: 4 });
  assert.deepEqual([padded.batchSize, padded.rebatched], [2, false]);
  for (const r of [viaCopy, own, padded]) {
    // Right: 999, 0, 999, 0 (label 5 on a black image gets class 0).
    assert.deepEqual([r.n, r.correct1], [5, 4]);
  }
});

test('resume: a heartbeat after shard 0 evaluates shard 1 only and ends with the same numbers and parts', async () => {
  const model = await tinyModel({ w: [Array.from({ length: 1000 }, (_, c) => c / 1000)], bias: bias1000({}) });
  const images: Img[] = Array.from({ length: 7 }, (_, i) => ({ label: i % 3 === 0 ? 999 : 0, rgb: i % 2 ? [0, 0, 0] : [255, 0, 0] }));
  const ds = await dataset(images, 4); // shards of 4 and 3
  const predDir = path.join(dir, `pred${seq++}`);
  const beats: AccuracyProgress[] = [];
  let batchBeats = 0;
  const full = await evaluate(model, ds, { predictions: { dir: predDir, device: 'd' }, onShardDone: (p) => beats.push(p), onBatchDone: () => batchBeats++ });
  assert.equal(beats.length, 2);
  assert.equal(batchBeats, 4, 'one heartbeat per batch: 2 + 2 batches of ≤2');
  assert.equal(full.resumedFromShard, 0);
  const before = await queryParquet(`select * from '${predDir}/*.parquet' order by image_id`);
  assert.equal(before.length, 7);

  const resumed = await evaluate(model, ds, { predictions: { dir: predDir, device: 'd' }, resume: beats[0] });
  assert.equal(resumed.resumedFromShard, 1);
  for (const k of ['n', 'correct1', 'correct5', 'nonFinite', 'top1', 'top5'] as const) assert.equal(resumed[k], full[k], k);
  assert.deepEqual(await queryParquet(`select * from '${predDir}/*.parquet' order by image_id`), before);

  // The parts the heartbeat vouches for are gone: start again from shard 0 rather than count blind.
  await unlink(partFile(predDir, 0));
  const restarted = await evaluate(model, ds, { predictions: { dir: predDir, device: 'd' }, resume: beats[0] });
  assert.equal(restarted.resumedFromShard, 0);
  assert.equal(restarted.n, 7);
  // A malformed heartbeat is ignored too.
  const junk = await evaluate(model, ds, { resume: { nextShard: 9 } as AccuracyProgress });
  assert.equal(junk.resumedFromShard, 0);
});

test('cancellation stops between batches', async () => {
  const model = await tinyModel({ bias: bias1000({}) });
  const ds = await dataset(Array.from({ length: 6 }, () => ({ label: 0, rgb: grey })));
  const ac = new AbortController();
  let batches = 0;
  await assert.rejects(evaluate(model, ds, { signal: ac.signal, onBatchDone: () => { if (++batches === 1) ac.abort(new Error('cancelled by test')); } }), /cancelled by test/);
  assert.equal(batches, 1);
});

test('crops normalised on the helper thread, between runs, or inline: the same counts and predictions, padded fixed batch included', async () => {
  // Scores mix all three channels, so any slip in a channel's normalisation moves the ranking.
  const ramp = (k: number) => Array.from({ length: 1000 }, (_, c) => ((c * k) % 1000) / 1000);
  const images: Img[] = Array.from({ length: 11 }, (_, i) => ({ label: (i * 89) % 1000, rgb: [(i * 53) % 256, (i * 101) % 256, (i * 197) % 256] }));
  const ds = await dataset(images, 4);
  for (const batch of ['N', 2] as const) {
    const model = await tinyModel({ w: [ramp(7), ramp(13), ramp(31)], bias: bias1000({}), batch });
    const runs = [];
    for (const variant of [{ normalise: 'helper' }, { normalise: 'runner' }, { normalise: 'runner', prepare: 'inline' }, { normalise: 'helper', prepare: 'inline' }] as const) {
      const predDir = path.join(dir, `pred${seq++}`);
      const r = await evaluate(model, ds, { batchSize: 3, predictions: { dir: predDir, device: 'd' }, ...variant });
      assert.equal(r.normalisedOn, variant.normalise);
      runs.push({ counts: [r.n, r.correct1, r.correct5, r.batchSize], predictions: await queryParquet(`select * from '${predDir}/*.parquet' order by image_id`) });
    }
    assert.equal(runs[0]!.predictions.length, 11);
    for (const r of runs.slice(1)) assert.deepEqual(r, runs[0], `batch ${batch}`);
  }
  const byDefault = await evaluate(await tinyModel({ bias: bias1000({}) }), ds);
  assert.equal(byDefault.normalisedOn, os.availableParallelism() > 1 ? 'helper' : 'runner', 'one intra-op thread: helper when a core is spare');
});
