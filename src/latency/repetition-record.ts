/**
 * One repetition of a latency cell as it is kept on disk (`_cells/latency_repetitions/…/r<k>.json`):
 * its latency_repetitions.parquet row, its timed runs, and what the measurement gave besides
 * (memory, power), for the cell's figures once its repetitions are done.
 */
import type { HostNoiseReading, Disturbance } from '../host/host-noise.js';
import type { SpeedProbeReading } from '../host/speed-probe.js';
import type { RepetitionCell } from '../results/cell-types.js';
import type { TableRow } from '../results/schema.js';
import type { CellMeasurement } from './measure-cell.js';
import type { CoreProbeReadings } from './host-probes-around.js';
import { runTrend, type StabilitySettings } from './stability.js';

export type RepetitionRow = TableRow<'latency_repetitions'>;

export type RepetitionRecord = RepetitionCell;

export interface RepetitionIdentity {
  model_id: string;
  device: string;
  batch_size: number;
  /** The device's runtime variant, if it has them. */
  variant?: string;
  repetition: number;
  round: number;
  worker: string;
  /** When the repetition's process was started (epoch ms). */
  started_at: number;
}

export function repetitionRecord(
  id: RepetitionIdentity, measured: CellMeasurement, reading: HostNoiseReading, speed: SpeedProbeReading & CoreProbeReadings, disturbances: readonly Disturbance[],
  seconds: number, stability: StabilitySettings,
): RepetitionRecord {
  const { samples_ms, ...measurement } = measured;
  const trend = runTrend(samples_ms, stability);
  const temps = [
    ...(reading.temperaturesC ?? []).map((z) => Math.max(z.start, z.end)),
    ...(reading.gpus ?? []).flatMap((g) => (g.temperatureC === null ? [] : [g.temperatureC])),
    ...(reading.jetson?.maxTemperatureC != null ? [reading.jetson.maxTemperatureC] : []),
  ];
  const gpu = reading.gpus?.[0];
  return {
    ...id,
    discarded: disturbances.length > 0,
    discard_reasons: disturbances.map((d) => d.message),
    p50_ms: measured.p50_ms,
    runs: samples_ms.length,
    warmup_runs: measured.warmup_runs ?? null,
    warmup_reason: measured.warmup_reason ?? null,
    drift_rho: trend?.rho ?? null,
    drift_change: trend?.change ?? null,
    seconds,
    steal_fraction: reading.stealFraction,
    other_cores: reading.otherCores,
    timed_steal_fraction: reading.timedRuns?.stealFraction ?? null,
    timed_other_cores: reading.timedRuns?.otherCores ?? null,
    own_cores: reading.ownCores,
    load_avg_start: reading.loadAverage1m.start,
    load_avg_end: reading.loadAverage1m.end,
    cpu_mhz_min: reading.cpuMhz?.min ?? null,
    cpu_mhz_max: reading.cpuMhz?.max ?? null,
    max_temperature_c: temps.length ? Math.max(...temps) : null,
    gpu_sm_mhz: gpu?.smMhz ?? null,
    gpu_memory_mhz: gpu?.memoryMhz ?? null,
    gpu_throttle_reasons: (reading.gpus ?? []).flatMap((g) => (g.throttleReasons ?? []).map((r) => (reading.gpus!.length > 1 ? `${g.index}:${r}` : r))),
    jetson_power_mode: reading.jetson?.powerMode ?? null,
    jetson_gpu_mhz: reading.jetson?.gpuMhz?.mean ?? null,
    host_notes: reading.notes,
    host_probe_compute_ms: speed.computeMs,
    host_probe_memory_ms: speed.memoryMs,
    host_core_link_ns: speed.coreLinkNs,
    host_core_share_ratio: speed.coreShareRatio,
    samples_ms,
    measurement,
  };
}
