/**
 * profileModel: the static cost profile of an ONNX model at batch 1 — parameters, MACs/FLOPs per op
 * type, memory traffic and activation memory — following SPEC.md §2 and docs/PROFILE.md.
 */
import { loadOnnxModel, type LoadedModel, OnnxModelError } from '../onnx/onnx-proto.js';
import { describeModelIo } from '../onnx/model-io.js';
import { topoSort } from '../onnx/graph-utils.js';
import { resolveShapes, type ShapeOptions } from './shapes.js';
import { opCost } from './op-costs.js';
import { countParams } from './params.js';
import { activationStats } from './traffic.js';

export interface OpTypeCount {
  /** Number of nodes of this op type. */
  count: number;
  macs: number;
  flops: number;
}

export interface ModelProfile {
  /** Learned elements (see params.ts for what is excluded). */
  params: number;
  /** Bytes of all stored tensors (initializers, Constant values). */
  weight_bytes: number;
  /** Size of the .onnx file (external data not included). */
  file_bytes: number;
  /** Multiply-accumulates at batch 1 (Conv/Gemm/MatMul families). */
  macs: number;
  /** 2·MACs + bias, element-wise, BN, pooling, softmax, LRN operations at batch 1. */
  flops: number;
  by_op_type: Record<string, OpTypeCount>;
  /** weight_bytes + 2 × intermediate activation bytes, BN folded and activations fused. */
  traffic_bytes: number;
  /** flops / traffic_bytes. */
  arithmetic_intensity: number;
  largest_activation_bytes: number;
  /** Lower bound on activation memory from a liveness walk in topological order. */
  peak_live_activation_bytes: number;
  /** Op types present in the graph whose cost we could not count (sorted). Empty = complete. */
  uncounted_ops: string[];
  /** The first input's shape at batch 1. */
  input_shape: number[];
  /** Default-domain (ai.onnx) opset version. */
  opset: number;
  /** Where intermediate tensor shapes came from: the model's value_info, or a real onnxruntime run. */
  shape_source: 'value_info' | 'onnxruntime';
}

export type ProfileOptions = ShapeOptions;

export async function profileModel(modelPath: string, options: ProfileOptions = {}): Promise<ModelProfile> {
  return profileLoadedModel(await loadOnnxModel(modelPath), options);
}

export async function profileLoadedModel(model: LoadedModel, options: ProfileOptions = {}): Promise<ModelProfile> {
  const graph = model.proto.graph;
  if (!graph) throw new OnnxModelError(model.path, 'invalid', 'the model has no graph');
  const io = describeModelIo(model);
  const shapes = await resolveShapes(model, options);
  const meta = (name: string | undefined) => (name ? shapes.tensors.get(name) : undefined);

  let order;
  try {
    order = topoSort(graph);
  } catch (err) {
    throw new OnnxModelError(model.path, 'invalid', (err as Error).message);
  }

  const byOp: Record<string, OpTypeCount> = {};
  const uncounted = new Set<string>();
  let macs = 0;
  let flops = 0;
  for (const node of order) {
    const cost = opCost(node, meta);
    // Ops from domains other than ai.onnx / com.microsoft are keyed with their domain, so a custom
    // 'Conv' is not mistaken for the standard one.
    const key = ['', 'ai.onnx', 'com.microsoft'].includes(node.domain) ? node.op_type : `${node.domain}.${node.op_type}`;
    const entry = (byOp[key] ??= { count: 0, macs: 0, flops: 0 });
    entry.count += 1;
    entry.macs += cost.macs;
    entry.flops += cost.flops;
    macs += cost.macs;
    flops += cost.flops;
    if (!cost.known) uncounted.add(key);
  }

  const { params, weightBytes } = countParams(graph);
  const act = activationStats(graph, order, (n) => shapes.tensors.get(n), weightBytes);
  const firstInput = [...shapes.inputs.values()][0];

  return {
    params,
    weight_bytes: weightBytes,
    file_bytes: model.fileBytes,
    macs,
    flops,
    by_op_type: byOp,
    traffic_bytes: act.trafficBytes,
    arithmetic_intensity: act.trafficBytes > 0 ? flops / act.trafficBytes : 0,
    largest_activation_bytes: act.largestActivationBytes,
    peak_live_activation_bytes: act.peakLiveActivationBytes,
    uncounted_ops: [...uncounted].sort(),
    input_shape: firstInput ? [...firstInput.dims] : [],
    opset: io.opset,
    shape_source: shapes.source,
  };
}
