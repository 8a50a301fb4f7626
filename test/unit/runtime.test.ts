/**
 * The runtime interface on real kit models: opened through the registry, their interface read as
 * the kit's manifest records it, run, disposed; and the clear errors for an unknown runtime, an
 * unknown execution provider, a file that is not a model, and a self-timed runtime asked to run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Float16Array } from '@petamoriken/float16';
import { inProcessRuntime, providerColumn, runtimeById, runtimeFacts } from '../../src/runtime/registry.js';
import type { Tensor } from '../../src/runtime/runtime.js';
import { InputError } from '../../src/errors.js';
import { KIT } from '../helpers/cli.js';

interface KitModel { id: string; file: string; input: { name: string; shape: (number | string)[]; dtype: string }; output: { name: string; shape: (number | string)[]; dtype: string } }
const manifest = JSON.parse(await readFile(path.join(KIT, 'manifest.json'), 'utf8')) as { models: KitModel[] };
const kitModel = (id: string) => manifest.models.find((m) => m.id === id)!;

/** n images of seeded noise in [0, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * 3 * 224 * 224 }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32));
}

test('a kit model opened through the registry: its interface as the manifest records it, runs, facts', async () => {
  const entry = kitModel('squeezenet1.1_zoo-weights_opset13');
  const onnxruntime = inProcessRuntime('onnxruntime');
  const handle = await onnxruntime.open(path.join(KIT, entry.file), { provider: 'cpu', threads: 1 });
  try {
    assert.deepEqual(handle.inputs.map((v) => [v.name, v.dtype, v.dims[1], v.dims[2], v.dims[3]]), [[entry.input.name, entry.input.dtype, ...entry.input.shape.slice(1)]]);
    assert.equal(typeof handle.inputs[0]!.dims[0], 'string', 'the batch is symbolic');
    assert.deepEqual(handle.outputs.map((v) => [v.name, v.dtype]), [[entry.output.name, entry.output.dtype]]);
    assert.equal(handle.fixedBatch, null);
    assert.deepEqual(handle.facts, { runtime: 'onnxruntime', provider: 'cpu', threads: 1, version: runtimeFacts().onnxruntime.version });
    assert.ok(runtimeFacts().onnxruntime.backends.includes('cpu'));

    const two = noise(2, 7);
    const batch: Tensor = { type: 'float32', data: two, dims: [2, 3, 224, 224] };
    const out = await handle.run({ data: batch });
    const logits = out[entry.output.name]!;
    assert.deepEqual([logits.type, logits.dims], ['float32', [2, 1000]]);
    // Each row is its own image's: the first image alone gives the first row.
    const first = await handle.run({ data: { type: 'float32', data: two.slice(0, 3 * 224 * 224), dims: [1, 3, 224, 224] } });
    const a = (logits.data as Float32Array).subarray(0, 1000);
    const b = first[entry.output.name]!.data as Float32Array;
    assert.ok(a.every((x, i) => Math.abs(x - b[i]!) < 1e-3), 'row 0 of the batch equals the image run alone');
    assert.notDeepEqual(Array.from(a), Array.from((logits.data as Float32Array).subarray(1000)), 'the two images score differently');
    // A feeds tensor run again (as a timed loop does) reads its data as it is then, not as first seen.
    const before = Array.from(logits.data as Float32Array);
    two.set(noise(2, 99));
    const again = Array.from((await handle.run({ data: batch }))[entry.output.name]!.data as Float32Array);
    const fresh = Array.from((await handle.run({ data: { ...batch } }))[entry.output.name]!.data as Float32Array);
    assert.notDeepEqual(again, before);
    assert.deepEqual(again, fresh);
  } finally {
    await handle.dispose();
  }
});

test('a runtime variant\'s allocator switches (CPU arena and memory patterns off) open the same model and compute the same scores', async () => {
  const entry = kitModel('squeezenet1.1_zoo-weights_opset13');
  const onnxruntime = inProcessRuntime('onnxruntime');
  const batch: Tensor = { type: 'float32', data: noise(2, 5), dims: [2, 3, 224, 224] };
  const scores = async (options: Parameters<typeof onnxruntime.open>[1]) => {
    const handle = await onnxruntime.open(path.join(KIT, entry.file), options);
    try {
      return Array.from((await handle.run({ data: batch }))[entry.output.name]!.data as Float32Array);
    } finally {
      await handle.dispose();
    }
  };
  const plain = await scores({ provider: 'cpu', threads: 1 });
  assert.deepEqual(await scores({ provider: 'cpu', threads: 1, cpuMemArena: false, memPattern: false }), plain);
});

test('a fixed-batch fp16 kit model: its fixed batch, and its in-graph softmax sums to 1', async () => {
  const entry = kitModel('squeezenet1.1_caffe2_fp16_winml');
  const handle = await inProcessRuntime('onnxruntime').open(path.join(KIT, entry.file));
  try {
    assert.equal(handle.fixedBatch, entry.input.shape[0]);
    assert.deepEqual(handle.inputs.map((v) => [v.name, v.dtype, [...v.dims]]), [[entry.input.name, 'float16', entry.input.shape]]);
    const bits = new Uint16Array(new Float16Array(noise(1, 3).map((x) => x * 255)).buffer);
    const out = (await handle.run({ [entry.input.name]: { type: 'float16', data: bits, dims: [1, 3, 224, 224] } }))[entry.output.name]!;
    assert.equal(out.type, 'float16');
    const sum = Array.from(new Float16Array((out.data as Uint16Array).buffer, (out.data as Uint16Array).byteOffset, 1000)).reduce((s, p) => s + p, 0);
    assert.ok(Math.abs(sum - 1) < 0.01, `softmax sums to ${sum}`);
  } finally {
    await handle.dispose();
  }
});

test('an unknown runtime, an unknown provider, a file that is no model: errors that say so', async () => {
  assert.throws(() => runtimeById('tvm'), (e: Error) => e instanceof InputError && /unknown runtime "tvm": dnnbench has onnxruntime, trtexec/.test(e.message));
  assert.throws(() => inProcessRuntime('trtexec'), /runtime "trtexec" runs and times models in a process of its own/);
  const model = path.join(KIT, kitModel('mobilenetv2-12-int8').file);
  await assert.rejects(
    inProcessRuntime('onnxruntime').open(model, { provider: 'rocm' as 'cpu' }),
    (e: Error) => e instanceof InputError && e.message.includes('no execution provider "rocm" (it has cpu, cuda, tensorrt)') && e.message.includes(model),
  );
  const junk = path.join(await mkdtemp(path.join(os.tmpdir(), 'dnnbench-runtime-')), 'junk.onnx');
  await writeFile(junk, 'not a model');
  await assert.rejects(inProcessRuntime('onnxruntime').open(junk), (e: Error) => e instanceof InputError && e.message.startsWith(`onnxruntime cannot load model ${junk}: `));
});

test('the provider column: the execution provider, or trtexec for TensorRT\'s tool', () => {
  assert.equal(runtimeById('trtexec').kind, 'self-timed');
  assert.equal(providerColumn({ provider: 'cuda' }), 'cuda');
  assert.equal(providerColumn({ runtime: 'onnxruntime', provider: 'tensorrt' }), 'tensorrt');
  assert.equal(providerColumn({ runtime: 'trtexec', provider: 'cpu' }), 'trtexec');
});
