import type { ResolvedModel } from '../study/catalog.js';
import type { Provider } from '../runtime/onnx-session.js';
import { measureLatency, type LatencyMeasurement } from './measure-latency.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import type { PowerAvailability } from './power/power-sampler.js';
import type { TimingSpec } from '../study/study-spec.js';
import { runTrtexec } from '../runtime/trtexec.js';

/**
 * The runtimes a latency cell can be measured with, behind one call (like optimum-benchmark's
 * backends): onnxruntime-node in this process (CPU, or CUDA/TensorRT providers where their binaries
 * are installed), or TensorRT's own `trtexec` (provider `trtexec`, e.g. on Jetson where the npm
 * onnxruntime is CPU-only). What a runtime cannot observe stays absent (null in Parquet): trtexec
 * runs in its own process, so our RSS says nothing about it.
 */
export type CellMeasurement = Partial<LatencyMeasurement> & Pick<LatencyMeasurement,
  'runs' | 'mean_ms' | 'stdev_ms' | 'min_ms' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms' | 'samples_ms' | 'per_image_ms' | 'images_per_s' | 'power_note'>;

export interface CellRequest {
  model: ResolvedModel;
  modelPath: string;
  batchSize: number;
  timing: TimingSpec;
  provider: Provider;
  threads?: number;
  crops: { pixels: Uint8Array; n: number; crop: number };
  power: PowerAvailability;
  onProgress?: () => void;
}

export async function measureCell(req: CellRequest): Promise<CellMeasurement> {
  if (req.provider !== 'trtexec') {
    return measureLatency({ ...req, session: { provider: req.provider, threads: req.threads } });
  }
  const io = describeModelIo(await loadOnnxModel(req.modelPath));
  const input = io.inputs[0]!;
  const dims = input.dims.map((d, i) => (i === 0 ? req.batchSize : typeof d === 'number' ? d : NaN));
  if (dims.some(Number.isNaN)) throw new Error(`model ${req.modelPath}: input "${input.name}" has symbolic dims besides the batch: [${input.dims.join(',')}]`);
  const precision = req.model.precision === 'fp16' ? 'fp16' : req.model.precision === 'int8' ? 'int8' : 'fp32';
  await req.power.sampler?.start();
  const m = await runTrtexec({
    modelPath: req.modelPath, inputName: input.name, inputDims: dims, precision,
    warmupSeconds: req.timing.warmupSeconds, minRuns: req.timing.minRuns, minSeconds: req.timing.minSeconds,
  });
  const power = await req.power.sampler?.stop().catch(() => undefined);
  return {
    ...m.stats, samples_ms: m.samples_ms, per_image_ms: m.stats.p50_ms / req.batchSize,
    images_per_s: (req.batchSize * 1000) / m.stats.p50_ms, power_avg_w: power?.avgW ?? null,
    // The window covers trtexec's engine build too: an upper bound on the power while timing.
    power_note: power ? `${power.source} over the whole trtexec run (engine build included)` : req.power.sampler ? 'power sampling failed' : req.power.reason,
  };
}
