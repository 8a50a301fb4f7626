/**
 * MACs and FLOPs of one ONNX node, from the real shapes of its inputs and outputs (SPEC.md §2,
 * "Operations"; docs/PROFILE.md has the full table and the reasons).
 *
 *  - Conv family: MACs = numel(Y) · prod(W.dims[1:]) = N·Cout·Hout·Wout·(Cin/groups)·Kh·Kw. Reading
 *    Cin/groups and the kernel off the weight's dims makes grouped, depthwise, strided, dilated and
 *    padded convolutions all exact without re-deriving output sizes from attributes.
 *  - Gemm / MatMul: MACs = M·N·K (per batch element, broadcast batch dims included via numel(Y)).
 *  - FLOPs = 2·MACs, plus 1 per output element for a bias, element-wise ops, BN (2 per element),
 *    pooling (Kh·Kw per average, Kh·Kw−1 comparisons per max), Softmax (3 per element),
 *    LayerNormalization (7 per element with a bias, 6 without).
 *  - Integer ops (QLinearConv, ConvInteger, ...) are counted like their float twins: their "FLOPs" are integer
 *    operations.
 * An op we have no rule for, or whose shapes are unknown, comes back `known: false`; the profile
 * lists it in uncounted_ops rather than silently adding zero.
 */
import type { NodeProto } from '../onnx/onnx-types.js';
import { attrInt, attrInts } from '../onnx/graph-utils.js';
import type { TensorMeta } from './ort-probe.js';
import { product } from '../onnx/tensor-data.js';

export interface OpCost {
  macs: number;
  flops: number;
  known: boolean;
}

export type MetaOf = (name: string | undefined) => TensorMeta | undefined;

const UNKNOWN: OpCost = { macs: 0, flops: 0, known: false };
const ZERO: OpCost = { macs: 0, flops: 0, known: true };

/** Input positions of weight and bias for convolution-like ops. */
const CONV_LIKE: Record<string, { w: number; b?: number }> = {
  Conv: { w: 1, b: 2 },
  ConvInteger: { w: 1 },
  QLinearConv: { w: 3, b: 8 },
  FusedConv: { w: 1, b: 2 }, // com.microsoft, produced by onnxruntime's optimizer
};

/** Input positions of A and B for matrix products (Gemm is handled separately: transposes, C). */
const MATMUL_LIKE: Record<string, { a: number; b: number }> = {
  MatMul: { a: 0, b: 1 },
  MatMulInteger: { a: 0, b: 1 },
  QLinearMatMul: { a: 0, b: 3 },
};

/** One FLOP per output element. */
const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Neg', 'Abs', 'Reciprocal', 'Sqrt', 'Exp', 'Log', 'Erf',
  'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Tanh', 'Atan',
  'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu',
  'Gelu', 'FastGelu', 'Softplus', 'Softsign', 'Mish', 'ThresholdedRelu', 'Shrink',
  'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'Where',
  'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearLeakyRelu',
]);

/** Variadic element-wise ops: n inputs take n−1 operations per output element. */
const VARIADIC = new Set(['Sum', 'Max', 'Min', 'Mean']);

/** Data movement or reinterpretation only: counted, at 0 FLOPs. */
const ZERO_FLOP = new Set([
  'Concat', 'Flatten', 'Reshape', 'Dropout', 'Identity', 'Transpose', 'Squeeze', 'Unsqueeze',
  'QuantizeLinear', 'DequantizeLinear', 'Shape', 'Size', 'Gather', 'GatherElements', 'GatherND',
  'Slice', 'Split', 'Pad', 'Cast', 'CastLike', 'Constant', 'ConstantOfShape', 'Expand', 'Tile',
  'DepthToSpace', 'SpaceToDepth', 'QLinearConcat', 'Range',
]);

const REDUCE = new Set([
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp', 'ArgMax', 'ArgMin',
]);

/** Domains whose op types we interpret: the standard one and onnxruntime's contrib ops. */
const KNOWN_DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);

function numel(m: TensorMeta | undefined): number | undefined {
  return m ? product(m.dims) : undefined;
}

function hasInput(node: NodeProto, i: number): boolean {
  return Boolean(node.input[i]);
}

function convCost(node: NodeProto, meta: MetaOf, spec: { w: number; b?: number }): OpCost {
  const y = numel(meta(node.output[0]));
  const w = meta(node.input[spec.w]);
  if (y === undefined || !w || w.dims.length < 2) return UNKNOWN;
  const macs = y * product(w.dims.slice(1));
  const bias = spec.b !== undefined && hasInput(node, spec.b) ? y : 0;
  return { macs, flops: 2 * macs + bias, known: true };
}

/** ConvTranspose scatters each input element through a (Cout/groups)·K kernel slice. */
function convTransposeCost(node: NodeProto, meta: MetaOf): OpCost {
  const x = numel(meta(node.input[0]));
  const y = numel(meta(node.output[0]));
  const w = meta(node.input[1]);
  if (x === undefined || y === undefined || !w || w.dims.length < 2) return UNKNOWN;
  const macs = x * product(w.dims.slice(1));
  return { macs, flops: 2 * macs + (hasInput(node, 2) ? y : 0), known: true };
}

function gemmCost(node: NodeProto, meta: MetaOf): OpCost {
  const a = meta(node.input[0]);
  const y = meta(node.output[0]);
  if (!a || !y || a.dims.length !== 2 || y.dims.length !== 2) return UNKNOWN;
  const transA = attrInt(node, 'transA', 0) !== 0;
  const [a0, a1] = a.dims as [number, number];
  const [m, n] = y.dims as [number, number];
  const k = transA ? a0 : a1;
  const macs = m * n * k;
  return { macs, flops: 2 * macs + (hasInput(node, 2) ? m * n : 0), known: true };
}

function matmulCost(node: NodeProto, meta: MetaOf, spec: { a: number; b: number }): OpCost {
  const a = meta(node.input[spec.a]);
  const y = numel(meta(node.output[0]));
  if (!a || y === undefined || a.dims.length === 0) return UNKNOWN;
  const k = a.dims[a.dims.length - 1] as number;
  const macs = y * k;
  return { macs, flops: 2 * macs, known: true };
}

function poolCost(node: NodeProto, meta: MetaOf, op: string): OpCost {
  const y = numel(meta(node.output[0]));
  const x = numel(meta(node.input[0]));
  if (y === undefined || x === undefined) return UNKNOWN;
  if (op.startsWith('Global') || op === 'QLinearGlobalAveragePool') {
    // Each output reduces its whole H·W window: numel(X)/numel(Y) inputs, layout-independent.
    const window = y === 0 ? 0 : x / y;
    return { macs: 0, flops: y * (op === 'GlobalMaxPool' ? window - 1 : window), known: true };
  }
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) return UNKNOWN;
  const k = product(kernel);
  return { macs: 0, flops: y * (op === 'MaxPool' ? k - 1 : k), known: true };
}

export function opCost(node: NodeProto, meta: MetaOf): OpCost {
  if (!KNOWN_DOMAINS.has(node.domain)) return UNKNOWN;
  const op = node.op_type;
  const conv = CONV_LIKE[op];
  if (conv) return convCost(node, meta, conv);
  const mm = MATMUL_LIKE[op];
  if (mm) return matmulCost(node, meta, mm);
  if (op === 'ConvTranspose') return convTransposeCost(node, meta);
  if (op === 'Gemm') return gemmCost(node, meta);
  if (ZERO_FLOP.has(op)) return ZERO;

  const y = numel(meta(node.output[0]));
  if (y === undefined) return UNKNOWN;
  if (ELEMENTWISE.has(op)) return { macs: 0, flops: y, known: true };
  if (VARIADIC.has(op)) return { macs: 0, flops: y * Math.max(1, node.input.filter(Boolean).length - 1), known: true };
  if (op === 'BatchNormalization') return { macs: 0, flops: 2 * y, known: true };
  if (op === 'Softmax' || op === 'LogSoftmax') return { macs: 0, flops: 3 * y, known: true };
  if (op === 'LayerNormalization') {
    // Unlike inference BN, the statistics are computed at run time. Per element: 1 add for the
    // mean, subtract + square + add for the variance, 1 multiply by 1/σ (the centred value is
    // reused), then the scale (always present) and the bias if given: 6 or 7. The per-row
    // epsilon add and reciprocal square root are not counted (one per normalized row).
    return { macs: 0, flops: (hasInput(node, 2) ? 7 : 6) * y, known: true };
  }
  if (op === 'LRN') {
    // Per element: `size` squares + (size−1) adds for the window sum, then scale·sum+bias, pow and
    // divide: 2·size + 2.
    const size = attrInt(node, 'size', 0);
    if (size <= 0) return UNKNOWN;
    return { macs: 0, flops: (2 * size + 2) * y, known: true };
  }
  if (['MaxPool', 'AveragePool', 'QLinearAveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'QLinearGlobalAveragePool'].includes(op)) {
    // MaxPool's optional second output (indices) does not change the comparison count.
    return poolCost(node, meta, op === 'QLinearAveragePool' ? 'AveragePool' : op);
  }
  if (REDUCE.has(op)) {
    const x = numel(meta(node.input[0]));
    return x === undefined ? UNKNOWN : { macs: 0, flops: x, known: true };
  }
  // No rule (e.g. Resize, If, Loop): reported as uncounted, never as a silent zero.
  return UNKNOWN;
}
