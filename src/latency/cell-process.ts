import { runChildJob } from '../process/child-job.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { HostFacts } from '../host/probe-host.js';
import type { DeviceRuntime } from '../runtime/runtime.js';
import type { RunTiming } from '../study/study-spec.js';
import type { SpeedProbeReading } from '../host/speed-probe.js';
import type { CellMeasurement } from './measure-cell.js';
import type { CoreProbeReadings } from './host-probes-around.js';

/** What a cell's own process needs: paths and plain data (it reads the shard itself). */
export interface IsolatedCellRequest extends DeviceRuntime {
  model: ResolvedModel;
  modelPath: string;
  batchSize: number;
  timing: RunTiming;
  shardFile: string;
  crop: number;
  /** The worker's host probe: the child reads its power sources from it instead of probing again. */
  host: HostFacts;
}

/** What the cell's process says as it goes: a beat (undefined), or that its timed runs start now. */
export type CellProgress = 'timed-runs';

/**
 * The cell's timings, and the host read in the same process just before and just after them: its
 * speed (src/host/speed-probe.ts) and the probes of its cores (host-probes-around.ts).
 */
export interface IsolatedCellResult extends CoreProbeReadings {
  measurement: CellMeasurement;
  speed: SpeedProbeReading;
}

/**
 * Measures one latency cell in a fresh Node process (timing.isolation 'process', the default), so
 * that earlier cells leave no trace in it. Memory above all: after VGG-19 and ConvNeXt-T cells, a
 * SqueezeNet 1.1 cell measured in the same process peaked at 388 MB against 184 MB in its own
 * (the allocator keeps what the large models freed; `npm run bench:isolation`), and the memory
 * fit reads those peaks (papers preset: m0 804 → 309 MB in the two runs of 2026-11-24, `git show
 * 28a7b54:docs/studies/epyc-2vcpu-avx512/README.md`). Every
 * cell also starts from the same process state. Costs under a second per cell
 * (0.7 s here: Node, onnxruntime, the shard, the session).
 * `onProgress` fires as the child reports (with 'timed-runs' as its timed runs start); `signal` kills the child.
 */
export function measureCellInProcess(req: IsolatedCellRequest, onProgress?: (detail?: CellProgress) => void, signal?: AbortSignal): Promise<IsolatedCellResult> {
  return runChildJob<IsolatedCellRequest, IsolatedCellResult, CellProgress>(new URL('./cell-child.mjs', import.meta.url), req, "the cell's process", onProgress, signal);
}
