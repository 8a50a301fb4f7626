/**
 * The system under test, in MLPerf LoadGen's sense: a runtime opens a model on a device and runs
 * it. How runs are issued and timed (the scenario: src/latency's warm-up and timed loop,
 * src/accuracy's pass over the dataset) is not the runtime's business, so any scenario combines
 * with any runtime. Implementations are registered by id in registry.ts; only
 * src/runtime/onnxruntime.ts imports onnxruntime-node.
 */
import { InputError } from '../errors.js';

export type RuntimeId = 'onnxruntime' | 'trtexec';

/** onnxruntime's execution providers dnnbench runs models with. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';

/**
 * What the tables' `provider` column says ran a model: onnxruntime's execution provider, or
 * `trtexec` for TensorRT's own tool (which has no providers).
 */
export type Provider = ExecutionProvider | 'trtexec';

/**
 * How a device runs models, as its spec and the activity requests give it: `runtime` absent
 * means onnxruntime; `provider` is onnxruntime's execution provider (unused by trtexec).
 */
export interface DeviceRuntime {
  runtime?: RuntimeId;
  provider: ExecutionProvider;
  threads?: number;
  /** A runtime variant's session settings (the device spec's `variants`); unset ones are the benchmark's (classifier.ts). */
  session?: SessionOverrides;
}

/** Session settings a device's runtime variant may change besides provider and threads (issue 20, docs/VARIANTS.md). */
export type SessionOverrides = Pick<OpenOptions, 'interOpThreads' | 'spinning' | 'graphOptimization' | 'executionMode' | 'deviceId' | 'cpuMemArena' | 'memPattern'>;

export type TensorDtype =
  | 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

/** float16 travels as its raw bits (Uint16Array), bool as one byte per value. */
export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface Tensor {
  readonly type: TensorDtype;
  readonly data: TensorData;
  readonly dims: readonly number[];
}

/** A graph input or output as the runtime declares it. */
export interface ValueInfo {
  name: string;
  /** Element type ('float32', 'float16', 'int8', ...); null for a value that is not a tensor (a sequence or a map). */
  dtype: string | null;
  /** Per dim: a number when fixed, a symbol (e.g. 'N') when not. */
  dims: readonly (number | string)[];
}

/**
 * Options of an in-process runtime's session (onnxruntime's). Unset ones keep the runtime's own
 * defaults; a benchmark sets what it measures with explicitly (classifier.ts).
 */
export interface OpenOptions {
  /** Default 'cpu'. */
  provider?: ExecutionProvider;
  /** Threads within an op. */
  threads?: number;
  /** Threads across independent ops (only used with executionMode 'parallel'). */
  interOpThreads?: number;
  /**
   * Whether intra-op threads spin while they wait for work (onnxruntime's default, best for
   * latency). Off where another thread of this process needs the cores between ops.
   */
  spinning?: boolean;
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  /** The GPU of the cuda or tensorrt provider (the provider option onnxruntime-node passes on). */
  deviceId?: number;
  /** onnxruntime's CPU memory arena and memory-pattern planning (its defaults: on). */
  cpuMemArena?: boolean;
  memPattern?: boolean;
  /** Log errors only (keeps the CLI's output clean). */
  quiet?: boolean;
}

/** What ran a handle's model: the provider column's value, threads and the runtime's version. */
export interface HandleFacts {
  runtime: RuntimeId;
  provider: Provider;
  /** Intra-op threads when set; null when the runtime chose. */
  threads: number | null;
  version: string;
}

/**
 * A model opened in this process: its memory is this process's (RSS covers weights and arenas),
 * and its runs are timed by the caller.
 */
export interface ModelHandle {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** The first input's leading dim when the graph fixes it (e.g. 1), else null. */
  readonly fixedBatch: number | null;
  readonly facts: HandleFacts;
  /**
   * Runs once. `outputs` names what to fetch (any tensor of the graph the runtime can return, by
   * name); default: the graph's outputs. Feeds reused across calls are converted once.
   */
  run(feeds: Readonly<Record<string, Tensor>>, outputs?: readonly string[]): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

/** A runtime's version and the backends this installation can use. */
export interface RuntimeFacts {
  version: string;
  backends: string[];
}

/** A runtime that runs a model in this process (onnxruntime-node): scenarios time its runs. */
export interface InProcessRuntime {
  readonly id: RuntimeId;
  readonly kind: 'in-process';
  /** Loaded into this process, so known at no cost. */
  facts(): RuntimeFacts;
  /** Opens a model file (or its bytes); a model the runtime cannot load is an InputError naming it. */
  open(model: string | Uint8Array, options?: OpenOptions): Promise<ModelHandle>;
}

/** One timing a self-timed runtime makes of a model at a fixed input shape. */
export interface SelfTimedRequest {
  modelPath: string;
  input: { name: string; dims: number[] };
  precision: 'fp32' | 'fp16' | 'int8';
  timing: { warmupSeconds: number; minRuns: number; minSeconds: number };
}

export interface SelfTimedMeasurement {
  /** Wall time of each timed inference, ms. */
  samples_ms: number[];
  /** The command that produced them, for the record. */
  command: string;
}

/**
 * A runtime that runs and times a model in a process of its own (TensorRT's trtexec): it cannot
 * return outputs, and this process's memory says nothing about it.
 */
export interface SelfTimedRuntime {
  readonly id: RuntimeId;
  readonly kind: 'self-timed';
  selfTimed(req: SelfTimedRequest): Promise<SelfTimedMeasurement>;
}

export type Runtime = InProcessRuntime | SelfTimedRuntime;

/** A runtime's failure to load a model (a bad input); `detail` is the runtime's own full message. */
export class ModelLoadError extends InputError {
  constructor(message: string, readonly detail: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
