import type { TableRow } from './schema.js';

/**
 * What each cell file holds: its table's row (src/results/schema.ts), plus, where said here, what
 * goes to a table of its own. The producers (profile, describe-device, accuracy, latency) build
 * these, so a field that is not a column fails to type-check or, spread in, to write.
 */
export type ModelCell = TableRow<'models'> & {
  /** The per-op breakdown: model_ops.parquet. */
  by_op_type: Record<string, Omit<TableRow<'model_ops'>, 'model_id' | 'op_type'>>;
  /** An int8-static variant's calibration images (its sidecar's): the variants table leaves them out of the paired accuracy. */
  calibration_image_ids?: string[];
};

export type DeviceCell = TableRow<'devices'>;

export type AccuracyCell = TableRow<'accuracy'>;

export type LatencyStatus = TableRow<'latency'>['status'];

/** One (model, device, batch) timing; the measurement columns are absent when status is not ok. */
export type LatencyCell = TableRow<'latency'> & {
  /** Every timed run: latency_samples.parquet. */
  samples_ms?: TableRow<'latency_samples'>['latency_ms'][];
  /** The repetition of each entry of samples_ms (absent from cells measured before repetitions). */
  samples_repetition?: number[];
};

/** What one repetition measured besides its runs: the latency row's measurement columns, and its warm-up. */
export type RepetitionMeasurement = Partial<Omit<TableRow<'latency'>,
  'model_id' | 'device' | 'batch_size' | 'status' | 'error' | 'provider' | 'precision' | 'rebatched' | 'worker' | 'isolation'>> & {
  warmup_runs?: number | null;
  warmup_reason?: string | null;
};

/** One repetition of a latency cell (src/latency/repetition-record.ts), discarded ones included. */
export type RepetitionCell = TableRow<'latency_repetitions'> & {
  /** The timed runs, ms, in order. */
  samples_ms: number[];
  measurement: RepetitionMeasurement;
};

/** One serving run (src/activities/serving-activities.ts): its serving.parquet row (less what the tables derive) and its queries. */
export type ServingCell = Omit<TableRow<'serving'>, 'stability' | 'stability_reason' | 'drift_rho' | 'drift_change'> & {
  /** Per query, from the run's start: when it was due, and its latency (null: it never completed). */
  due_ms: number[];
  latency_ms: (number | null)[];
};

/** The cell of each kind. */
export interface CellOf {
  models: ModelCell;
  devices: DeviceCell;
  accuracy: AccuracyCell;
  latency: LatencyCell;
  latency_repetitions: RepetitionCell;
  serving: ServingCell;
}
