import type { TableRow } from './schema.js';

/**
 * What each cell file holds: its table's row (src/results/schema.ts), plus, where said here, what
 * goes to a table of its own. The producers (profile, describe-device, accuracy, latency) build
 * these, so a field that is not a column fails to type-check or, spread in, to write.
 */
export type ModelCell = TableRow<'models'> & {
  /** The per-op breakdown: model_ops.parquet. */
  by_op_type: Record<string, Omit<TableRow<'model_ops'>, 'model_id' | 'op_type'>>;
};

export type DeviceCell = TableRow<'devices'>;

export type AccuracyCell = TableRow<'accuracy'>;

export type LatencyStatus = TableRow<'latency'>['status'];

/** One (model, device, batch) timing; the measurement columns are absent when status is not ok. */
export type LatencyCell = TableRow<'latency'> & {
  /** Every timed run: latency_samples.parquet. */
  samples_ms?: TableRow<'latency_samples'>['latency_ms'][];
};

/** The cell of each kind. */
export interface CellOf {
  models: ModelCell;
  devices: DeviceCell;
  accuracy: AccuracyCell;
  latency: LatencyCell;
}
