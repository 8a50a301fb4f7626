/**
 * Every results table's columns, defined once. The row types (`TableRow<'latency'>`), the cell
 * types (src/results/cell-types.ts), the analysis inputs, the Parquet writer's checks and the
 * readers all come from here; docs/SCHEMA.md describes each column and test/unit/schema-doc.test.ts
 * holds it to these definitions. Adding a column is one line here plus its line in the doc.
 */

/** The writer's column types (src/results/parquet-table.ts maps them to Arrow/Parquet). */
export type ColumnType = 'utf8' | 'int32' | 'int64' | 'float64' | 'bool' | 'timestamp_ms' | 'utf8_list' | 'int32_list' | 'float64_list';

export interface Column {
  type: ColumnType;
  /** null is a value of this column (not measured, not applicable). */
  nullable?: true;
  /** A written row may leave the key out (null in the table); every other key must be there. */
  optional?: true;
  /** The only values of a utf8 column: its type narrows to them. */
  values?: readonly string[];
}

/** A bare type is a column every row has and never null. */
export type ColumnDef = ColumnType | Column;
export type ColumnDefs = Readonly<Record<string, ColumnDef>>;

type Normal<D extends ColumnDef> = D extends ColumnType ? { type: D } : D;
const normal = <const D extends ColumnDef>(d: D): Normal<D> => (typeof d === 'string' ? { type: d } : d) as Normal<D>;

export const nullable = <const D extends ColumnDef>(d: D) => ({ ...normal(d), nullable: true as const });
/** Absent from some cells: written before the column existed, or not measured (a failed latency cell). */
export const optional = <const D extends ColumnDef>(d: D) => ({ ...normal(d), nullable: true as const, optional: true as const });
export const oneOf = <const V extends readonly string[]>(...values: V) => ({ type: 'utf8' as const, values });

/** The column's definition in full, whichever way it was written. */
export function columnOf(d: ColumnDef): Column {
  return normal(d);
}

/** Bumped whenever a column changes meaning or type (adding a column or a table does not), so readers can tell files apart. */
export const SCHEMA_VERSION = 1;

/** The tables rebuilt from the cells at the end of every study: `<out>/<name>.parquet`, in this order. */
export const STUDY_TABLES = {
  models: {
    model_id: 'utf8', architecture: nullable('utf8'), path: 'utf8', file_bytes: 'int64', params: 'int64', weight_bytes: 'int64',
    macs: 'int64', flops: 'int64', traffic_bytes: 'int64', arithmetic_intensity: 'float64',
    largest_activation_bytes: 'int64', peak_live_activation_bytes: 'int64', uncounted_ops: 'utf8_list', opset: 'int32',
    input_name: 'utf8', input_dtype: 'utf8', input_shape: 'utf8', fixed_batch: nullable('int32'),
    resize: 'int32', crop: 'int32', num_classes: 'int32', preprocessing: 'utf8', preprocessing_source: 'utf8',
    published_top1: nullable('float64'), published_top5: nullable('float64'), weights: oneOf('pretrained', 'random'),
    published_source: optional('utf8'),
    // A precision variant made by tools/variants (docs/VARIANTS.md): its parent, its recipe, and how many
    // images calibrated it (int8 static); absent (null) for every other model.
    variant_of: optional('utf8'), recipe: optional('utf8'), calibration_images: optional('int32'),
  },
  model_ops: { model_id: 'utf8', op_type: 'utf8', count: 'int32', macs: 'int64', flops: 'int64' },
  devices: {
    device: 'utf8', hostname: 'utf8', os: 'utf8', arch: 'utf8', cpu_model: 'utf8', cpu_cores: 'int32',
    cpu_simd_flags: 'utf8_list', memory_bytes: 'int64', gpu_name: nullable('utf8'), gpu_driver: nullable('utf8'),
    gpu_memory_bytes: nullable('int64'), jetson_model: nullable('utf8'), node_version: 'utf8', onnxruntime_version: 'utf8',
    onnxruntime_backends: 'utf8_list',
    // Provenance (absent from devices described before it): the CPU's identity and core layout, the
    // session settings the timings ran with (JSON), and the code that measured.
    cpu_vendor: optional('utf8'), cpu_family: optional('int32'), cpu_model_number: optional('int32'), cpu_stepping: optional('int32'),
    cpu_physical_cores: optional('int32'), cpu_threads_per_core: optional('int32'), cpu_packages: optional('int32'),
    runtime_settings: optional('utf8'), dnnbench_version: optional('utf8'), git_commit: optional('utf8'), git_dirty: optional('bool'),
  },
  accuracy: {
    model_id: 'utf8', device: 'utf8', n_images: 'int32', n_failed: 'int32', n_non_finite: 'int32', top1: 'float64',
    top5: 'float64', batch_size: 'int32', threads: 'int32', provider: 'utf8', dataset: 'utf8', resize_filter: 'utf8', seconds: 'float64',
    rebatched: optional('bool'), resumed_from_shard: optional('int32'), attempt: optional('int32'),
    // Provenance (src/analysis/accuracy-provenance.ts): absent from cells written before it; the tables fill it in.
    basis: optional(oneOf('measured_full_val', 'measured_sample')), top1_ci_low: optional('float64'), top1_ci_high: optional('float64'),
    top5_ci_low: optional('float64'), top5_ci_high: optional('float64'),
  },
  // The measurement columns are absent from a cell whose status is not ok.
  latency: {
    model_id: 'utf8', device: 'utf8', batch_size: 'int32', status: oneOf('ok', 'oom', 'error'), error: nullable('utf8'),
    provider: 'utf8', precision: 'utf8', rebatched: 'bool', worker: 'utf8', isolation: optional(oneOf('process', 'worker')),
    threads: optional('int32'), runs: optional('int32'), mean_ms: optional('float64'), stdev_ms: optional('float64'),
    min_ms: optional('float64'), p50_ms: optional('float64'), p90_ms: optional('float64'), p99_ms: optional('float64'),
    max_ms: optional('float64'), per_image_ms: optional('float64'), images_per_s: optional('float64'),
    rss_before_bytes: optional('int64'), rss_static_bytes: optional('int64'), rss_peak_bytes: optional('int64'),
    power_avg_w: optional('float64'), power_idle_w: optional('float64'), energy_per_image_j: optional('float64'),
    power_note: optional('utf8'), gpu_memory_peak_bytes: optional('int64'),
    // Repetitions (src/latency/combine-repetitions.ts): absent from cells measured before them.
    p50_ci_low_ms: optional('float64'), p50_ci_high_ms: optional('float64'), repetitions: optional('int32'),
    repetitions_discarded: optional('int32'), stability: optional(oneOf('stable', 'noisy', 'drifting', 'host-disturbed')),
    stability_reason: optional('utf8'), seconds: optional('float64'),
    // The interval's half-width from the cell's own repetitions, and where a rerun's p50 lands (src/latency/cell-interval.ts).
    p50_own_half_width: optional('float64'), p50_rerun_low_ms: optional('float64'), p50_rerun_high_ms: optional('float64'),
    // The factor the times were scaled by to the host's average speed over the study (src/latency/round-adjustment.ts).
    round_adjustment: optional('float64'),
    // The device's runtime variant (docs/VARIANTS.md); absent (null) where the device lists none.
    variant: optional('utf8'),
  },
  // One row per repetition of a latency cell, discarded ones included, with the host's readings around it.
  latency_repetitions: {
    model_id: 'utf8', device: 'utf8', batch_size: 'int32', repetition: 'int32', round: 'int32', worker: 'utf8',
    started_at: 'timestamp_ms', discarded: 'bool', discard_reasons: 'utf8_list', p50_ms: 'float64', runs: 'int32',
    warmup_runs: nullable('int32'), warmup_reason: nullable('utf8'), drift_rho: nullable('float64'), drift_change: nullable('float64'),
    seconds: 'float64', steal_fraction: 'float64', other_cores: 'float64', own_cores: 'float64',
    load_avg_start: 'float64', load_avg_end: 'float64', cpu_mhz_min: nullable('float64'), cpu_mhz_max: nullable('float64'),
    max_temperature_c: nullable('float64'), gpu_sm_mhz: nullable('float64'), gpu_memory_mhz: nullable('float64'),
    gpu_throttle_reasons: 'utf8_list', jetson_power_mode: nullable('utf8'), jetson_gpu_mhz: nullable('float64'),
    host_notes: 'utf8_list', variant: optional('utf8'),
    // The host's speed beside the repetition (src/host/speed-probe.ts); absent from repetitions measured before the probe.
    host_probe_compute_ms: optional('float64'), host_probe_memory_ms: optional('float64'),
    // The CPU figures over the timed runs alone (host-noise.ts markTimedRuns); absent before they were read.
    timed_steal_fraction: optional('float64'), timed_other_cores: optional('float64'),
    // The round trip between two cores beside the repetition (src/host/core-link-probe.ts); absent before it was read.
    host_core_link_ns: optional('float64'),
    // Two threads' loop against one's beside the repetition (src/host/core-share-probe.ts); absent before it was read.
    host_core_share_ratio: optional('float64'),
  },
  latency_samples: {
    model_id: 'utf8', device: 'utf8', batch_size: 'int32', run_index: 'int32', latency_ms: 'float64',
    repetition: optional('int32'), variant: optional('utf8'),
  },
  study: {
    study_id: 'utf8', schema_version: 'int32', spec_json: 'utf8', models: 'int32', devices: 'int32',
    cells_expected: 'int32', cells_done: 'int32', failures: 'utf8_list', missing_cells: 'utf8_list',
    timing_below_spec: optional('utf8_list'), timing_reason: optional('utf8'),
    // Provenance: the code that ran the study (its control side), each device in one line, and how
    // loaded the hosts were while the latency repetitions ran (latency_repetitions.parquet).
    dnnbench_version: optional('utf8'), git_commit: optional('utf8'), git_dirty: optional('bool'), device_provenance: optional('utf8_list'),
    host_load_avg_median: optional('float64'), host_load_avg_max: optional('float64'), host_steal_fraction_median: optional('float64'),
    host_other_cores_median: optional('float64'), host_probe_compute_ms_median: optional('float64'), host_probe_memory_ms_median: optional('float64'),
  },
  // Serving scenarios (issue 21, docs/SERVING.md): one row per run, its queries, and each capacity search's answer.
  serving: {
    model_id: 'utf8', device: 'utf8', provider: 'utf8', precision: 'utf8', setting: 'utf8', max_batch: 'int32', max_queue_delay_ms: 'float64',
    instances: 'int32', threads_per_instance: 'int32', spinning: 'bool',
    scenario: oneOf('single-stream', 'multi-stream', 'server', 'offline'), run_id: 'utf8', search: nullable('int32'), trial: nullable('int32'),
    target_qps: nullable('float64'), achieved_qps: 'float64', queries: 'int32', samples: 'int64', samples_per_query: 'int32',
    samples_per_s: 'float64', duration_s: 'float64', p50_ms: nullable('float64'), p90_ms: nullable('float64'), p99_ms: nullable('float64'),
    max_ms: nullable('float64'), mean_ms: nullable('float64'), latency_lower_bound: 'bool', bound_ms: nullable('float64'), percentile: 'float64',
    overlatency_count: nullable('int32'), overlatency_fraction: nullable('float64'), early_stopping_ok: nullable('bool'),
    early_stopping_queries_needed: nullable('int32'), early_stop_estimate_ms: nullable('float64'), issue_lag_mean_ms: 'float64',
    issue_lag_max_ms: 'float64', min_duration_met: 'bool', min_queries_met: 'bool', valid: 'bool', invalid_reasons: 'utf8_list',
    mean_batch: 'float64', warmup_runs: 'int32', sample_count: 'int32', seed: 'int64',
    host_disturbed: 'bool', disturbances: 'utf8_list', discarded_runs: 'int32', steal_fraction: 'float64', other_cores: 'float64',
    load_avg_end: 'float64', worker: 'utf8', started_at: 'timestamp_ms', seconds: 'float64',
    // Derived when the tables are built (src/analysis/serving-tables.ts): the latency trend over the run's queries.
    stability: oneOf('stable', 'drifting', 'host-disturbed'), stability_reason: 'utf8', drift_rho: nullable('float64'), drift_change: nullable('float64'),
  },
  serving_samples: {
    model_id: 'utf8', device: 'utf8', setting: 'utf8', run_id: 'utf8', query: 'int32', due_ms: 'float64', latency_ms: nullable('float64'),
  },
  serving_capacity: {
    model_id: 'utf8', device: 'utf8', setting: 'utf8', max_batch: 'int32', max_queue_delay_ms: 'float64', instances: 'int32',
    threads_per_instance: 'int32', search: 'int32', bound_ms: 'float64', bound_basis: 'utf8', trials: 'int32',
    max_valid_qps: nullable('float64'), min_invalid_qps: nullable('float64'), p99_at_max_valid_ms: nullable('float64'),
    ended: oneOf('converged', 'max_trials', 'below_min_qps', 'open'), non_monotonic: 'bool', host_disturbed_trials: 'int32',
    searches: 'int32', capacity_low_qps: nullable('float64'), capacity_high_qps: nullable('float64'),
    agreement: oneOf('agree', 'disagree', 'single'), single_stream_p50_ms: nullable('float64'), single_stream_qps: nullable('float64'),
    offline_samples_per_s: nullable('float64'), sweep_b1_images_per_s: nullable('float64'), sweep_best_images_per_s: nullable('float64'),
    sweep_best_batch: nullable('int32'),
  },
  // Variants side by side (issue 20, docs/VARIANTS.md; src/analysis/variant-tables.ts): one row per
  // (variant, parent, device), a precision variant against its parent model at the same runtime
  // variant, or a runtime variant against the device's reference variant for the same model.
  variants: {
    device: 'utf8', model_id: 'utf8', variant: nullable('utf8'), parent_model_id: 'utf8', parent_variant: nullable('utf8'),
    kind: oneOf('precision', 'runtime'), recipe: 'utf8', precision: 'utf8', parent_precision: 'utf8',
    speedup_b1: nullable('float64'), speedup_b1_ci_low: nullable('float64'), speedup_b1_ci_high: nullable('float64'),
    speedup_b1_significant: nullable('bool'), best_batch: nullable('int32'), parent_best_batch: nullable('int32'),
    best_images_per_s: nullable('float64'), parent_best_images_per_s: nullable('float64'), speedup_best: nullable('float64'),
    speedup_best_ci_low: nullable('float64'), speedup_best_ci_high: nullable('float64'), speedup_best_significant: nullable('bool'),
    timing_stability: nullable(oneOf('stable', 'noisy', 'drifting', 'host-disturbed')),
    n_images: nullable('int32'), calibration_excluded: nullable('int32'), accuracy_note: nullable('utf8'),
    top1: nullable('float64'), parent_top1: nullable('float64'), top1_delta: nullable('float64'), top1_delta_ci_low: nullable('float64'),
    top1_delta_ci_high: nullable('float64'), top1_mcnemar_p: nullable('float64'), top1_only_parent: nullable('int32'), top1_only_variant: nullable('int32'),
    top5: nullable('float64'), parent_top5: nullable('float64'), top5_delta: nullable('float64'), top5_delta_ci_low: nullable('float64'),
    top5_delta_ci_high: nullable('float64'), top5_mcnemar_p: nullable('float64'), top5_only_parent: nullable('int32'), top5_only_variant: nullable('int32'),
    top1_agreement: nullable('float64'),
    weight_bytes: 'int64', parent_weight_bytes: 'int64', weight_bytes_ratio: 'float64', rss_peak_ratio_b1: nullable('float64'),
    cpu_simd_flags: 'utf8_list',
  },
  // SPEC §3's fits, long format (src/analysis/fit-rows.ts), and every point of each Pareto frontier.
  fits: {
    fit: 'utf8', device: nullable('utf8'), batch_size: nullable('int32'), model_id: nullable('utf8'), param: 'utf8',
    value: nullable('float64'), ci_low: nullable('float64'), ci_high: nullable('float64'), unit: 'utf8', r2: nullable('float64'), n: 'int32',
    status: oneOf('ok', 'exact', 'too_few_points', 'no_data'), note: nullable('utf8'),
    accuracy_basis: nullable(oneOf('published', 'measured_full_val', 'measured_sample')),
  },
  frontiers: {
    frontier: 'utf8', device: nullable('utf8'), batch_size: nullable('int32'), model_id: 'utf8', x_value: 'float64', x_unit: 'utf8',
    top1: 'float64', on_frontier: 'bool', accuracy_basis: nullable(oneOf('published', 'measured_full_val', 'measured_sample')),
  },
} as const satisfies Record<string, ColumnDefs>;

export const TABLES = {
  ...STUDY_TABLES,
  /**
   * Per-image predictions, not rebuilt from cells: the accuracy activity writes them itself as
   * `predictions/<model>/<device>/part-<shard>.parquet` (plain folder names, not hive `key=value`:
   * pyarrow refuses a partition key that is also a column). Class ids are 0..999, background dropped.
   */
  predictions: {
    model_id: 'utf8', device: 'utf8', image_id: 'utf8', label: 'int32', top5_ids: 'int32_list', top5_probs: 'float64_list',
    correct_at_1: 'bool', correct_at_5: 'bool', non_finite: 'bool',
  },
} as const satisfies Record<string, ColumnDefs>;

export type TableName = keyof typeof TABLES;
export type StudyTableName = keyof typeof STUDY_TABLES;
export const STUDY_TABLE_NAMES = Object.keys(STUDY_TABLES) as StudyTableName[];

// ---- row types, derived ------------------------------------------------------------------------

/** What a writer accepts in each type (int64 as number; bigint also writes, but no cell holds one). */
interface JsOf {
  utf8: string;
  int32: number;
  int64: number;
  float64: number;
  bool: boolean;
  timestamp_ms: Date | number;
  utf8_list: string[];
  int32_list: number[];
  float64_list: number[];
}

type ValueOf<D extends ColumnDef> =
  | (Normal<D> extends { values: readonly (infer V)[] } ? V : JsOf[Normal<D>['type']])
  | (Normal<D> extends { nullable: true } ? null : never);

type OptionalKeys<Defs extends ColumnDefs> = { [K in keyof Defs]: Normal<Defs[K]> extends { optional: true } ? K : never }[keyof Defs];
type Flat<T> = { [K in keyof T]: T[K] };

/** A row as written: every column's key, except optional ones, which may be left out. A wide ColumnDefs gives plain records. */
export type RowOf<Defs extends ColumnDefs> = string extends keyof Defs ? Record<string, unknown> : Flat<
  { [K in Exclude<keyof Defs, OptionalKeys<Defs>>]: ValueOf<Defs[K]> } & { [K in OptionalKeys<Defs>]?: ValueOf<Defs[K]> }
>;

/** A row as read back from Parquet (src/report/read-tables.ts): every column there, null where missing. */
export type ReadRowOf<Defs extends ColumnDefs> = { [K in keyof Defs]: ValueOf<Defs[K]> };

export type TableRow<N extends TableName> = RowOf<(typeof TABLES)[N]>;
export type ReadRow<N extends TableName> = ReadRowOf<(typeof TABLES)[N]>;
