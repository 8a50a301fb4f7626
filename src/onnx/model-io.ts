/**
 * The model's interface as the rest of dnnbench needs it: input/output names, shapes and element
 * types, whether the batch is fixed, opsets and producer.
 */
import type { LoadedModel } from './onnx-proto.js';
import { toNumber } from './onnx-types.js';
import { type Dim, realInputs, valueInfoDims, valueInfoDtype } from './graph-utils.js';

export interface IoTensor {
  name: string;
  /** Per dim: a number when fixed, the symbol (e.g. 'N', 'batch_size') when symbolic, '?' when unnamed. */
  dims: Dim[];
  /** 'float32', 'float16', 'uint8', ... (onnxruntime's spelling, as src/runtime's Tensor type has it). */
  dtype: string;
}

export interface ModelIo {
  inputs: IoTensor[];
  outputs: IoTensor[];
  /** The first input's leading dim when it is a fixed number (e.g. 1 for the WinML SqueezeNet), else null. */
  fixedBatch: number | null;
  /** Version of the default ('ai.onnx') opset. */
  opset: number;
  /** Every imported opset, domain → version ('' is ai.onnx). */
  opsets: Record<string, number>;
  producer: { name: string; version: string };
  irVersion: number;
}

export function describeModelIo(model: LoadedModel): ModelIo {
  const proto = model.proto;
  const graph = proto.graph;
  if (!graph) throw new Error(`${model.path}: model has no graph`);
  const describe = (vi: (typeof graph.input)[number]): IoTensor => ({
    name: vi.name,
    dims: valueInfoDims(vi) ?? [],
    dtype: valueInfoDtype(vi),
  });
  const inputs = realInputs(graph).map(describe);
  const outputs = graph.output.map(describe);
  const first = inputs[0]?.dims[0];

  const opsets: Record<string, number> = {};
  for (const o of proto.opset_import) {
    // 'ai.onnx' is an alias of the default domain.
    const domain = o.domain === 'ai.onnx' ? '' : o.domain;
    opsets[domain] = toNumber(o.version);
  }
  return {
    inputs,
    outputs,
    fixedBatch: typeof first === 'number' ? first : null,
    // IR 3 models without opset_import (none exist in practice) would be opset 1.
    opset: opsets[''] ?? 1,
    opsets,
    producer: { name: proto.producer_name, version: proto.producer_version },
    irVersion: toNumber(proto.ir_version),
  };
}
