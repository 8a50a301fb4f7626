/**
 * An instance's batch inputs (src/serving/batch-inputs.ts): consecutive samples run from a view of
 * the instance's own copy, anything else from a filled scratch input; and onnxruntime reads a view
 * at its offset (a runtime that took the view's whole buffer would score sample 0 for every batch).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { BatchInputs, ownCopy } from '../../src/serving/batch-inputs.js';
import { inProcessRuntime } from '../../src/runtime/registry.js';
import { KIT } from '../helpers/cli.js';

const DIMS = [3, 224, 224];
const PER = 3 * 224 * 224;

/** `count` samples back to back in shared memory, each of seeded noise of its own. */
function sharedSamples(count: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(count * PER * 4);
  const v = new Float32Array(buffer);
  let s = 11;
  for (let i = 0; i < v.length; i++) v[i] = (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return buffer;
}

const sample = (values: Float32Array, s: number) => values.subarray(s * PER, (s + 1) * PER);

test('a run of consecutive samples is a view of the copy; a wrapped or padded batch is a filled copy', () => {
  const shared = sharedSamples(4);
  const values = ownCopy(shared, 'float32') as Float32Array;
  assert.ok(!(values.buffer instanceof SharedArrayBuffer), 'the copy is the instance\'s own memory');
  assert.deepEqual(values, new Float32Array(shared));
  const inputs = new BatchInputs(values, 'float32', DIMS);

  const run = inputs.inputFor([1, 2], 2);
  assert.equal(run.data.buffer, values.buffer, 'no copy');
  assert.equal(run.data.byteOffset, PER * 4);
  assert.deepEqual(run.dims, [2, 3, 224, 224]);
  assert.deepEqual(run.data, values.subarray(PER, 3 * PER));

  const wrapped = inputs.inputFor([3, 0], 2);
  assert.notEqual(wrapped.data.buffer, values.buffer);
  assert.deepEqual((wrapped.data as Float32Array).subarray(0, PER), sample(values, 3));
  assert.deepEqual((wrapped.data as Float32Array).subarray(PER), sample(values, 0));
  assert.equal(inputs.inputFor([2, 1], 2), wrapped, 'one scratch input per row count, refilled');
  assert.deepEqual((wrapped.data as Float32Array).subarray(0, PER), sample(values, 2));

  const padded = inputs.inputFor([2], 4);
  assert.deepEqual(padded.dims, [4, 3, 224, 224]);
  assert.notEqual(padded.data.buffer, values.buffer);
  assert.deepEqual((padded.data as Float32Array).subarray(0, PER), sample(values, 2));
});

test('float16 samples keep their bits and type', () => {
  const shared = new SharedArrayBuffer(2 * 4 * 2);
  new Uint16Array(shared).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const values = ownCopy(shared, 'float16');
  assert.ok(values instanceof Uint16Array);
  const inputs = new BatchInputs(values, 'float16', [4]);
  const one = inputs.inputFor([1], 1);
  assert.equal(one.type, 'float16');
  assert.deepEqual([...one.data as Uint16Array], [5, 6, 7, 8]);
  assert.deepEqual([...inputs.inputFor([1, 0], 2).data as Uint16Array], [5, 6, 7, 8, 1, 2, 3, 4]);
});

test('onnxruntime scores a view at its offset: the same scores as the sample copied on its own', async () => {
  const values = ownCopy(sharedSamples(3), 'float32') as Float32Array;
  const inputs = new BatchInputs(values, 'float32', DIMS);
  const handle = await inProcessRuntime('onnxruntime').open(path.join(KIT, 'models/squeezenet1.1_zoo-weights_opset13.onnx'), { provider: 'cpu', threads: 1 });
  try {
    const name = handle.inputs[0]!.name;
    const scores = async (data: Float32Array) => [...Object.values(await handle.run({ [name]: { type: 'float32', data, dims: [1, ...DIMS] } }))[0]!.data as Float32Array];
    const fromView = [...Object.values(await handle.run({ [name]: inputs.inputFor([2], 1) }))[0]!.data as Float32Array];
    assert.deepEqual(fromView, await scores(Float32Array.from(sample(values, 2))));
    assert.notDeepEqual(fromView, await scores(Float32Array.from(sample(values, 0))), 'the samples score differently, so the check can fail');
  } finally {
    await handle.dispose();
  }
});
