/**
 * Activation memory: traffic (bandwidth model), largest activation, peak live activations
 * (SPEC.md §2, "Memory traffic").
 *
 * We first map every activation tensor to the buffer a fusing runtime would actually store:
 *  - BN folded: Conv-like → BatchNormalization writes one buffer (the conv output is never stored);
 *  - activation fused: Conv-like [→ BN] → Relu/Clip/... writes one buffer;
 *    (only when the intermediate tensor has that single consumer and is not a graph output);
 *  - views: Identity, Dropout (inference), Flatten, Reshape, Squeeze, Unsqueeze return their input's
 *    memory, so they store nothing new;
 *  - constants: tensors computed only from weights (e.g. DequantizeLinear of a stored weight) are
 *    folded at load time and are weights, not activations;
 *  - dead outputs (no reader, not a graph output, e.g. Dropout's mask) are not stored.
 * Then:
 *  - traffic_bytes = weight_bytes + 2 × Σ bytes of intermediate buffers (written once, read back
 *    once); the model's input and output are not intermediate;
 *  - peak live = max over the topological walk of the bytes of buffers alive at a step (a buffer
 *    lives from its producer's step through its last reader's step; graph inputs from the start,
 *    graph outputs to the end). It ignores scratch space, hence a lower bound.
 */
import type { GraphProto, NodeProto } from '../onnx/onnx-types.js';
import { constantTensors } from '../onnx/graph-utils.js';
import type { TensorMeta } from './ort-probe.js';
import { bytesFor, product } from '../onnx/tensor-data.js';

const ANCHORS = new Set(['Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv', 'FusedConv', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul']);
const ACTIVATIONS = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Softplus', 'PRelu', 'Gelu', 'Mish']);
const VIEWS = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);

interface Stored {
  bytes: number;
  alloc: number;
  lastUse: number;
  isInput: boolean;
  isOutput: boolean;
  /** Some node other than a view/fused epilogue of this very buffer reads it. */
  read: boolean;
  /** 'conv' = written by a conv-like op (BN may still fold in), 'act' = activation already fused. */
  chain: 'conv' | 'act' | null;
}

export interface ActivationStats {
  trafficBytes: number;
  intermediateBytes: number;
  largestActivationBytes: number;
  peakLiveActivationBytes: number;
}

export function activationStats(graph: GraphProto, order: readonly NodeProto[], meta: (name: string) => TensorMeta | undefined, weightBytes: number): ActivationStats {
  const bytesOf = (name: string): number => {
    const m = meta(name);
    return m ? bytesFor(m.dtype, product(m.dims)) : 0;
  };
  const constants = new Set(constantTensors(graph).keys());
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const readers = new Map<string, number>();
  for (const n of order) for (const i of n.input) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);

  const bufferOf = new Map<string, Stored>();
  const buffers: Stored[] = [];
  const newBuffer = (name: string, step: number, extra: Partial<Stored> = {}): Stored => {
    const b: Stored = { bytes: bytesOf(name), alloc: step, lastUse: step, isInput: false, isOutput: false, read: false, chain: null, ...extra };
    buffers.push(b);
    bufferOf.set(name, b);
    return b;
  };

  for (const vi of graph.input) {
    if (!constants.has(vi.name)) newBuffer(vi.name, 0, { isInput: true });
  }

  order.forEach((node, step) => {
    const op = node.op_type;
    const liveInputs = node.input.filter((i) => i && bufferOf.has(i));
    // Constant folding: a node fed only by weights produces weights.
    if (liveInputs.length === 0 && node.input.some(Boolean)) {
      node.output.forEach((o) => o && constants.add(o));
      return;
    }
    if (op === 'Constant') {
      node.output.forEach((o) => o && constants.add(o));
      return;
    }
    const x = node.input[0];
    const xBuf = x ? bufferOf.get(x) : undefined;
    const xPrivate = x !== undefined && readers.get(x) === 1 && !graphOutputs.has(x);

    node.output.forEach((o, k) => {
      if (!o) return;
      if (k === 0 && xBuf && VIEWS.has(op)) {
        bufferOf.set(o, xBuf);
        xBuf.chain = null; // a BN/activation after a reshape is no longer the conv's epilogue
        return;
      }
      if (k === 0 && xBuf && xPrivate && op === 'BatchNormalization' && xBuf.chain === 'conv') {
        bufferOf.set(o, xBuf); // BN folded into the conv's weights
        return;
      }
      if (k === 0 && xBuf && xPrivate && ACTIVATIONS.has(op) && xBuf.chain === 'conv') {
        xBuf.chain = 'act'; // activation fused into the conv's epilogue
        xBuf.bytes = Math.max(xBuf.bytes, bytesOf(o));
        bufferOf.set(o, xBuf);
        return;
      }
      newBuffer(o, step, { chain: k === 0 && ANCHORS.has(op) ? 'conv' : null });
    });
    // Reading a buffer keeps it alive to this step. It only counts as a real read (the buffer is
    // not dead) when this node's output is not that same buffer (a view or a fused epilogue).
    const written = new Set(node.output.map((o) => bufferOf.get(o)));
    for (const i of liveInputs) {
      const b = bufferOf.get(i) as Stored;
      b.lastUse = Math.max(b.lastUse, step);
      if (!written.has(b)) b.read = true;
    }
  });

  const end = order.length;
  for (const name of graphOutputs) {
    const b = bufferOf.get(name);
    if (b) {
      b.isOutput = true;
      b.lastUse = end;
    }
  }

  // Dead buffers: produced, never read, not a graph output.
  const stored = buffers.filter((b) => b.isInput || b.isOutput || b.read);
  const intermediateBytes = stored.filter((b) => !b.isInput && !b.isOutput).reduce((sum, b) => sum + b.bytes, 0);

  // Sweep: +bytes at alloc, −bytes after lastUse.
  const delta = new Array<number>(end + 2).fill(0);
  for (const b of stored) {
    delta[b.alloc] = (delta[b.alloc] ?? 0) + b.bytes;
    delta[b.lastUse + 1] = (delta[b.lastUse + 1] ?? 0) - b.bytes;
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) {
    live += d;
    peak = Math.max(peak, live);
  }

  return {
    trafficBytes: weightBytes + 2 * intermediateBytes,
    intermediateBytes,
    largestActivationBytes: stored.reduce((m, b) => Math.max(m, b.bytes), 0),
    peakLiveActivationBytes: peak,
  };
}
