import { cellPath, writeCell } from '../../src/results/cells.js';
import type { AccuracyCell, DeviceCell, LatencyCell, ModelCell } from '../../src/results/cell-types.js';
import { latencyStats } from '../../src/latency/latency-stats.js';
import { prng } from '../../src/stats/prng.js';
import { writeStudyTables, type StudySummary } from '../../src/analysis/study-tables.js';

/**
 * A study's cells made up from known laws (no model run): fast fixtures for the Parquet, report
 * and compare tests, with the awkward cases real studies have: an oom batch, a model without
 * accuracy, a device without power, nulls, lists, a value past 2^31.
 */
export interface SyntheticOptions {
  devices?: { device: string; power: boolean; speed: number }[];
  models?: { id: string; gflops: number; mparams: number; top1: number }[];
  batches?: number[];
  runs?: number;
  /** Multiplies every latency of this model (for compare tests). */
  slowdown?: Record<string, number>;
  seed?: number;
  /** Models exported without trained weights: no accuracy cells, published top-1 = their top1. */
  randomWeights?: string[];
}

export const DEFAULT_MODELS = [
  { id: 'tiny-net', gflops: 0.35, mparams: 1.2, top1: 0.58 },
  { id: 'mobile-net', gflops: 0.6, mparams: 3.5, top1: 0.72 },
  { id: 'res-net', gflops: 8.2, mparams: 25.6, top1: 0.79 },
  { id: 'squeeze-net', gflops: 0.7, mparams: 1.24, top1: 0.57 },
];


export async function writeSyntheticCells(out: string, opts: SyntheticOptions = {}): Promise<StudySummary> {
  const devices = opts.devices ?? [{ device: 'cpu-test', power: false, speed: 1 }, { device: 'gpu-test', power: true, speed: 8 }];
  const models = opts.models ?? DEFAULT_MODELS;
  const batches = opts.batches ?? [1, 2, 4];
  const rand = prng(opts.seed ?? 3);
  const random = new Set(opts.randomWeights ?? []);
  for (const m of models) {
    const cell: ModelCell = {
      model_id: m.id, path: `/models/${m.id}.onnx`, architecture: m.id.includes('net') ? m.id.split('-')[0]! : null,
      file_bytes: Math.round(m.mparams * 4e6 + 12_345), params: Math.round(m.mparams * 1e6), weight_bytes: Math.round(m.mparams * 4e6),
      macs: Math.round(m.gflops * 5e8), flops: Math.round(m.gflops * 1e9), traffic_bytes: 3_000_000_000 + Math.round(m.gflops * 1e8),
      arithmetic_intensity: m.gflops * 1e9 / (m.mparams * 4e6 + 1e7), largest_activation_bytes: 3_211_264, peak_live_activation_bytes: 6_422_528,
      uncounted_ops: m.id === 'tiny-net' ? ['Einsum', 'Loop'] : [], opset: 13,
      by_op_type: { Conv: { count: 26, macs: Math.round(m.gflops * 4.9e8), flops: Math.round(m.gflops * 9.8e8) }, Relu: { count: 25, macs: 0, flops: 2_000_000 } },
      input_name: 'data', input_dtype: 'float32', input_shape: '[N,3,224,224]', fixed_batch: m.id === 'squeeze-net' ? 1 : null,
      preprocessing: JSON.stringify({ resize: 256, crop: 224, layout: 'NCHW' }), preprocessing_source: 'catalog',
      resize: 256, crop: 224, num_classes: 1000, published_top1: random.has(m.id) ? m.top1 : m.id === 'res-net' ? 0.7615 : null, published_top5: null,
      weights: random.has(m.id) ? 'random' : 'pretrained',
    };
    await writeCell(cellPath(out, 'models', m.id), cell);
  }
  for (const d of devices) {
    const cell: DeviceCell = {
      device: d.device, hostname: 'host-1', os: 'linux 6.1', arch: 'x64', cpu_model: 'Test CPU "quoted" <&>', cpu_cores: 2,
      cpu_simd_flags: ['avx2', 'fma'], memory_bytes: 135_000_000_000, gpu_name: d.power ? 'Test GPU' : null, gpu_driver: d.power ? '550.1' : null,
      gpu_memory_bytes: d.power ? 80e9 : null, jetson_model: null, node_version: 'v20.20.2', onnxruntime_version: '1.30.0', onnxruntime_backends: ['cpu'],
    };
    await writeCell(cellPath(out, 'devices', d.device), cell);
    for (const [i, m] of models.entries()) {
      // The last model has no accuracy on the first device: fits must cope.
      if (!(i === models.length - 1 && d === devices[0]) && !random.has(m.id)) {
        const acc: AccuracyCell = {
          model_id: m.id, device: d.device, n_images: 64, n_failed: 0, n_non_finite: 0, top1: m.top1 - 0.01 * (d === devices[0] ? 1 : 0),
          top5: Math.min(1, m.top1 + 0.15), batch_size: 32, threads: 2, provider: d.power ? 'cuda' : 'cpu', dataset: 'kit:val_227[:64]', resize_filter: 'linear', seconds: 1.25,
          // The first device's cells are as old cells were, without the optional columns (null in the table).
          ...(d === devices[0] ? {} : { rebatched: m.id === 'squeeze-net', resumed_from_shard: 0, attempt: 1 + (i % 2) }),
        };
        await writeCell(cellPath(out, 'accuracy', d.device, m.id), acc);
      }
      for (const b of [...batches, 64]) {
        const base = { model_id: m.id, device: d.device, batch_size: b, provider: d.power ? 'cuda' : 'cpu', precision: 'fp32', rebatched: m.id === 'squeeze-net' && b > 1, worker: 'host-1:123' };
        if (b === 64) {
          // Too big: a result, not a failure.
          if (m.id === 'res-net') await writeCell(cellPath(out, 'latency', d.device, m.id, `b${b}`), { ...base, status: 'oom', error: 'out of memory' } satisfies LatencyCell);
          continue;
        }
        const perImage = ((4 * m.gflops + 0.5) / d.speed) * (1 / (1 + 0.2 * Math.log2(b))) * (opts.slowdown?.[m.id] ?? 1);
        const samples = Array.from({ length: opts.runs ?? 25 }, () => Math.round(perImage * b * (1 + 0.04 * rand()) * 1e6) / 1e6);
        const stats = latencyStats(samples);
        const watts = d.power ? 60 + 5 * rand() : null;
        const cell: LatencyCell = {
          ...base, status: 'ok', error: null, ...stats, samples_ms: samples, per_image_ms: stats.p50_ms / b, images_per_s: (b * 1000) / stats.p50_ms,
          threads: 2, rss_before_bytes: 400e6, rss_static_bytes: 400e6 + 1.1 * m.mparams * 4e6, rss_peak_bytes: Math.round(420e6 + 1.3 * m.mparams * 4e6 + b * 1e6),
          power_avg_w: watts, power_idle_w: d.power ? 30 : null, energy_per_image_j: watts === null ? null : (watts * stats.p50_ms) / 1000 / b,
          power_note: d.power ? 'nvml, 40 readings' : 'no RAPL powercap in this container',
        };
        await writeCell(cellPath(out, 'latency', d.device, m.id, `b${b}`), cell);
      }
    }
  }
  return { study_id: 'synthetic', spec_json: JSON.stringify({ models: models.map((m) => m.id) }), cells_expected: 99, failures: ['bad-model: not ONNX'], missing_cells: [] };
}

/** Cells and their Parquet tables, as a finished study leaves them. */
export async function writeSyntheticStudy(out: string, opts: SyntheticOptions = {}): Promise<StudySummary> {
  const summary = await writeSyntheticCells(out, opts);
  await writeStudyTables(out, summary);
  return summary;
}
