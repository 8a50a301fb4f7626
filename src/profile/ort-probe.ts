/**
 * Measures real tensor shapes by running the model once with onnxruntime (through src/runtime).
 *
 * Every requested intermediate tensor is made an extra graph output, the model is run on zeros at
 * the given input shapes, and the returned tensors' dims/types are read. This is exact for any op
 * onnxruntime supports, which a hand-written shape inference could never promise.
 *
 * Adding outputs without re-encoding: protobuf merges concatenated messages (repeated fields
 * append, embedded messages merge), so `file bytes + encode({graph: {output: [...]}})` is the
 * original model with extra outputs. No 100 MB re-encode, no temp file. onnxruntime accepts
 * outputs declared by name only (it infers their types).
 */
import { inProcessRuntime } from '../runtime/registry.js';
import { ModelLoadError, type ModelHandle, type Tensor } from '../runtime/runtime.js';
import { encodeModel, type LoadedModel, OnnxModelError } from '../onnx/onnx-proto.js';
import type { ValueInfoProto } from '../onnx/onnx-types.js';
import { product } from '../onnx/tensor-data.js';

export interface TensorMeta {
  dims: number[];
  /** 'float32', 'float16', 'uint8', ... */
  dtype: string;
}

const PROTOBUF_LIMIT = 2 ** 31 - 1;

function zeros(dtype: string, dims: number[]): Tensor {
  const n = product(dims);
  switch (dtype) {
    case 'float32': return { type: 'float32', data: new Float32Array(n), dims };
    case 'float64': return { type: 'float64', data: new Float64Array(n), dims };
    // float16 travels as raw bits in a Uint16Array; 0x0000 is +0.0.
    case 'float16': return { type: 'float16', data: new Uint16Array(n), dims };
    case 'int8': return { type: 'int8', data: new Int8Array(n), dims };
    case 'uint8': return { type: 'uint8', data: new Uint8Array(n), dims };
    case 'int16': return { type: 'int16', data: new Int16Array(n), dims };
    case 'uint16': return { type: 'uint16', data: new Uint16Array(n), dims };
    case 'int32': return { type: 'int32', data: new Int32Array(n), dims };
    case 'uint32': return { type: 'uint32', data: new Uint32Array(n), dims };
    case 'int64': return { type: 'int64', data: new BigInt64Array(n), dims };
    case 'uint64': return { type: 'uint64', data: new BigUint64Array(n), dims };
    case 'bool': return { type: 'bool', data: new Uint8Array(n), dims };
    default: throw new Error(`cannot build a ${dtype} input to probe shapes`);
  }
}

/** Model bytes with `names` added as graph outputs. */
function withExtraOutputs(model: LoadedModel, names: string[]): Uint8Array {
  const extra: Array<Pick<ValueInfoProto, 'name'>> = names.map((name) => ({ name }));
  if (model.externalDataFiles.length === 0) {
    return Buffer.concat([model.bytes, encodeModel({ graph: { output: extra } })]);
  }
  // External data was resolved into raw_data views; a buffer-loaded session could not find the
  // external files, so write everything inline (only possible below protobuf's 2 GiB limit).
  const graph = model.proto.graph;
  if (!graph) throw new Error('model has no graph');
  const saved = graph.output;
  graph.output = [...saved, ...(extra as ValueInfoProto[])];
  try {
    const bytes = encodeModel(model.proto);
    if (bytes.length > PROTOBUF_LIMIT) throw new Error('too large to inline');
    return bytes;
  } catch (err) {
    throw new OnnxModelError(model.path, 'invalid', `cannot measure tensor shapes: the model with its external data inlined exceeds 2 GiB (${(err as Error).message})`);
  } finally {
    graph.output = saved;
  }
}

/**
 * Runs the model once on zeros and returns the dims/dtype of each tensor in `names`.
 * `inputs` gives every real graph input's concrete shape and dtype.
 */
export async function probeShapes(model: LoadedModel, inputs: Map<string, TensorMeta>, names: string[]): Promise<Map<string, TensorMeta>> {
  const graphOutputs = new Set(model.proto.graph?.output.map((o) => o.name) ?? []);
  const extra = names.filter((n) => !graphOutputs.has(n));
  const bytes = withExtraOutputs(model, extra);

  let handle: ModelHandle;
  try {
    // No graph optimization: fusions would remove the very tensors we ask for, and it makes
    // session creation faster. Errors-only logging keeps the CLI output clean.
    handle = await inProcessRuntime('onnxruntime').open(bytes, { graphOptimization: 'disabled', quiet: true });
  } catch (err) {
    const detail = err instanceof ModelLoadError ? err.detail : (err as Error).message;
    throw new OnnxModelError(model.path, 'invalid', `onnxruntime cannot load the model to measure its tensor shapes: ${detail}`);
  }
  try {
    const feeds: Record<string, Tensor> = {};
    for (const [name, meta] of inputs) feeds[name] = zeros(meta.dtype, meta.dims);
    let results: Record<string, Tensor>;
    try {
      results = await handle.run(feeds, [...new Set([...extra, ...names])]);
    } catch (err) {
      throw new OnnxModelError(model.path, 'invalid', `onnxruntime cannot run the model to measure its tensor shapes: ${(err as Error).message}`);
    }
    const out = new Map<string, TensorMeta>();
    for (const name of names) {
      const value = results[name];
      if (value) out.set(name, { dims: [...value.dims], dtype: value.type });
    }
    return out;
  } finally {
    await handle.dispose();
  }
}
