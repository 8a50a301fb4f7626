import os from 'node:os';
import ort from 'onnxruntime-node';
import { InputError } from '../errors.js';
import type { ModelOutput, Preprocessing } from '../study/study-spec.js';
import { fromFloat16Bits, normaliseCrops, toFloat16Bits, type InputDtype } from '../inputs/normalise.js';

/** onnxruntime's execution providers, plus `trtexec`: TensorRT's own tool in its own process (src/runtime/trtexec.ts). */
export type Provider = 'cpu' | 'cuda' | 'tensorrt' | 'trtexec';

export interface SessionOptions {
  threads?: number;
  provider: Provider;
  /**
   * Whether onnxruntime's intra-op threads spin while they wait for work (its default, best for
   * latency). Off where another thread of this process needs the cores between ops: spinning
   * threads take the CPU the accuracy evaluation's helper thread would use.
   */
  spinning?: boolean;
}

export interface ModelSession {
  session: ort.InferenceSession;
  inputName: string;
  outputName: string;
  inputDtype: InputDtype;
  inputDims: readonly (number | string)[];
  /** The input's batch dimension when the graph fixes it (e.g. 1), else null. */
  fixedBatch: number | null;
  threads: number;
  provider: Provider;
}

/** Threads onnxruntime uses within an op: the spec's, else one per core. */
export function intraOpThreads(requested?: number): number {
  return requested ?? os.availableParallelism();
}

/** Opens an ONNX model; a file onnxruntime cannot load is an input error naming the file. */
export async function openModel(modelPath: string, opts: SessionOptions): Promise<ModelSession> {
  const threads = intraOpThreads(opts.threads);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      // trtexec cells open the model here only to read its inputs: on the CPU.
      executionProviders: [opts.provider === 'trtexec' ? 'cpu' : opts.provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(opts.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    });
  } catch (err) {
    throw new InputError(`onnxruntime cannot load model ${modelPath}: ${firstLine(err)}`);
  }
  const input = session.inputMetadata[0];
  const output = session.outputMetadata[0];
  if (!input?.isTensor || !output?.isTensor) throw new InputError(`model ${modelPath} has no tensor input/output`);
  if (input.type !== 'float32' && input.type !== 'float16') {
    throw new InputError(`model ${modelPath}: input "${input.name}" is ${input.type}; dnnbench feeds float32 or float16 images`);
  }
  const dims = input.shape;
  if (dims.length !== 4) throw new InputError(`model ${modelPath}: input "${input.name}" has shape [${dims.join(',')}], expected 4 dims (image batch)`);
  const batchDim = dims[0];
  return {
    session, inputName: input.name, outputName: output.name, inputDtype: input.type, inputDims: dims,
    fixedBatch: typeof batchDim === 'number' && batchDim > 0 ? batchDim : null, threads, provider: opts.provider,
  };
}

/** Checks the crop geometry against what the model's input shape demands, before any inference. */
export function checkInputGeometry(m: ModelSession, modelPath: string, p: Preprocessing, crop: number): void {
  const dims = m.inputDims;
  const [h, w] = p.layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  const fixed = [h, w].filter((d): d is number => typeof d === 'number');
  if (fixed.some((d) => d !== crop)) {
    throw new InputError(`model ${modelPath} takes ${p.layout} input [${dims.join(',')}] but its dataset has ${crop}x${crop} crops: fix the model's preprocessing (crop, layout)`);
  }
}

/** Builds the model's input tensor for n crops. */
export function makeInput(m: ModelSession, pixels: Uint8Array, n: number, crop: number, p: Preprocessing, scratch?: Float32Array): { tensor: ort.Tensor; scratch: Float32Array } {
  const values = normaliseCrops(pixels, n, crop, p, scratch);
  const dims = p.layout === 'NCHW' ? [n, 3, crop, crop] : [n, crop, crop, 3];
  const tensor = m.inputDtype === 'float16' ? new ort.Tensor('float16', toFloat16Bits(values), dims) : new ort.Tensor('float32', values, dims);
  return { tensor, scratch: values };
}

/** Runs once and returns class scores as float32, n rows of `classes` values. */
export async function runScores(m: ModelSession, modelPath: string, input: ort.Tensor, n: number, out: ModelOutput): Promise<Float32Array> {
  const result = await m.session.run({ [m.inputName]: input });
  const t = result[m.outputName]!;
  const perImage = t.size / n;
  if (t.dims[0] !== n || perImage !== out.classes) {
    throw new InputError(`model ${modelPath}: output "${m.outputName}" has shape [${t.dims.join(',')}]; expected [${n},${out.classes}] (or with trailing 1s) for ${out.classes} classes`);
  }
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return fromFloat16Bits(t.data as Uint16Array);
  throw new InputError(`model ${modelPath}: output "${m.outputName}" is ${t.type}, expected float scores`);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.trim();
}
