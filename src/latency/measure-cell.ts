import type { ResolvedModel } from '../study/catalog.js';
import { deviceRuntime } from '../runtime/registry.js';
import type { DeviceRuntime, SelfTimedRuntime } from '../runtime/runtime.js';
import { measureLatency, type LatencyMeasurement } from './measure-latency.js';
import { latencyStats } from './latency-stats.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import type { PowerAvailability } from './power/power-sampler.js';
import type { RunTiming } from '../study/study-spec.js';

/**
 * A latency cell measured with the device's runtime (like optimum-benchmark's backends): one that
 * runs the model in this process is timed here (measure-latency.ts), one that times itself in its
 * own process (trtexec, e.g. on Jetson where the npm onnxruntime is CPU-only) reports its own
 * timings. What a runtime cannot observe stays absent (null in Parquet): trtexec runs in its own
 * process, so our RSS says nothing about it.
 */
export type CellMeasurement = Partial<LatencyMeasurement> & Pick<LatencyMeasurement,
  'runs' | 'mean_ms' | 'stdev_ms' | 'min_ms' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms' | 'samples_ms' | 'per_image_ms' | 'images_per_s' | 'power_note'>;

export interface CellRequest extends DeviceRuntime {
  model: ResolvedModel;
  modelPath: string;
  batchSize: number;
  timing: RunTiming;
  crops: { pixels: Uint8Array; n: number; crop: number };
  power: PowerAvailability;
  onProgress?: () => void;
  /** In-process runtimes: called as the timed runs start (measure-latency.ts). */
  onTimedRuns?: () => void;
}

export async function measureCell(req: CellRequest): Promise<CellMeasurement> {
  const runtime = deviceRuntime(req);
  if (runtime.kind === 'in-process') {
    return measureLatency({ ...req, runtime, session: { provider: req.provider, threads: req.threads, ...req.session } });
  }
  return measureSelfTimed(runtime, req);
}

/** The cell as the runtime times it, at the graph's input shape with the cell's batch. */
async function measureSelfTimed(runtime: SelfTimedRuntime, req: CellRequest): Promise<CellMeasurement> {
  const io = describeModelIo(await loadOnnxModel(req.modelPath));
  const input = io.inputs[0]!;
  const dims = input.dims.map((d, i) => (i === 0 ? req.batchSize : typeof d === 'number' ? d : NaN));
  if (dims.some(Number.isNaN)) throw new Error(`model ${req.modelPath}: input "${input.name}" has symbolic dims besides the batch: [${input.dims.join(',')}]`);
  const precision = req.model.precision === 'fp16' ? 'fp16' : req.model.precision === 'int8' ? 'int8' : 'fp32';
  await req.power.sampler?.start();
  const m = await runtime.selfTimed({ modelPath: req.modelPath, input: { name: input.name, dims }, precision, timing: req.timing });
  const power = await req.power.sampler?.stop().catch(() => undefined);
  const stats = latencyStats(m.samples_ms);
  return {
    ...stats, samples_ms: m.samples_ms, per_image_ms: stats.p50_ms / req.batchSize,
    images_per_s: (req.batchSize * 1000) / stats.p50_ms, power_avg_w: power?.avgW ?? null,
    // The window covers the runtime's whole process (trtexec's engine build too): an upper bound on the power while timing.
    power_note: power ? `${power.source} over the whole ${runtime.id} run (engine build included)` : req.power.sampler ? 'power sampling failed' : req.power.reason,
  };
}
