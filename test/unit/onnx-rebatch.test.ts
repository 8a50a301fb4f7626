/**
 * rebatchModel: fixed-batch models made batch-dynamic, checked by running them with onnxruntime.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Float16Array } from '@petamoriken/float16';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildModel, type BuildSpec } from '../../src/onnx/build-model.js';
import { describeModelIo } from '../../src/onnx/model-io.js';
import { loadOnnxModel } from '../../src/onnx/onnx-proto.js';
import { fileForBatch, rebatchModel, RebatchError } from '../../src/onnx/rebatch.js';
import { readIntTensor } from '../../src/onnx/tensor-data.js';

const KIT = process.env.DNNBENCH_KIT ?? path.resolve('../shared/kit');
const WINML = path.join(KIT, 'models', 'squeezenet1.1_caffe2_fp16_winml.onnx');
const hasKit = existsSync(WINML);

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-rebatch-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random values in [lo, hi). */
function noise(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

async function write(name: string, spec: BuildSpec): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, buildModel(spec));
  return file;
}

test('WinML SqueezeNet fp16 at batch 4 matches batch 1 per image', { skip: !hasKit && 'kit not found' }, async () => {
  const cache = path.join(dir, 'cache');
  const copy = await rebatchModel(WINML, cache);
  assert.match(path.basename(copy), /^[0-9a-f]{64}-dynbatch\.onnx$/);
  const io = describeModelIo(await loadOnnxModel(copy));
  assert.deepEqual(io.inputs[0]?.dims, ['N', 3, 224, 224]);
  assert.deepEqual(io.outputs[0]?.dims, ['N', 1000, 1, 1]);
  assert.equal(io.fixedBatch, null);

  const per = 3 * 224 * 224;
  const B = 4;
  // Caffe-style inputs: BGR 0..255 minus the mean, i.e. roughly −123..152. Values are rounded to
  // fp16 once, so both runs see exactly the same numbers.
  const batch = new Float16Array(noise(B * per, 7, -120, 150));
  const bits = (a: Float16Array) => new Uint16Array(a.buffer, a.byteOffset, a.length);

  const original = await InferenceSession.create(WINML);
  const dynamic = await InferenceSession.create(copy);
  try {
    const out = await dynamic.run({ data_0: new Tensor('float16', bits(batch), [B, 3, 224, 224]) });
    const all = out.softmaxout_1 as Tensor;
    assert.deepEqual(all.dims, [B, 1000, 1, 1]);
    const allProbs = new Float16Array((all.data as Uint16Array).buffer);
    for (let i = 0; i < B; i++) {
      const one = batch.subarray(i * per, (i + 1) * per);
      const ref = (await original.run({ data_0: new Tensor('float16', bits(new Float16Array(one)), [1, 3, 224, 224]) })).softmaxout_1 as Tensor;
      const refProbs = new Float16Array((ref.data as Uint16Array).buffer);
      let maxDiff = 0;
      let refArgmax = 0;
      let gotArgmax = 0;
      for (let c = 0; c < 1000; c++) {
        const r = refProbs[c] as number;
        const g = allProbs[i * 1000 + c] as number;
        maxDiff = Math.max(maxDiff, Math.abs(r - g));
        if (r > (refProbs[refArgmax] as number)) refArgmax = c;
        if (g > (allProbs[i * 1000 + gotArgmax] as number)) gotArgmax = c;
      }
      // fp16 has ~3 decimal digits; probabilities ≤ 1 agree to a few ulps of 1.
      assert.ok(maxDiff < 2e-3, `image ${i}: max |diff| ${maxDiff}`);
      assert.equal(gotArgmax, refArgmax, `image ${i}: same top-1`);
    }
  } finally {
    await original.release();
    await dynamic.release();
  }

  // Cached: same path, file untouched.
  const before = (await stat(copy)).mtimeMs;
  assert.equal(await rebatchModel(WINML, cache), copy);
  assert.equal((await stat(copy)).mtimeMs, before);
});

test('constant Reshape shapes holding the batch become -1, or 0 next to a -1', async () => {
  // x [1,4,2,2] → Reshape([1,16]) → Gemm(w [16,3]) → y [1,3]; and x → Reshape([1,-1]) → z [1,16].
  const file = await write('reshape.onnx', {
    inputs: [{ name: 'x', dims: [1, 4, 2, 2] }],
    outputs: [{ name: 'y', dims: [1, 3] }, { name: 'z', dims: [1, 16] }],
    initializers: [
      { name: 's1', dtype: 'int64', dims: [2], values: [1, 16] },
      { name: 's2', dtype: 'int64', dims: [2], values: [1, -1] },
      { name: 'w', dims: [16, 3] },
    ],
    nodes: [
      { op: 'Reshape', inputs: ['x', 's1'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'] },
      { op: 'Reshape', inputs: ['x', 's2'], outputs: ['z'] },
    ],
    valueInfo: [{ name: 'f', dims: [1, 16] }],
  });
  const copy = await rebatchModel(file, path.join(dir, 'cache'));
  const model = await loadOnnxModel(copy);
  const init = new Map(model.proto.graph?.initializer.map((t) => [t.name, t]));
  assert.deepEqual(readIntTensor(init.get('s1')!), [-1, 16]);
  assert.deepEqual(readIntTensor(init.get('s2')!), [0, -1]);
  assert.deepEqual(describeModelIo(model).outputs.map((o) => o.dims), [['N', 3], ['N', 16]]);

  // Batch 3 gives, per row, what the original gives for that image alone.
  const x = noise(3 * 16, 3, -1, 1);
  const dynamic = await InferenceSession.create(copy);
  const original = await InferenceSession.create(file);
  const all = (await dynamic.run({ x: new Tensor('float32', x, [3, 4, 2, 2]) })).y as Tensor;
  for (let i = 0; i < 3; i++) {
    const one = (await original.run({ x: new Tensor('float32', x.slice(i * 16, (i + 1) * 16), [1, 4, 2, 2]) })).y as Tensor;
    assert.deepEqual([...(all.data as Float32Array).slice(i * 3, i * 3 + 3)], [...(one.data as Float32Array)]);
  }
  await dynamic.release();
  await original.release();
});

test('a model that is already batch-dynamic is returned as is', async () => {
  const file = await write('dynamic.onnx', {
    inputs: [{ name: 'x', dims: ['N', 4] }],
    outputs: [{ name: 'y' }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  assert.equal(await rebatchModel(file, path.join(dir, 'cache')), file);
});

test('models that cannot be re-batched say why', async () => {
  const cache = path.join(dir, 'cache');
  // Output without a batch dim: a full reduction to a scalar.
  const scalar = await write('scalar.onnx', {
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: [{ name: 'y', dims: [] }],
    nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 0 } }],
  });
  await assert.rejects(rebatchModel(scalar, cache), (err: unknown) => {
    assert.ok(err instanceof RebatchError);
    assert.match(err.message, /output 'y' has shape \[\]: its leading dim is not the batch/);
    return true;
  });

  // The batch is baked into a Slice bound: the batch-2 check catches it.
  const sliced = await write('sliced.onnx', {
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: [{ name: 'y', dims: [1, 4] }],
    initializers: [
      { name: 'starts', dtype: 'int64', dims: [1], values: [0] },
      { name: 'ends', dtype: 'int64', dims: [1], values: [1] },
      { name: 'axes', dtype: 'int64', dims: [1], values: [0] },
    ],
    nodes: [{ op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['y'] }],
  });
  await assert.rejects(rebatchModel(sliced, cache), (err: unknown) => {
    assert.ok(err instanceof RebatchError);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /does not run at batch 2.*leading dim 1/);
    return true;
  });
  // Nothing was cached for it, and no temp file was left behind.
  const sha = createHash('sha256').update(await readFile(sliced)).digest('hex');
  const left = await readdir(cache);
  assert.ok(!left.some((f) => f.startsWith(sha) || f.endsWith('.tmp')), left.join(', '));
});

test('fileForBatch: one policy for every caller', async () => {
  const cache = path.join(dir, 'policy-cache');
  const fixed2 = await write('fixed2.onnx', { inputs: [{ name: 'x', dims: [2, 4] }], outputs: [{ name: 'y', dims: [2, 4] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  // Dynamic, or fixed at the batch asked for: the model itself.
  assert.deepEqual(await fileForBatch(fixed2, null, 8, cache), { path: fixed2, batchSize: 8, rebatched: false });
  assert.deepEqual(await fileForBatch(fixed2, 2, 2, cache), { path: fixed2, batchSize: 2, rebatched: false });
  // Fixed at another batch: the re-batched copy, which takes the batch asked for.
  const copy = await fileForBatch(fixed2, 2, 8, cache);
  assert.deepEqual([copy.batchSize, copy.rebatched, path.dirname(copy.path)], [8, true, cache]);
  assert.equal(describeModelIo(await loadOnnxModel(copy.path)).fixedBatch, null);
  // No cache folder: nothing is re-batched, the graph's own batch stands.
  assert.deepEqual(await fileForBatch(fixed2, 2, 8), { path: fixed2, batchSize: 2, rebatched: false });
  // A graph the rewrite cannot handle: its own batch, and the reason.
  const sliced = await write('policy-sliced.onnx', {
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: [{ name: 'y', dims: [1, 4] }],
    initializers: [
      { name: 'starts', dtype: 'int64', dims: [1], values: [0] },
      { name: 'ends', dtype: 'int64', dims: [1], values: [1] },
      { name: 'axes', dtype: 'int64', dims: [1], values: [0] },
    ],
    nodes: [{ op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['y'] }],
  });
  const kept = await fileForBatch(sliced, 1, 4, cache);
  assert.deepEqual([kept.path, kept.batchSize, kept.rebatched], [sliced, 1, false]);
  assert.match(kept.note!, /cannot make the batch dimension dynamic.*does not run at batch 2/);
});
