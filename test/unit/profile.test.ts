/**
 * profileModel on small graphs built in code. Every expected number is worked out by hand in the
 * comments, from the definitions in SPEC.md §2 / docs/PROFILE.md:
 *   Conv MACs = N·Cout·Hout·Wout·(Cin/groups)·Kh·Kw, Gemm/MatMul MACs = M·N·K,
 *   FLOPs = 2·MACs + bias (1/output) + element-wise (1/output) + BN (2/output)
 *         + MaxPool (Kh·Kw−1)/output + AveragePool Kh·Kw/output + Softmax 3/output.
 * Shapes are measured by onnxruntime (no value_info) unless a test says otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildModel, type BuildSpec } from '../../src/onnx/build-model.js';
import { profileModel } from '../../src/profile/profile.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-profile-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
async function profile(spec: BuildSpec, opts: Parameters<typeof profileModel>[1] = {}) {
  const file = path.join(dir, `m${seq++}.onnx`);
  await writeFile(file, buildModel(spec));
  return profileModel(file, opts);
}

test('grouped conv with bias', async () => {
  // X [1,8,10,10], W [16,4,3,3], groups 2, pads 1 → Y [1,16,10,10].
  // MACs = 1·16·10·10·(8/2)·3·3 = 57,600; FLOPs = 2·57,600 + 1,600 (bias) = 116,800.
  // params = 16·4·3·3 + 16 = 592.
  const p = await profile({
    inputs: [{ name: 'x', dims: ['N', 8, 10, 10] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [16, 4, 3, 3] }, { name: 'b', dims: [16] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { group: 2, pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }],
  });
  assert.equal(p.macs, 57_600);
  assert.equal(p.flops, 116_800);
  assert.equal(p.params, 592);
  assert.equal(p.weight_bytes, 592 * 4);
  assert.deepEqual(p.input_shape, [1, 8, 10, 10]);
  assert.deepEqual(p.by_op_type, { Conv: { count: 1, macs: 57_600, flops: 116_800 } });
  assert.deepEqual(p.uncounted_ops, []);
  assert.equal(p.shape_source, 'onnxruntime');
});

test('strided, padded conv (symmetric and asymmetric pads)', async () => {
  // a: X [1,3,32,32], W [8,3,5,5], stride 2, pads 2 → Hout = ⌊(32+4−5)/2⌋+1 = 16.
  //    MACs = 8·16·16·3·5·5 = 153,600.
  // b: on a's output [1,8,16,16], W [4,8,3,3], stride 2, pads [0,0,1,1] (bottom/right only)
  //    → Hout = ⌊(16+1−3)/2⌋+1 = 8. MACs = 4·8·8·8·3·3 = 18,432.
  // No biases: FLOPs = 2·(153,600 + 18,432) = 344,064.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 3, 32, 32] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w1', dims: [8, 3, 5, 5] }, { name: 'w2', dims: [4, 8, 3, 3] }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: { strides: [2, 2], pads: [2, 2, 2, 2] } },
      { op: 'Conv', inputs: ['a', 'w2'], outputs: ['y'], attrs: { strides: [2, 2], pads: [0, 0, 1, 1] } },
    ],
  });
  assert.equal(p.macs, 153_600 + 18_432);
  assert.equal(p.flops, 344_064);
});

test('dilated conv', async () => {
  // X [1,4,20,20], W [6,4,3,3], dilation 2 → effective kernel 5, Hout = 20−5+1 = 16.
  // MACs = 6·16·16·4·3·3 = 55,296; FLOPs = 110,592.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 4, 20, 20] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [6, 4, 3, 3] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { dilations: [2, 2] } }],
  });
  assert.equal(p.macs, 55_296);
  assert.equal(p.flops, 110_592);
});

test('depthwise conv with bias', async () => {
  // X [1,32,14,14], W [32,1,3,3], groups 32, pads 1 → Y [1,32,14,14] (6,272 elements).
  // MACs = 32·14·14·(32/32)·3·3 = 56,448; FLOPs = 112,896 + 6,272 = 119,168. params = 288 + 32.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 32, 14, 14] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [32, 1, 3, 3] }, { name: 'b', dims: [32] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { group: 32, pads: [1, 1, 1, 1] } }],
  });
  assert.equal(p.macs, 56_448);
  assert.equal(p.flops, 119_168);
  assert.equal(p.params, 320);
});

test('Gemm (transB, bias), batched MatMul and Softmax', async () => {
  // Gemm: X [1,64] · W[10,64]ᵀ + C[10] → [1,10]: MACs = 1·10·64 = 640, FLOPs = 1,280 + 10 = 1,290.
  // MatMul: Z [1,5,64] · V [64,32] → [1,5,32]: MACs = 5·32·64 = 10,240, FLOPs = 20,480.
  // Softmax on [1,10]: 3·10 = 30 FLOPs.
  // params = 640 + 10 + 2,048 = 2,698.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 64] }, { name: 'z', dims: [1, 5, 64] }],
    outputs: [{ name: 'y' }, { name: 'm' }],
    initializers: [{ name: 'w', dims: [10, 64] }, { name: 'c', dims: [10] }, { name: 'v', dims: [64, 32] }],
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w', 'c'], outputs: ['g'], attrs: { transB: 1 } },
      { op: 'Softmax', inputs: ['g'], outputs: ['y'] },
      { op: 'MatMul', inputs: ['z', 'v'], outputs: ['m'] },
    ],
  });
  assert.equal(p.by_op_type.Gemm?.macs, 640);
  assert.equal(p.by_op_type.Gemm?.flops, 1_290);
  assert.equal(p.by_op_type.MatMul?.macs, 10_240);
  assert.equal(p.by_op_type.Softmax?.flops, 30);
  assert.equal(p.macs, 10_880);
  assert.equal(p.flops, 1_290 + 20_480 + 30);
  assert.equal(p.params, 2_698);
});

test('max, average and global average pooling', async () => {
  // X [1,16,32,32].
  // MaxPool k3 s2 p1 → [1,16,16,16] (4,096 outputs): (3·3−1)·4,096 = 32,768.
  // AveragePool k2 s2 → [1,16,16,16]: 2·2·4,096 = 16,384.
  // GlobalAveragePool → [1,16,1,1]: 16 outputs × 32·32 inputs = 16,384.
  // GlobalMaxPool → [1,16,1,1]: 16 × (1,024 − 1) = 16,368.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 16, 32, 32] }],
    outputs: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'AveragePool', inputs: ['x'], outputs: ['b'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['c'] },
      { op: 'GlobalMaxPool', inputs: ['x'], outputs: ['d'] },
    ],
  });
  assert.equal(p.by_op_type.MaxPool?.flops, 32_768);
  assert.equal(p.by_op_type.AveragePool?.flops, 16_384);
  assert.equal(p.by_op_type.GlobalAveragePool?.flops, 16_384);
  assert.equal(p.by_op_type.GlobalMaxPool?.flops, 16_368);
  assert.equal(p.macs, 0);
  assert.equal(p.params, 0);
});

/**
 * X [1,3,8,8] → Conv(W1 [4,3,3,3], pad 1) → BN(4 channels) → Relu → Conv(W2 [2,4,1,1]) → Y [1,2,8,8].
 * MACs: conv1 4·8·8·3·9 = 6,912; conv2 2·8·8·4 = 512 → 7,424.
 * FLOPs: 2·7,424 + BN 2·256 + Relu 256 = 15,616.
 * params: 108 + 8 (BN scale, bias; mean/var excluded) + 8 = 124. weight bytes: (108+16+8)·4 = 528.
 * Traffic: conv1, BN and Relu write one fused buffer of 256 floats = 1,024 B, the only
 *   intermediate: 528 + 2·1,024 = 2,576 B.
 * Liveness: step 0 (conv1) X 768 B + buffer 1,024 B = 1,792 B; later steps hold the buffer plus at
 *   most Y (512 B) → peak 1,792 B; largest activation 1,024 B.
 */
const convBnRelu: BuildSpec = {
  inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
  outputs: [{ name: 'y' }],
  initializers: [
    { name: 'w1', dims: [4, 3, 3, 3] },
    { name: 'scale', dims: [4] }, { name: 'bias', dims: [4] },
    { name: 'mean', dims: [4] }, { name: 'var', dims: [4], values: [1, 1, 1, 1] },
    { name: 'w2', dims: [2, 4, 1, 1] },
  ],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'BatchNormalization', inputs: ['c1', 'scale', 'bias', 'mean', 'var'], outputs: ['b1'] },
    { op: 'Relu', inputs: ['b1'], outputs: ['r1'] },
    { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['y'] },
  ],
};

test('BatchNormalization: FLOPs, params without running stats, folded in the traffic model', async () => {
  const p = await profile(convBnRelu);
  assert.equal(p.macs, 7_424);
  assert.equal(p.by_op_type.BatchNormalization?.flops, 512);
  assert.equal(p.by_op_type.Relu?.flops, 256);
  assert.equal(p.flops, 15_616);
  assert.equal(p.params, 124);
  assert.equal(p.weight_bytes, 528);
  assert.equal(p.traffic_bytes, 2_576);
  assert.equal(p.arithmetic_intensity, 15_616 / 2_576);
  assert.equal(p.peak_live_activation_bytes, 1_792);
  assert.equal(p.largest_activation_bytes, 1_024);
});

test('no fusion when the conv output has a second reader (residual)', async () => {
  // X [1,4,8,8] → Conv(W [4,4,1,1]) → a; r = Relu(a); y = Add(a, r).
  // a has two readers, so Relu cannot be fused: a and r are both stored (256 floats = 1,024 B each).
  // weights 4·4 = 16 floats = 64 B → traffic = 64 + 2·(1,024 + 1,024) = 4,160.
  // Liveness: step 0 X+a = 2,048; step 1 a+r = 2,048; step 2 (Add) a+r+y = 3,072 → peak 3,072.
  // FLOPs = 2·(4·64·4) + 256 (Relu) + 256 (Add) = 2,560.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 4, 8, 8] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [4, 4, 1, 1] }],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['r'] },
      { op: 'Add', inputs: ['a', 'r'], outputs: ['y'] },
    ],
  });
  assert.equal(p.flops, 2_560);
  assert.equal(p.traffic_bytes, 4_160);
  assert.equal(p.peak_live_activation_bytes, 3_072);
});

test('views (Flatten, Dropout) store nothing new; LRN is 2·size+2 per element', async () => {
  // X [1,6,4,4] → LRN(size 5) → l → Dropout → d → Flatten → y [1,96].
  // LRN FLOPs = (2·5+2)·96 = 1,152. l is the only intermediate buffer (d and y alias it, but y is
  // the graph output, so the buffer is the output): traffic = 0 weights + 0 intermediates.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 6, 4, 4] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'LRN', inputs: ['x'], outputs: ['l'], attrs: { size: 5 } },
      { op: 'Dropout', inputs: ['l'], outputs: ['d'] },
      { op: 'Flatten', inputs: ['d'], outputs: ['y'] },
    ],
  });
  assert.equal(p.flops, 1_152);
  assert.equal(p.traffic_bytes, 0);
  assert.equal(p.by_op_type.Dropout?.flops, 0);
  assert.deepEqual(p.uncounted_ops, []);
});

test('params skip shape constants, Clip bounds and tensors that only feed Shape', async () => {
  // x [1,6] → Reshape(shape int64 [1,6]) → Clip(min, max float scalars) → Add(bias [6]) → y;
  // s = Shape(only_shape float [2,3]) is a second output.
  // Learned: bias (6). Not learned: the int64 shape, Clip's min/max, only_shape.
  // FLOPs: Clip 6 + Add 6 = 12.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 6] }],
    outputs: [{ name: 'y' }, { name: 's', dtype: 'int64' }],
    initializers: [
      { name: 'shape', dtype: 'int64', dims: [2], values: [1, 6] },
      { name: 'lo', dims: [], values: [0] }, { name: 'hi', dims: [], values: [6] },
      { name: 'bias', dims: [6] },
      { name: 'only_shape', dims: [2, 3] },
    ],
    nodes: [
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
      { op: 'Clip', inputs: ['r', 'lo', 'hi'], outputs: ['c'] },
      { op: 'Add', inputs: ['c', 'bias'], outputs: ['y'] },
      { op: 'Shape', inputs: ['only_shape'], outputs: ['s'] },
    ],
  });
  assert.equal(p.params, 6);
  assert.equal(p.flops, 12);
  // weight bytes count every stored tensor: 16 + 4 + 4 + 24 + 24.
  assert.equal(p.weight_bytes, 72);
});

test('quantized (QLinearConv) model: counts quantized weights and int32 bias, not scales/zero points', async () => {
  // x float [1,2,4,4] → QuantizeLinear → QLinearConv(w uint8 [3,2,1,1], bias int32 [3]) → DequantizeLinear.
  // params = 6 (w) + 3 (bias) = 9; the 4 scales and 4 zero points are not counted.
  // MACs = 3·4·4·2 = 96; FLOPs = 192 + 48 (bias per output) = 240 integer ops; Q/DQ are 0.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'xs', dims: [], values: [0.05] }, { name: 'xz', dtype: 'uint8', dims: [], values: [128] },
      { name: 'w', dtype: 'uint8', dims: [3, 2, 1, 1], values: [130, 120, 128, 140, 100, 128] },
      { name: 'ws', dims: [], values: [0.01] }, { name: 'wz', dtype: 'uint8', dims: [], values: [128] },
      { name: 'ys', dims: [], values: [0.1] }, { name: 'yz', dtype: 'uint8', dims: [], values: [128] },
      { name: 'b', dtype: 'int32', dims: [3], values: [10, -10, 0] },
    ],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
      { op: 'QLinearConv', inputs: ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['yq'] },
      { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
    ],
  });
  assert.equal(p.params, 9);
  assert.equal(p.macs, 96);
  assert.equal(p.flops, 240);
  assert.deepEqual(p.uncounted_ops, []);
});

test('LayerNormalization (opset 17, ConvNeXt): 7 FLOPs per element with a bias, 6 without', async () => {
  // X [1,4,6] → LayerNormalization(axis −1, scale [6], bias [6]) → a → LayerNormalization(axis −1,
  // scale [6], no bias) → y. Per element: mean 1 + variance 3 + normalize 1 + scale 1 (+ bias 1).
  // FLOPs = 7·24 + 6·24 = 312; MACs 0; params = 6 + 6 + 6 = 18.
  const p = await profile({
    opset: 17,
    inputs: [{ name: 'x', dims: [1, 4, 6] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'g1', dims: [6] }, { name: 'b1', dims: [6] }, { name: 'g2', dims: [6] }],
    nodes: [
      { op: 'LayerNormalization', inputs: ['x', 'g1', 'b1'], outputs: ['a'], attrs: { axis: -1 } },
      { op: 'LayerNormalization', inputs: ['a', 'g2'], outputs: ['y'], attrs: { axis: -1 } },
    ],
  });
  assert.deepEqual(p.uncounted_ops, []);
  assert.deepEqual(p.by_op_type.LayerNormalization, { count: 2, macs: 0, flops: 312 });
  assert.equal(p.macs, 0);
  assert.equal(p.params, 18);
});

test('an op without a counting rule is reported, not silently zero', async () => {
  // Hardmax has no rule: it must appear in uncounted_ops; the Relu (10 FLOPs) is still counted.
  const p = await profile({
    inputs: [{ name: 'x', dims: [1, 10] }],
    outputs: [{ name: 'y' }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      { op: 'Hardmax', inputs: ['r'], outputs: ['y'] },
    ],
  });
  assert.deepEqual(p.uncounted_ops, ['Hardmax']);
  assert.equal(p.by_op_type.Hardmax?.count, 1);
  assert.equal(p.flops, 10);
});

test('complete value_info is used as is, and agrees with a real onnxruntime run', async () => {
  const spec: BuildSpec = {
    ...convBnRelu,
    valueInfo: [
      { name: 'c1', dims: ['N', 4, 8, 8] },
      { name: 'b1', dims: ['N', 4, 8, 8] },
      { name: 'r1', dims: ['N', 4, 8, 8] },
    ],
    outputs: [{ name: 'y', dims: ['N', 2, 8, 8] }],
  };
  const fromValueInfo = await profile(spec);
  const fromRuntime = await profile(spec, { shapeSource: 'onnxruntime' });
  assert.equal(fromValueInfo.shape_source, 'value_info');
  assert.equal(fromRuntime.shape_source, 'onnxruntime');
  assert.deepEqual({ ...fromValueInfo, shape_source: null, file_bytes: 0 }, { ...fromRuntime, shape_source: null, file_bytes: 0 });
  assert.equal(fromValueInfo.macs, 7_424);
});

test('a symbolic spatial dim needs inputDims', async () => {
  const spec: BuildSpec = {
    inputs: [{ name: 'x', dims: ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [2, 3, 1, 1] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
  };
  await assert.rejects(profile(spec), /symbolic dim 'H' at axis 2/);
  // With 10×10: MACs = 2·10·10·3 = 600.
  const p = await profile(spec, { inputDims: { x: [1, 3, 10, 10] } });
  assert.equal(p.macs, 600);
});
