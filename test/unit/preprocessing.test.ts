import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centerCropOffsets, resizedSize, roundHalfEven } from '../../src/prepare/geometry.js';
import { fromFloat16Bits, normaliseCrops, toFloat16Bits } from '../../src/inputs/normalise.js';
import type { Preprocessing } from '../../src/study/study-spec.js';

test('shorter side resized like torchvision Resize(int): long side truncated', () => {
  assert.deepEqual(resizedSize(500, 375, 256), { width: 341, height: 256 }); // 256*500/375 = 341.33
  assert.deepEqual(resizedSize(375, 500, 256), { width: 256, height: 341 });
  assert.deepEqual(resizedSize(227, 227, 256), { width: 256, height: 256 });
  assert.deepEqual(resizedSize(333, 500, 342), { width: 342, height: 513 }); // 342*500/333 = 513.5
});

test('centre-crop offsets round halves to even, as Python round() in torchvision', () => {
  assert.equal(roundHalfEven(16.5), 16);
  assert.equal(roundHalfEven(17.5), 18);
  assert.equal(roundHalfEven(2.4), 2);
  assert.deepEqual(centerCropOffsets(256, 256, 224), { left: 16, top: 16 });
  assert.deepEqual(centerCropOffsets(341, 256, 224), { left: 58, top: 16 }); // (341-224)/2 = 58.5 -> 58
  assert.throws(() => centerCropOffsets(200, 256, 224), /larger than/);
});

const torchvision: Preprocessing = { resize: 256, crop: 224, channelOrder: 'RGB', scale: 'unit', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW' };
const caffe: Preprocessing = { resize: 256, crop: 224, channelOrder: 'BGR', scale: 'byte', mean: [104, 117, 123], std: [1, 1, 1], layout: 'NCHW' };

test('normalisation: NCHW planes, scale, mean/std, each value checked against the formula', () => {
  // A 2x2 crop, pixels (r,g,b) = (10k, 10k+1, 10k+2) for k = 0..3.
  const crop = 2;
  const px = new Uint8Array(12).map((_, i) => 10 * Math.floor(i / 3) + (i % 3));
  const out = normaliseCrops(px, 1, crop, torchvision);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 4; k++) {
      const expected = (px[k * 3 + c]! / 255 - torchvision.mean[c]!) / torchvision.std[c]!;
      assert.ok(Math.abs(out[c * 4 + k]! - expected) < 1e-5, `c${c} k${k}`);
    }
  }
});

test('normalisation: BGR swaps channels before the per-channel mean; NHWC keeps pixels interleaved', () => {
  const px = Uint8Array.from([200, 100, 50]); // one RGB pixel
  assert.deepEqual(Array.from(normaliseCrops(px, 1, 1, caffe)), [50 - 104, 100 - 117, 200 - 123]);
  const nhwc = normaliseCrops(Uint8Array.from([0, 0, 0, 255, 255, 255]), 2, 1, { ...torchvision, layout: 'NHWC' });
  assert.ok(Math.abs(nhwc[3]! - (1 - 0.485) / 0.229) < 1e-5);
});

test('float16 round trip keeps values within half precision', () => {
  const values = Float32Array.from([0, 1, -2.5, 123.4, -0.001]);
  const back = fromFloat16Bits(toFloat16Bits(values));
  values.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= Math.abs(v) * 1e-3 + 1e-6, `${v} -> ${back[i]}`));
});
