/**
 * Exact dims and dtype of every tensor in the graph at batch 1.
 *
 * Sources, in order: weights (initializers / Constant nodes) carry their own dims; graph inputs
 * come from the model's declared input shapes with the batch symbol set to 1; intermediate tensors
 * come from value_info when it covers every node output with concrete dims, and otherwise from one
 * real inference with onnxruntime (ort-probe.ts). We never guess a shape.
 */
import { type LoadedModel, OnnxModelError } from '../onnx/onnx-proto.js';
import { toNumber } from '../onnx/onnx-types.js';
import { constantTensors, realInputs, valueInfoDims, valueInfoDtype } from '../onnx/graph-utils.js';
import { probeShapes, type TensorMeta } from './ort-probe.js';
import { dtypeName, tensorDims } from '../onnx/tensor-data.js';

export type { TensorMeta } from './ort-probe.js';

export interface ShapeOptions {
  /**
   * Concrete shape per input name, for models whose inputs have symbolic dims other than the
   * leading batch dim (e.g. 'height'). Leading symbolic dims default to 1.
   */
  inputDims?: Record<string, number[]>;
  /** 'auto' (default): value_info when complete, else onnxruntime. 'onnxruntime': always run it. */
  shapeSource?: 'auto' | 'onnxruntime';
}

export interface ResolvedShapes {
  tensors: Map<string, TensorMeta>;
  /** Where the intermediate shapes came from. */
  source: 'value_info' | 'onnxruntime';
  /** Real inputs at batch 1, in graph order. */
  inputs: Map<string, TensorMeta>;
}

/** Graph inputs at batch 1, plus the set of symbols that mean "batch". */
function concreteInputs(model: LoadedModel, opts: ShapeOptions): { inputs: Map<string, TensorMeta>; batchSymbols: Set<string> } {
  const graph = model.proto.graph;
  const inputs = new Map<string, TensorMeta>();
  const batchSymbols = new Set<string>();
  for (const vi of graph ? realInputs(graph) : []) {
    const dtype = valueInfoDtype(vi);
    const given = opts.inputDims?.[vi.name];
    if (given) {
      inputs.set(vi.name, { dims: [...given], dtype });
      continue;
    }
    const dims = valueInfoDims(vi);
    if (!dims) throw new OnnxModelError(model.path, 'invalid', `input '${vi.name}' declares no shape; pass its dims explicitly`);
    const concrete = dims.map((d, axis) => {
      if (typeof d === 'number') return d;
      if (axis === 0) {
        if (d !== '?') batchSymbols.add(d);
        return 1;
      }
      throw new OnnxModelError(model.path, 'invalid', `input '${vi.name}' has a symbolic dim '${d}' at axis ${axis}; its size must be given (inputDims) to count operations`);
    });
    inputs.set(vi.name, { dims: concrete, dtype });
  }
  return { inputs, batchSymbols };
}

export async function resolveShapes(model: LoadedModel, opts: ShapeOptions = {}): Promise<ResolvedShapes> {
  const graph = model.proto.graph;
  if (!graph) throw new OnnxModelError(model.path, 'invalid', 'the model has no graph');
  const { inputs, batchSymbols } = concreteInputs(model, opts);

  const tensors = new Map<string, TensorMeta>(inputs);
  for (const [name, t] of constantTensors(graph)) tensors.set(name, { dims: tensorDims(t), dtype: dtypeName(t.data_type) });
  for (const s of graph.sparse_initializer) {
    if (s.values) tensors.set(s.values.name, { dims: s.dims.map((d) => toNumber(d)), dtype: dtypeName(s.values.data_type) });
  }

  // Declared shapes of intermediates/outputs, usable only if fully concrete at batch 1.
  const declared = new Map<string, TensorMeta>();
  for (const vi of [...graph.value_info, ...graph.output]) {
    const dims = valueInfoDims(vi);
    if (!dims || !vi.type?.tensor_type) continue;
    const concrete = dims.map((d) => (typeof d === 'number' ? d : batchSymbols.has(d) ? 1 : NaN));
    if (concrete.every((d) => Number.isInteger(d) && d >= 0)) declared.set(vi.name, { dims: concrete, dtype: valueInfoDtype(vi) });
  }

  // Shapes we need: every tensor something reads, the graph outputs, and each node's first output
  // (its cost is computed from it). Unread secondary outputs such as Dropout's mask are skipped:
  // value_info often omits them and nothing is counted from them.
  const read = new Set(graph.node.flatMap((n) => n.input));
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const needed: string[] = [];
  for (const node of graph.node) {
    node.output.forEach((name, k) => {
      if (!name || tensors.has(name)) return;
      if (k === 0 || read.has(name) || graphOutputs.has(name)) needed.push(name);
    });
  }
  const missing = needed.filter((n) => !declared.has(n));
  if (missing.length === 0 && opts.shapeSource !== 'onnxruntime') {
    for (const n of needed) tensors.set(n, declared.get(n) as TensorMeta);
    return { tensors, source: 'value_info', inputs };
  }

  const probed = await probeShapes(model, inputs, needed);
  for (const n of needed) {
    const meta = probed.get(n);
    if (meta) tensors.set(n, meta);
  }
  return { tensors, source: 'onnxruntime', inputs };
}
