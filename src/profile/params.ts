/**
 * Parameter count and weight bytes (SPEC.md §2, "Parameters").
 *
 * params = elements of the learned tensors stored in the model. A stored tensor is learned when at
 * least one node reads it in a *data* position. Positions that hold configuration or statistics are
 * not data:
 *   - BatchNormalization running mean / variance (inputs 3, 4);
 *   - shape-like operands: Shape's input, Reshape/Expand/Tile/... shape inputs, Slice bounds, Pad
 *     amounts, Resize scales, Clip bounds, Gather indices, ...;
 *   - quantization scales and zero points (QuantizeLinear/DequantizeLinear/QLinear* inputs).
 * Element types: float tensors (fp32/fp16/bf16/fp64/fp8) are learned per the rule above. Integer
 * tensors are learned only in a data position of a quantized op (QLinear*, ConvInteger,
 * MatMulInteger, DequantizeLinear): these are the quantized weights (int8/uint8) and quantized
 * biases (int32). Every other integer tensor is a shape or index constant and is not counted.
 * Stored tensors nothing reads are not counted either.
 *
 * weight_bytes = bytes of every stored tensor (initializers, Constant-node values, sparse
 * initializers), whatever its role: that is what a runtime loads.
 */
import type { GraphProto, TensorProto } from '../onnx/onnx-types.js';
import { constantTensors, consumers, type Use } from '../onnx/graph-utils.js';
import { dtypeKind, dtypeName, tensorByteLength, tensorNumel } from '../onnx/tensor-data.js';
import { toNumber } from '../onnx/onnx-types.js';

type Slots = ReadonlySet<number> | 'all';
const s = (...xs: number[]): ReadonlySet<number> => new Set(xs);

/** op type → input positions that are configuration / statistics, not learned data. */
const NON_DATA_SLOTS: Readonly<Record<string, Slots>> = {
  BatchNormalization: s(3, 4),
  Shape: 'all',
  Size: 'all',
  ConstantOfShape: 'all',
  Range: 'all',
  Reshape: s(1),
  Expand: s(1),
  Tile: s(1),
  Slice: s(1, 2, 3, 4),
  Pad: s(1, 2, 3),
  Squeeze: s(1),
  Unsqueeze: s(1),
  Split: s(1),
  Resize: s(1, 2, 3),
  Upsample: s(1),
  TopK: s(1),
  Gather: s(1),
  GatherElements: s(1),
  GatherND: s(1),
  ScatterElements: s(1),
  ScatterND: s(1),
  OneHot: s(1, 2),
  CumSum: s(1),
  Clip: s(1, 2),
  ReduceMean: s(1),
  ReduceSum: s(1),
  ReduceMax: s(1),
  ReduceMin: s(1),
  // Quantization parameters. QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B.
  QuantizeLinear: s(1, 2),
  DequantizeLinear: s(1, 2),
  QLinearConv: s(1, 2, 4, 5, 6, 7),
  QLinearMatMul: s(1, 2, 4, 5, 6, 7),
  QLinearAdd: s(1, 2, 4, 5, 6, 7),
  QLinearMul: s(1, 2, 4, 5, 6, 7),
  QLinearGlobalAveragePool: s(1, 2, 3, 4),
  QLinearAveragePool: s(1, 2, 3, 4),
  QLinearSigmoid: s(1, 2, 3, 4),
  QLinearLeakyRelu: s(1, 2, 3, 4),
  ConvInteger: s(2, 3),
  MatMulInteger: s(2, 3),
};

/** Ops whose data inputs may legitimately be integer tensors holding quantized weights. */
const QUANTIZED_OPS = new Set([
  'QLinearConv', 'QLinearMatMul', 'QLinearAdd', 'QLinearMul', 'QLinearConcat', 'ConvInteger',
  'MatMulInteger', 'DequantizeLinear',
]);

function isDataSlot(use: Use): boolean {
  const op = use.node.op_type;
  // QLinearConcat: y_scale, y_zp, then (x, x_scale, x_zp) per input: only the x's are data.
  if (op === 'QLinearConcat') return use.index >= 2 && (use.index - 2) % 3 === 0;
  const slots = NON_DATA_SLOTS[op];
  if (slots === 'all') return false;
  return !slots || !slots.has(use.index);
}

export function isLearned(t: TensorProto, uses: readonly Use[]): boolean {
  const kind = dtypeKind(dtypeName(t.data_type));
  const dataUses = uses.filter(isDataSlot);
  if (kind === 'float') return dataUses.length > 0;
  if (kind === 'int') return dataUses.some((u) => QUANTIZED_OPS.has(u.node.op_type));
  return false;
}

export interface ParamCount {
  params: number;
  weightBytes: number;
}

export function countParams(graph: GraphProto): ParamCount {
  const uses = consumers(graph);
  let params = 0;
  let weightBytes = 0;
  for (const [name, t] of constantTensors(graph)) {
    weightBytes += tensorByteLength(t);
    if (isLearned(t, uses.get(name) ?? [])) params += tensorNumel(t);
  }
  for (const sp of graph.sparse_initializer) {
    if (!sp.values) continue;
    weightBytes += tensorByteLength(sp.values) + (sp.indices ? tensorByteLength(sp.indices) : 0);
    // A sparse weight's learned elements are its dense elements (the zeros are part of the model).
    if (isLearned(sp.values, uses.get(sp.values.name) ?? [])) {
      params += sp.dims.reduce<number>((n, d) => n * toNumber(d), 1);
    }
  }
  return { params, weightBytes };
}
