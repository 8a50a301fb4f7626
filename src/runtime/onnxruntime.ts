/**
 * onnxruntime-node as a runtime: the only module that imports it. Its execution providers (cpu,
 * cuda, tensorrt) and session options are options of this one runtime; cuda and tensorrt need
 * their provider binaries installed (docs/GPU.md).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import {
  ModelLoadError, type ExecutionProvider, type InProcessRuntime, type ModelHandle, type OpenOptions, type RuntimeFacts,
  type Tensor, type ValueInfo,
} from './runtime.js';

const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'tensorrt'];

const TENSOR_DTYPES = new Set<string>(['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

const VERSION = ort.env.versions.node ?? 'unknown';

export const onnxruntime: InProcessRuntime = {
  id: 'onnxruntime',
  kind: 'in-process',
  facts: onnxruntimeFacts,
  open: openSession,
};

function onnxruntimeFacts(): RuntimeFacts {
  return {
    version: VERSION,
    // onnxruntime-node calls cuda and tensorrt unbundled whether or not their libraries were installed
    // beside its own (docs/GPU.md): those count where the library is there.
    backends: ort.listSupportedBackends().filter((b) => b.bundled || providerLibraryPresent(b.name)).map((b) => b.name),
  };
}

/** libonnxruntime_providers_<name>.so beside onnxruntime-node's binding, where onnxruntime loads it from. */
function providerLibraryPresent(name: string): boolean {
  if (process.platform !== 'linux') return false;
  const packageDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  return existsSync(path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch, `libonnxruntime_providers_${name}.so`));
}

async function openSession(model: string | Uint8Array, options: OpenOptions = {}): Promise<ModelHandle> {
  const provider = options.provider ?? 'cpu';
  const label = typeof model === 'string' ? model : `(${model.byteLength} bytes in memory)`;
  if (!EXECUTION_PROVIDERS.includes(provider)) {
    throw new ModelLoadError(`onnxruntime has no execution provider "${provider}" (it has ${EXECUTION_PROVIDERS.join(', ')}): cannot load model ${label}`, `unknown execution provider ${provider}`);
  }
  let session: ort.InferenceSession;
  try {
    const opts = sessionOptions(provider, options);
    session = await (typeof model === 'string' ? ort.InferenceSession.create(model, opts) : ort.InferenceSession.create(model, opts));
  } catch (err) {
    const detail = String((err as Error)?.message ?? err);
    throw new ModelLoadError(`onnxruntime cannot load model ${label}: ${detail.split('\n')[0]!.trim()}`, detail);
  }
  const inputs = session.inputMetadata.map(valueInfo);
  const leading = inputs[0]?.dims[0];
  // Feeds built once and run many times (a timed loop) are converted once.
  const converted = new WeakMap<Tensor, ort.Tensor>();
  const toOrt = (t: Tensor): ort.Tensor => {
    let o = converted.get(t);
    if (!o) converted.set(t, (o = new ort.Tensor(t.type, t.data as Float32Array, t.dims)));
    return o;
  };
  return {
    inputs,
    outputs: session.outputMetadata.map(valueInfo),
    fixedBatch: typeof leading === 'number' && leading > 0 ? leading : null,
    facts: { runtime: 'onnxruntime', provider, threads: options.threads ?? null, version: VERSION },
    async run(feeds, outputs) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
      const result = outputs ? await session.run(ortFeeds, [...outputs]) : await session.run(ortFeeds);
      const out: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(result)) {
        if (!(value instanceof ort.Tensor) || !TENSOR_DTYPES.has(value.type)) {
          throw new Error(`output "${name}" is ${value instanceof ort.Tensor ? `a ${value.type} tensor` : 'not a tensor'}, which dnnbench cannot read`);
        }
        // ort.Tensor has the fields of a Tensor: handed on as is, no copy.
        out[name] = value as unknown as Tensor;
      }
      return out;
    },
    dispose: () => session.release(),
  };
}

function sessionOptions(provider: ExecutionProvider, o: OpenOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [o.deviceId !== undefined && provider !== 'cpu' ? { name: provider, deviceId: o.deviceId } : provider],
    ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
    ...(o.interOpThreads !== undefined ? { interOpNumThreads: o.interOpThreads } : {}),
    ...(o.executionMode ? { executionMode: o.executionMode } : {}),
    ...(o.graphOptimization ? { graphOptimizationLevel: o.graphOptimization } : {}),
    ...(o.cpuMemArena !== undefined ? { enableCpuMemArena: o.cpuMemArena } : {}),
    ...(o.memPattern !== undefined ? { enableMemPattern: o.memPattern } : {}),
    ...(o.quiet ? { logSeverityLevel: 3 as const } : {}),
    ...(o.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

function valueInfo(meta: ort.InferenceSession.ValueMetadata): ValueInfo {
  return meta.isTensor ? { name: meta.name, dtype: meta.type, dims: meta.shape } : { name: meta.name, dtype: null, dims: [] };
}
