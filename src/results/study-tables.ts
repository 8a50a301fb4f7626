import path from 'node:path';
import { analyzeStudy } from '../analysis/analyze.js';
import { readAllCells } from './cells.js';
import type { AccuracyCell, DeviceCell, LatencyCell, ModelCell } from './cell-types.js';
import { rowsToTable, writeParquet, type ColumnDefs } from './parquet-table.js';

/** Bumped whenever a column changes meaning or type, so readers can tell files apart. */
export const SCHEMA_VERSION = 1;

export const TABLES = {
  models: {
    model_id: 'utf8', architecture: 'utf8', path: 'utf8', file_bytes: 'int64', params: 'int64', weight_bytes: 'int64',
    macs: 'int64', flops: 'int64', traffic_bytes: 'int64', arithmetic_intensity: 'float64',
    largest_activation_bytes: 'int64', peak_live_activation_bytes: 'int64', uncounted_ops: 'utf8_list', opset: 'int32', input_name: 'utf8', input_dtype: 'utf8', input_shape: 'utf8', fixed_batch: 'int32',
    resize: 'int32', crop: 'int32', num_classes: 'int32', preprocessing: 'utf8', preprocessing_source: 'utf8',
    published_top1: 'float64', published_top5: 'float64', weights: 'utf8',
  },
  model_ops: { model_id: 'utf8', op_type: 'utf8', count: 'int32', macs: 'int64', flops: 'int64' },
  devices: {
    device: 'utf8', hostname: 'utf8', os: 'utf8', arch: 'utf8', cpu_model: 'utf8', cpu_cores: 'int32',
    cpu_simd_flags: 'utf8_list', memory_bytes: 'int64', gpu_name: 'utf8', gpu_driver: 'utf8', gpu_memory_bytes: 'int64',
    jetson_model: 'utf8', node_version: 'utf8', onnxruntime_version: 'utf8', onnxruntime_backends: 'utf8_list',
  },
  accuracy: {
    model_id: 'utf8', device: 'utf8', n_images: 'int32', n_failed: 'int32', n_non_finite: 'int32', top1: 'float64',
    top5: 'float64', batch_size: 'int32', threads: 'int32', provider: 'utf8', dataset: 'utf8', resize_filter: 'utf8', seconds: 'float64',
    rebatched: 'bool', resumed_from_shard: 'int32',
  },
  latency: {
    model_id: 'utf8', device: 'utf8', batch_size: 'int32', status: 'utf8', error: 'utf8', provider: 'utf8', precision: 'utf8',
    rebatched: 'bool', worker: 'utf8', isolation: 'utf8', threads: 'int32', runs: 'int32', mean_ms: 'float64', stdev_ms: 'float64', min_ms: 'float64',
    p50_ms: 'float64', p90_ms: 'float64', p99_ms: 'float64', max_ms: 'float64', per_image_ms: 'float64',
    images_per_s: 'float64', rss_before_bytes: 'int64', rss_static_bytes: 'int64', rss_peak_bytes: 'int64',
    power_avg_w: 'float64', power_idle_w: 'float64', energy_per_image_j: 'float64', power_note: 'utf8',
    gpu_memory_peak_bytes: 'int64',
  },
  latency_samples: { model_id: 'utf8', device: 'utf8', batch_size: 'int32', run_index: 'int32', latency_ms: 'float64' },
  study: {
    study_id: 'utf8', schema_version: 'int32', spec_json: 'utf8', models: 'int32', devices: 'int32',
    cells_expected: 'int32', cells_done: 'int32', failures: 'utf8_list', missing_cells: 'utf8_list',
  },
  // SPEC §3's fits, long format (src/analysis/fit-rows.ts), and every point of each Pareto frontier.
  fits: {
    fit: 'utf8', device: 'utf8', batch_size: 'int32', model_id: 'utf8', param: 'utf8', value: 'float64', unit: 'utf8',
    r2: 'float64', n: 'int32', status: 'utf8', note: 'utf8',
  },
  frontiers: {
    frontier: 'utf8', device: 'utf8', batch_size: 'int32', model_id: 'utf8', x_value: 'float64', x_unit: 'utf8',
    top1: 'float64', on_frontier: 'bool',
  },
} satisfies Record<string, ColumnDefs>;

export type TableName = keyof typeof TABLES;

/**
 * Per-image predictions, not rebuilt from cells: the accuracy activity writes them itself as
 * `predictions/<model>/<device>/part-<shard>.parquet` (plain folder names, not hive `key=value`:
 * pyarrow refuses a partition key that is also a column). Class ids are 0..999, background dropped.
 */
export const PREDICTION_COLUMNS = {
  model_id: 'utf8', device: 'utf8', image_id: 'utf8', label: 'int32', top5_ids: 'int32_list', top5_probs: 'float64_list',
  correct_at_1: 'bool', correct_at_5: 'bool', non_finite: 'bool',
} satisfies ColumnDefs;

export interface StudySummary {
  study_id: string;
  spec_json: string;
  cells_expected: number;
  failures: string[];
  missing_cells: string[];
}

/** Rebuilds every Parquet table of a study from its cells; returns row counts per table. */
export async function writeStudyTables(outDir: string, summary: StudySummary): Promise<Record<TableName, number>> {
  const models = await readAllCells<ModelCell>(outDir, 'models');
  const devices = await readAllCells<DeviceCell>(outDir, 'devices');
  const accuracy = await readAllCells<AccuracyCell>(outDir, 'accuracy');
  const latency = await readAllCells<LatencyCell>(outDir, 'latency');
  const samples = latency.flatMap((c) => (c.samples_ms ?? []).map((ms, i) => ({
    model_id: c.model_id, device: c.device, batch_size: c.batch_size, run_index: i, latency_ms: ms,
  })));
  const modelOps = models.flatMap((m) => Object.entries(m.by_op_type).map(([op_type, c]) => ({ model_id: m.model_id, op_type, ...c })));
  const study = [{
    ...summary, schema_version: SCHEMA_VERSION, models: models.length, devices: devices.length,
    cells_done: accuracy.length + latency.length,
  }];
  const { fits, frontiers } = analyzeStudy({ models, accuracy: [...accuracy, ...publishedAccuracy(models, latency)], latency });
  const rows: Record<TableName, Record<string, unknown>[]> = {
    models: models as unknown as Record<string, unknown>[],
    model_ops: modelOps,
    devices: devices as unknown as Record<string, unknown>[],
    accuracy: accuracy as unknown as Record<string, unknown>[],
    latency: latency as unknown as Record<string, unknown>[],
    latency_samples: samples, study,
    fits: fits as unknown as Record<string, unknown>[],
    frontiers: frontiers as unknown as Record<string, unknown>[],
  };
  const counts = {} as Record<TableName, number>;
  for (const name of Object.keys(TABLES) as TableName[]) {
    // The schema version also rides in each file's key/value metadata: a lone file says what it is.
    await writeParquet(path.join(outDir, `${name}.parquet`), rowsToTable(rows[name], TABLES[name]),
      { 'dnnbench.schema_version': String(SCHEMA_VERSION), 'dnnbench.table': name });
    counts[name] = rows[name].length;
  }
  return counts;
}

/**
 * Random-weight architectures (tools/export) are never evaluated for accuracy; the accuracy fits
 * and frontiers use their published top-1 instead, on every device that timed them. models.parquet
 * says which (`weights` = 'random'); accuracy.parquet only ever holds measured figures.
 */
function publishedAccuracy(models: ModelCell[], latency: LatencyCell[]): { model_id: string; device: string; top1: number }[] {
  const random = new Map(models.filter((m) => m.weights === 'random' && m.published_top1 !== null).map((m) => [m.model_id, m.published_top1!]));
  const seen = new Set<string>();
  return latency.filter((l) => random.has(l.model_id)).flatMap((l) => {
    const key = `${l.device}\u0000${l.model_id}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ model_id: l.model_id, device: l.device, top1: random.get(l.model_id)! }];
  });
}
