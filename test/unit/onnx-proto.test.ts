/**
 * loadOnnxModel / describeModelIo: parsing real kit models, zero-copy initializers, external data,
 * and the plain-words errors for files that are missing, truncated or not ONNX.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { buildModel, tensorBytes, type BuildSpec, type BuildTensor } from '../../src/onnx/build-model.js';
import { describeModelIo } from '../../src/onnx/model-io.js';
import { loadOnnxModel, OnnxModelError } from '../../src/onnx/onnx-proto.js';
import { profileModel } from '../../src/profile/profile.js';

const KIT = process.env.DNNBENCH_KIT ?? path.resolve('../shared/kit');
const kitModel = (f: string) => path.join(KIT, 'models', f);
const hasKit = existsSync(path.join(KIT, 'models'));
const SQUEEZENET = 'squeezenet1.1_zoo-weights_opset13.onnx';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-onnx-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts `p` rejects with an OnnxModelError of the given kind whose message names the file. */
async function rejectsWith(p: Promise<unknown>, file: string, problem: OnnxModelError['problem'], words: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OnnxModelError, `expected OnnxModelError, got ${String(err)}`);
    assert.ok(err instanceof InputError);
    assert.equal(err.nonRetryable, true);
    assert.equal(err.problem, problem);
    assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
    assert.match(err.message, words);
    // No protobuf internals leak into the message.
    assert.doesNotMatch(err.message, /index out of range|wire type/);
    return true;
  });
}

test('missing file', async () => {
  const file = path.join(dir, 'nope.onnx');
  await rejectsWith(loadOnnxModel(file), file, 'missing', /does not exist/);
});

test('empty file', async () => {
  const file = path.join(dir, 'empty.onnx');
  await writeFile(file, '');
  await rejectsWith(loadOnnxModel(file), file, 'empty', /empty/);
});

test('a text file and a JPEG are not ONNX', async () => {
  const text = path.join(dir, 'notes.onnx');
  await writeFile(text, 'this is a plain text file, not a model\n'.repeat(20));
  await rejectsWith(loadOnnxModel(text), text, 'not-onnx', /not an ONNX model/);

  const jpeg = path.join(dir, 'photo.onnx');
  // A JPEG header followed by noise: starts with 0xFF 0xD8, like any JPEG.
  const bytes = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  await writeFile(jpeg, bytes);
  await rejectsWith(loadOnnxModel(jpeg), jpeg, 'not-onnx', /not an ONNX model/);
});

test('a real JPEG from the kit is not ONNX', { skip: !hasKit && 'kit not found' }, async () => {
  const folder = path.join(KIT, 'images', 'val_orig');
  const jpeg = path.join(folder, (await readdir(folder)).find((f) => f.endsWith('.JPEG')) as string);
  await rejectsWith(loadOnnxModel(jpeg), jpeg, 'not-onnx', /not an ONNX model/);
});

test('truncated copies of a real model', { skip: !hasKit && 'kit not found' }, async () => {
  const full = await readFile(kitModel(SQUEEZENET));
  for (const keep of [0.5, 0.999, 100 / full.length]) {
    const file = path.join(dir, `truncated-${keep}.onnx`);
    await writeFile(file, full.subarray(0, Math.floor(full.length * keep)));
    await rejectsWith(loadOnnxModel(file), file, 'truncated', /truncated or corrupt/);
  }
});

test('initializers are views into the file buffer, not copies', { skip: !hasKit && 'kit not found' }, async () => {
  const model = await loadOnnxModel(kitModel('resnet50_keras_opset13.onnx'));
  const inits = model.proto.graph?.initializer ?? [];
  assert.equal(inits.length, 320);
  for (const t of inits) assert.equal(t.raw_data?.buffer, model.bytes.buffer);
  assert.equal(model.fileBytes, 102_580_640);
});

const externalSpec = (location: string): { spec: BuildSpec; tensors: BuildTensor[] } => {
  // Two weights in one external file; the second at a page-aligned offset as the ONNX docs advise.
  const w = { name: 'w', dims: [4, 3, 3, 3], values: Array.from({ length: 108 }, (_, i) => i / 100), external: { location, offset: 0 } };
  const b = { name: 'b', dims: [4], values: [1, 2, 3, 4], external: { location, offset: 4096 } };
  return {
    tensors: [w, b],
    spec: {
      inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
      outputs: [{ name: 'y' }],
      initializers: [w, b],
      nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }],
    },
  };
};

test('external data is resolved relative to the model folder', async () => {
  const { spec, tensors } = externalSpec('weights.bin');
  const sub = await mkdtemp(path.join(dir, 'ext-'));
  const file = path.join(sub, 'model.onnx');
  await writeFile(file, buildModel(spec));
  const data = new Uint8Array(4096 + 16);
  data.set(tensorBytes(tensors[0]!), 0);
  data.set(tensorBytes(tensors[1]!), 4096);
  await writeFile(path.join(sub, 'weights.bin'), data);

  const model = await loadOnnxModel(file);
  assert.deepEqual(model.externalDataFiles, [path.join(sub, 'weights.bin')]);
  const b = model.proto.graph?.initializer.find((t) => t.name === 'b');
  const raw = b?.raw_data as Uint8Array;
  assert.deepEqual([...new Float32Array(Uint8Array.from(raw).buffer)], [1, 2, 3, 4]);

  // The profile works on it too (onnxruntime runs the inlined copy): MACs = 4·8·8·3·9 = 6,912.
  const p = await profileModel(file);
  assert.equal(p.macs, 6_912);
  assert.equal(p.params, 112);
});

test('missing or short external data is an OnnxModelError', async () => {
  const { spec, tensors } = externalSpec('weights.bin');
  const sub = await mkdtemp(path.join(dir, 'ext-missing-'));
  const file = path.join(sub, 'model.onnx');
  await writeFile(file, buildModel(spec));
  await rejectsWith(loadOnnxModel(file), file, 'external-data', /weights\.bin.*is missing/);

  await writeFile(path.join(sub, 'weights.bin'), tensorBytes(tensors[0]!)); // no room for 'b'
  await rejectsWith(loadOnnxModel(file), file, 'external-data', /too short for initializer 'b'/);

  const escaping = path.join(sub, 'escape.onnx');
  await writeFile(escaping, buildModel(externalSpec('../elsewhere.bin').spec));
  await rejectsWith(loadOnnxModel(escaping), escaping, 'external-data', /outside the model's folder/);
});

test('describeModelIo on the kit models', { skip: !hasKit && 'kit not found' }, async () => {
  // WinML: IR 3 lists all 52 weights as graph inputs too; only the real input is reported.
  const winml = describeModelIo(await loadOnnxModel(kitModel('squeezenet1.1_caffe2_fp16_winml.onnx')));
  assert.deepEqual(winml.inputs, [{ name: 'data_0', dims: [1, 3, 224, 224], dtype: 'float16' }]);
  assert.deepEqual(winml.outputs, [{ name: 'softmaxout_1', dims: [1, 1000, 1, 1], dtype: 'float16' }]);
  assert.equal(winml.fixedBatch, 1);
  assert.equal(winml.opset, 7);
  assert.equal(winml.irVersion, 3);
  assert.equal(winml.producer.name, 'onnx-caffe2');

  const mnv2 = describeModelIo(await loadOnnxModel(kitModel('mobilenetv2-12-int8.onnx')));
  assert.deepEqual(mnv2.inputs, [{ name: 'input', dims: ['batch_size', 3, 224, 224], dtype: 'float32' }]);
  assert.equal(mnv2.fixedBatch, null);
  assert.equal(mnv2.opset, 12);
  assert.equal(mnv2.opsets['com.microsoft'], 1);
  assert.equal(mnv2.producer.name, 'onnx.quantize');

  const tf = describeModelIo(await loadOnnxModel(kitModel('squeezenet1.0_tflite2018_opset13.onnx')));
  assert.deepEqual(tf.outputs, [{ name: 'probs', dims: ['N', 1001], dtype: 'float32' }]);
  assert.equal(tf.opset, 13);
});
