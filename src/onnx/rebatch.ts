/**
 * rebatchModel: turn a model exported with a fixed batch (e.g. the WinML SqueezeNet, [1,3,224,224])
 * into one that accepts any batch, so latency can be measured at B = 1..64.
 *
 * What changes in the copy:
 *  - the leading dim of every input and output becomes the symbol 'N';
 *  - value_info entries of rank ≥ 2 whose leading dim equals the old batch get 'N' too (rank-1
 *    tensors are left alone: there a leading 1 is far more often a shape vector than a batch);
 *  - constant Reshape shapes whose first element equals the old batch get -1 (infer) or, when the
 *    shape already has a -1, 0 (copy the input's leading dim, i.e. the batch).
 * Then the copy is run by onnxruntime at batch 2 and must return outputs with batch 2; any model
 * that bakes the batch in elsewhere (Expand/Tile shapes, Slice bounds, ...) fails that check and
 * gets an error that says so, instead of a copy that silently computes the wrong thing.
 *
 * The copy is cached as <cacheDir>/<sha256 of the source>-dynbatch.onnx, written to a temp file and
 * renamed, so concurrent workers never see a half-written model.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { inProcessRuntime } from '../runtime/registry.js';
import { ModelLoadError, type ModelHandle, type Tensor } from '../runtime/runtime.js';
import { encodeModel, loadOnnxModel, type LoadedModel, OnnxModelError } from './onnx-proto.js';
import type { GraphProto, NodeProto, TensorProto, TensorShapeDimension, ValueInfoProto } from './onnx-types.js';
import { hasField, toNumber } from './onnx-types.js';
import { attrInt, constantTensors, consumers, realInputs, valueInfoDims } from './graph-utils.js';
import { describeModelIo } from './model-io.js';
import { int64RawData, product, readIntTensor } from './tensor-data.js';

export const BATCH_SYMBOL = 'N';

/** A model that cannot be made batch-dynamic; the message says why. Not retryable. */
export class RebatchError extends OnnxModelError {
  constructor(file: string, detail: string) {
    super(file, 'invalid', `cannot make the batch dimension dynamic: ${detail}`);
    this.name = 'RebatchError';
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function setSymbolic(dim: TensorShapeDimension): void {
  delete dim.dim_value;
  dim.dim_param = BATCH_SYMBOL;
}

function leadingDim(vi: ValueInfoProto): TensorShapeDimension | undefined {
  return vi.type?.tensor_type?.shape?.dim[0];
}

/**
 * Checks every input/output carries the batch as its leading dim; returns the old batch, or NaN
 * when no input has a fixed leading dim (already dynamic). Values declared without any shape are
 * not judged here: the batch-2 run decides for them.
 */
function checkInterface(model: LoadedModel, graph: GraphProto): number {
  const fixed = new Set<number>();
  for (const vi of realInputs(graph)) {
    const dims = valueInfoDims(vi);
    if (!dims) continue;
    if (dims.length === 0) throw new RebatchError(model.path, `input '${vi.name}' is a scalar, so it has no batch dimension`);
    if (typeof dims[0] === 'number') fixed.add(dims[0]);
  }
  if (fixed.size > 1) {
    throw new RebatchError(model.path, `inputs have different fixed leading dims (${[...fixed].join(', ')}), so none of them is clearly the batch`);
  }
  const oldBatch = [...fixed][0];
  if (oldBatch === undefined) return NaN;
  for (const vi of graph.output) {
    const dims = valueInfoDims(vi);
    if (!dims) continue;
    const d = dims[0];
    if (dims.length === 0 || (typeof d === 'number' && d !== oldBatch)) {
      throw new RebatchError(model.path, `output '${vi.name}' has shape [${dims.join(', ')}]: its leading dim is not the batch (${oldBatch}), so the model cannot produce one result per image`);
    }
  }
  return oldBatch;
}

/** Rewrites constant Reshape shapes that hard-code the batch. */
function fixReshapes(model: LoadedModel, graph: GraphProto, oldBatch: number): void {
  const constants = constantTensors(graph);
  const uses = consumers(graph);
  const reshapes = graph.node.filter((n) => n.op_type === 'Reshape' && n.domain === '');
  for (const node of reshapes) {
    const shapeName = node.input[1];
    const t = shapeName ? constants.get(shapeName) : undefined;
    if (!shapeName || !t) continue; // computed at runtime (Shape → ... → Concat): follows the batch
    const shape = readIntTensor(t);
    if (shape[0] !== oldBatch) continue;
    const allowZero = attrInt(node, 'allowzero', 0) === 1;
    let first: number;
    if (!shape.slice(1).includes(-1)) first = -1;
    else if (!allowZero) first = 0;
    else {
      throw new RebatchError(model.path, `Reshape '${node.name || node.output[0]}' has shape [${shape.join(', ')}] with allowzero=1, so its batch dim can be neither -1 nor 0`);
    }
    const fixed = [first, ...shape.slice(1)];
    const shared = (uses.get(shapeName) ?? []).some((u) => u.node !== node);
    const target = shared ? cloneShapeTensor(graph, node, t, `${shapeName}__dynbatch`) : t;
    writeInt64(target, fixed);
  }
}

/** A private copy of a shape constant, so other readers of the original are not affected. */
function cloneShapeTensor(graph: GraphProto, node: NodeProto, t: TensorProto, name: string): TensorProto {
  const copy = { name, data_type: 7, dims: [t.dims.length ? toNumber(t.dims[0]) : 0] } as unknown as TensorProto;
  graph.initializer.push(copy);
  node.input[1] = name;
  return copy;
}

function writeInt64(t: TensorProto, values: number[]): void {
  // Always rewrite as int64 raw_data: never mutate the source file's bytes (raw_data is a view).
  t.data_type = 7;
  t.raw_data = int64RawData(values);
  t.int64_data = [];
  t.int32_data = [];
}

function makeSymbolic(graph: GraphProto, oldBatch: number): void {
  for (const vi of [...realInputs(graph), ...graph.output]) {
    const d = leadingDim(vi);
    if (d) setSymbolic(d);
  }
  for (const vi of graph.value_info) {
    const dims = valueInfoDims(vi);
    const d = leadingDim(vi);
    if (d && dims && dims.length >= 2 && dims[0] === oldBatch && hasField(d, 'dim_value')) setSymbolic(d);
  }
}

/** Runs the re-batched bytes at batch 2 (onnxruntime on the CPU) and checks every output comes back with batch 2. */
async function verifyBatch2(model: LoadedModel, bytes: Uint8Array): Promise<void> {
  const io = describeModelIo(model);
  let handle: ModelHandle | undefined;
  try {
    handle = await inProcessRuntime('onnxruntime').open(bytes, { quiet: true });
    const feeds: Record<string, Tensor> = {};
    for (const input of io.inputs) {
      const dims = input.dims.map((d, i) => (i === 0 ? 2 : typeof d === 'number' ? d : 1));
      const n = product(dims);
      const tensor: Tensor | undefined =
        input.dtype === 'float32' ? { type: 'float32', data: new Float32Array(n), dims }
        : input.dtype === 'float16' ? { type: 'float16', data: new Uint16Array(n), dims }
        : input.dtype === 'int64' ? { type: 'int64', data: new BigInt64Array(n), dims }
        : input.dtype === 'int32' ? { type: 'int32', data: new Int32Array(n), dims }
        : input.dtype === 'uint8' ? { type: 'uint8', data: new Uint8Array(n), dims }
        : input.dtype === 'int8' ? { type: 'int8', data: new Int8Array(n), dims }
        : undefined;
      if (!tensor) throw new Error(`input '${input.name}' has type ${input.dtype}, which the batch-2 check cannot feed`);
      feeds[input.name] = tensor;
    }
    const out = await handle.run(feeds);
    for (const [name, value] of Object.entries(out)) {
      const d0 = value.dims[0];
      if (d0 !== 2) throw new Error(`output '${name}' came back with leading dim ${d0} at batch 2`);
    }
  } catch (err) {
    throw new RebatchError(model.path, `the re-batched copy does not run at batch 2 (the batch is probably baked into a constant the rewrite cannot see): ${detailOf(err)}`);
  } finally {
    await handle?.dispose();
  }
}

/** The runtime's own words for a load failure, as they read before the runtime layer wrapped them. */
function detailOf(err: unknown): string {
  return err instanceof ModelLoadError ? err.detail : (err as Error).message;
}

/**
 * Returns the path of a batch-dynamic version of `srcPath`: the cached copy when present, else a
 * new one. A model whose batch is already dynamic is returned as-is (its own path).
 */
export async function rebatchModel(srcPath: string, cacheDir: string): Promise<string> {
  // Hash first and decode only on a cache miss. An unreadable file falls through to
  // loadOnnxModel, which words the error.
  const raw = await readFile(srcPath).catch(() => undefined);
  const sha = raw ? createHash('sha256').update(raw).digest('hex') : '';
  const target = path.join(cacheDir, `${sha}-dynbatch.onnx`);
  if (raw && (await exists(target))) return target;
  const model = await loadOnnxModel(srcPath);
  if (!raw) throw new OnnxModelError(model.path, 'unreadable', 'the file could not be read for hashing');

  const graph = model.proto.graph;
  if (!graph) throw new RebatchError(model.path, 'the model has no graph');
  const oldBatch = checkInterface(model, graph);
  if (Number.isNaN(oldBatch)) return model.path;
  fixReshapes(model, graph, oldBatch);
  makeSymbolic(graph, oldBatch);

  const bytes = encodeModel(model.proto);
  if (bytes.length > 2 ** 31 - 1) throw new RebatchError(model.path, 'the copy would exceed protobuf\'s 2 GiB limit (external data is inlined)');
  await verifyBatch2(model, bytes);

  await writeFileAtomic(target, bytes);
  return target;
}

/** Which file runs at a batch size, and at which batch it actually runs. */
export interface BatchFile {
  /** The model itself, or its re-batched copy. */
  path: string;
  /** The batch every run takes: the one asked for, or the graph's own when it stays fixed. */
  batchSize: number;
  rebatched: boolean;
  /** Why batchSize is not the one asked for, when it is not. */
  note?: string;
}

/**
 * The one policy for running a model at `requested` images per run, given the batch its graph
 * fixes (null: dynamic). A dynamic graph, or one fixed at `requested`, runs as it is. One fixed at
 * another batch runs through its re-batched copy (cached in `rebatchCacheDir`): batch 32 is
 * several times faster than 32 runs of batch 1. A graph the rewrite cannot handle (RebatchError or
 * another model-structure error) stays at its own batch, and `note` says why. Without a cache
 * folder nothing is re-batched: a fixed graph runs at its own batch. Callers that need exactly
 * `requested` (a latency cell) treat a different batchSize as their failure; accuracy evaluates
 * at the fixed batch.
 */
export async function fileForBatch(modelPath: string, fixedBatch: number | null, requested: number, rebatchCacheDir?: string): Promise<BatchFile> {
  if (fixedBatch === null || fixedBatch === requested || !rebatchCacheDir) {
    return { path: modelPath, batchSize: fixedBatch ?? requested, rebatched: false };
  }
  try {
    return { path: await rebatchModel(modelPath, rebatchCacheDir), batchSize: requested, rebatched: true };
  } catch (err) {
    if (!(err instanceof OnnxModelError)) throw err;
    return { path: modelPath, batchSize: fixedBatch, rebatched: false, note: err.message };
  }
}
