/**
 * A runtime's model handle seen as an image classifier, which is what the accuracy and latency
 * scenarios run: one image-batch input (float32 or float16, 4 dims), one scores output.
 */
import os from 'node:os';
import { InputError } from '../errors.js';
import type { ModelOutput, Preprocessing } from '../study/study-spec.js';
import { fromFloat16Bits, normaliseCrops, toFloat16Bits, type InputDtype } from '../inputs/normalise.js';
import type { ExecutionProvider, InProcessRuntime, ModelHandle, OpenOptions, Tensor } from './runtime.js';

/** How a benchmark opens a model: the device's provider and threads. */
export interface ClassifierOptions {
  provider: ExecutionProvider;
  /** Intra-op threads; default one per core. */
  threads?: number;
  /**
   * Whether intra-op threads spin while they wait for work (onnxruntime's default, best for
   * latency). Off where another thread of this process needs the cores between ops: spinning
   * threads take the CPU the accuracy evaluation's helper thread would use.
   */
  spinning?: boolean;
  /** A runtime variant's settings (docs/VARIANTS.md); default 1, sequential, all, arena and memory pattern on. */
  interOpThreads?: number;
  executionMode?: OpenOptions['executionMode'];
  graphOptimization?: OpenOptions['graphOptimization'];
  deviceId?: number;
  cpuMemArena?: boolean;
  memPattern?: boolean;
}

export interface Classifier {
  handle: ModelHandle;
  inputName: string;
  outputName: string;
  inputDtype: InputDtype;
  inputDims: readonly (number | string)[];
  outputDims: readonly (number | string)[];
  /** The input's batch dimension when the graph fixes it (e.g. 1), else null. */
  fixedBatch: number | null;
  threads: number;
}

/** Threads used within an op: the spec's, else one per core. */
export function intraOpThreads(requested?: number): number {
  return requested ?? os.availableParallelism();
}

/**
 * The session settings a benchmark runs a model with, every one named (results record them,
 * devices.parquet `runtime_settings`): all graph optimisations, ops one after another, the given
 * intra-op threads; spinning, the CPU memory arena and memory-pattern planning as onnxruntime's
 * defaults (on) unless asked, stated so a reader need not know them. A runtime variant
 * (docs/VARIANTS.md) may change inter-op threads, execution mode, graph optimisation, the arena,
 * memory patterns and the GPU.
 */
export function classifierSessionSettings(opts: ClassifierOptions):
  Required<Pick<OpenOptions, 'provider' | 'threads' | 'interOpThreads' | 'executionMode' | 'graphOptimization' | 'spinning' | 'cpuMemArena' | 'memPattern'>>
  & Pick<OpenOptions, 'deviceId'> {
  return {
    provider: opts.provider, threads: intraOpThreads(opts.threads), interOpThreads: opts.interOpThreads ?? 1,
    executionMode: opts.executionMode ?? 'sequential', graphOptimization: opts.graphOptimization ?? 'all', spinning: opts.spinning ?? true,
    cpuMemArena: opts.cpuMemArena ?? true, memPattern: opts.memPattern ?? true,
    ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
  };
}

/**
 * Opens a model as the benchmarks run it (classifierSessionSettings). A file the runtime cannot
 * load is an input error naming the file.
 */
export async function openClassifier(runtime: InProcessRuntime, modelPath: string, opts: ClassifierOptions): Promise<Classifier> {
  const session = classifierSessionSettings(opts);
  const threads = session.threads;
  const handle = await runtime.open(modelPath, session);
  try {
    const input = handle.inputs[0];
    const output = handle.outputs[0];
    if (!input?.dtype || !output?.dtype) throw new InputError(`model ${modelPath} has no tensor input/output`);
    if (input.dtype !== 'float32' && input.dtype !== 'float16') {
      throw new InputError(`model ${modelPath}: input "${input.name}" is ${input.dtype}; dnnbench feeds float32 or float16 images`);
    }
    const dims = input.dims;
    if (dims.length !== 4) throw new InputError(`model ${modelPath}: input "${input.name}" has shape [${dims.join(',')}], expected 4 dims (image batch)`);
    return {
      handle, inputName: input.name, outputName: output.name, inputDtype: input.dtype, inputDims: dims, outputDims: output.dims,
      fixedBatch: handle.fixedBatch, threads,
    };
  } catch (err) {
    await handle.dispose();
    throw err;
  }
}

/** Checks the crop geometry against what the model's input shape demands, before any inference. */
export function checkInputGeometry(m: Classifier, modelPath: string, p: Preprocessing, crop: number): void {
  const dims = m.inputDims;
  const [h, w] = p.layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  const fixed = [h, w].filter((d): d is number => typeof d === 'number');
  if (fixed.some((d) => d !== crop)) {
    throw new InputError(`model ${modelPath} takes ${p.layout} input [${dims.join(',')}] but its dataset has ${crop}x${crop} crops: fix the model's preprocessing (crop, layout)`);
  }
}

/** The model's input tensor over n normalised crops (float16 as raw bits, as normalise.ts makes them). */
export function inputTensor(m: Classifier, data: Float32Array | Uint16Array, n: number, crop: number, p: Preprocessing): Tensor {
  const dims = p.layout === 'NCHW' ? [n, 3, crop, crop] : [n, crop, crop, 3];
  return m.inputDtype === 'float16' ? { type: 'float16', data: data as Uint16Array, dims } : { type: 'float32', data: data as Float32Array, dims };
}

/** Builds the model's input tensor for n crops. */
export function makeInput(m: Classifier, pixels: Uint8Array, n: number, crop: number, p: Preprocessing, scratch?: Float32Array): { tensor: Tensor; scratch: Float32Array } {
  const values = normaliseCrops(pixels, n, crop, p, scratch);
  const tensor = inputTensor(m, m.inputDtype === 'float16' ? toFloat16Bits(values) : values, n, crop, p);
  return { tensor, scratch: values };
}

/** Runs once and returns class scores as float32, n rows of `classes` values. */
export async function runScores(m: Classifier, modelPath: string, input: Tensor, n: number, out: ModelOutput): Promise<Float32Array> {
  const result = await m.handle.run({ [m.inputName]: input });
  const t = result[m.outputName]!;
  const perImage = t.dims.reduce((a, d) => a * d, 1) / n;
  if (t.dims[0] !== n || perImage !== out.classes) {
    throw new InputError(`model ${modelPath}: output "${m.outputName}" has shape [${t.dims.join(',')}]; expected [${n},${out.classes}] (or with trailing 1s) for ${out.classes} classes`);
  }
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return fromFloat16Bits(t.data as Uint16Array);
  throw new InputError(`model ${modelPath}: output "${m.outputName}" is ${t.type}, expected float scores`);
}
