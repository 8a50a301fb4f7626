/**
 * The WebAssembly SIMD normaliser: the committed bytes are the .wat source assembled, and its
 * inputs equal normaliseCrops' bit for bit (which test/unit/normalize-reference.test.ts ties to the
 * Python reference), for groups of sixteen pixels and the tail after them, both channel orders,
 * padding rows, unaligned crops and memory growth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimdNormaliser } from '../../src/inputs/simd-normalise.js';
import { SIMD_NORMALISE_WASM } from '../../src/inputs/simd-normalise-wasm.js';
import { normaliseCrops } from '../../src/inputs/normalise.js';
import type { Preprocessing } from '../../src/study/study-spec.js';
import { assemble } from '../../scripts/build-wasm.js';

test('the committed WebAssembly is simd-normalise.wat assembled (npm run build:wasm)', async () => {
  assert.equal(Buffer.from(await assemble()).toString('base64'), SIMD_NORMALISE_WASM);
});

function bytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
}

const torchvision = (crop: number): Preprocessing => ({ resize: crop, crop, channelOrder: 'RGB', scale: 'unit', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW' });
const caffe = (crop: number): Preprocessing => ({ resize: crop, crop, channelOrder: 'BGR', scale: 'byte', mean: [103.939, 116.779, 123.68], std: [1, 1, 1], layout: 'NCHW' });

test('equals normaliseCrops bit for bit: whole groups, tails, both channel orders, zero padding rows', () => {
  assert.ok(SimdNormaliser.supports(torchvision(4), 'float32'), 'Node has WebAssembly SIMD');
  assert.ok(!SimdNormaliser.supports(torchvision(4), 'float16') && !SimdNormaliser.supports({ ...torchvision(4), layout: 'NHWC' }, 'float32'));
  // 4x4 = one group of 16; 5x5 = a group and 9 left over; 3x3 = tail only; 23x23 = 33 groups + 1.
  for (const crop of [4, 5, 3, 23]) {
    for (const p of [torchvision(crop), caffe(crop)]) {
      const simd = new SimdNormaliser(p, crop);
      const per = crop * crop * 3;
      for (const [n, rows, seed] of [[3, 3, 1], [2, 4, 2], [1, 1, 3]] as const) {
        const px = bytes(n * per, seed + crop);
        const got = simd.fill(px, n, rows);
        assert.equal(got.length, rows * per);
        const want = normaliseCrops(px, n, crop, p);
        assert.deepEqual(new Uint32Array(got.slice(0, n * per).buffer), new Uint32Array(want.buffer), `crop ${crop} ${p.channelOrder} n ${n}`);
        // The first call left values where these padding rows are: they must be zeros now.
        assert.ok(got.subarray(n * per).every((v) => Object.is(v, 0)), `padding rows of crop ${crop} n ${n} rows ${rows}`);
      }
    }
  }
});

test('crops at any byte offset, and batches larger than the memory so far', () => {
  const crop = 224;
  const p = torchvision(crop);
  const per = crop * crop * 3;
  const simd = new SimdNormaliser(p, crop);
  const small = bytes(per + 1, 5).subarray(1); // off a word boundary
  assert.deepEqual(simd.fill(small, 1, 1), normaliseCrops(small, 1, crop, p));
  const big = bytes(6 * per, 6); // grows the kernel's memory past 16 MB
  const got = simd.fill(big, 6, 6);
  assert.deepEqual(new Uint32Array(got.slice().buffer), new Uint32Array(normaliseCrops(big, 6, crop, p).buffer));
  assert.throws(() => simd.fill(small, 2, 2), RangeError);
});
