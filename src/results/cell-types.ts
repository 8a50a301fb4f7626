import type { DeviceDescription } from '../host/describe-device.js';
import type { LatencyMeasurement } from '../latency/measure-latency.js';

export type DeviceCell = DeviceDescription;

export interface ModelCell {
  model_id: string;
  path: string;
  architecture: string | null;
  file_bytes: number;
  params: number;
  weight_bytes: number;
  macs: number;
  flops: number;
  traffic_bytes: number;
  arithmetic_intensity: number;
  largest_activation_bytes: number;
  peak_live_activation_bytes: number;
  /** Op types whose cost could not be counted: macs/flops are then lower bounds. */
  uncounted_ops: string[];
  opset: number;
  by_op_type: Record<string, { count: number; macs: number; flops: number }>;
  input_name: string;
  input_dtype: string;
  input_shape: string;
  fixed_batch: number | null;
  preprocessing: string;
  preprocessing_source: string;
  resize: number;
  crop: number;
  num_classes: number;
  /** As a fraction 0..1, like measured top-1. */
  published_top1: number | null;
  published_top5: number | null;
  /** 'random' for architectures exported without their trained weights (never evaluated). */
  weights: 'pretrained' | 'random';
}

export interface AccuracyCell {
  model_id: string;
  device: string;
  n_images: number;
  n_failed: number;
  n_non_finite: number;
  top1: number;
  top5: number;
  batch_size: number;
  threads: number;
  provider: string;
  dataset: string;
  resize_filter: string;
  seconds: number;
  // Optional: cells written before these fields existed lack them.
  /** True when a fixed-batch model ran through its re-batched copy at batch_size. */
  rebatched?: boolean;
  /** First shard this attempt evaluated: > 0 when it resumed a killed attempt's heartbeat. */
  resumed_from_shard?: number;
  /** The activity attempt that finished the cell (1 unless a worker died or an attempt failed). */
  attempt?: number;
}

export type LatencyStatus = 'ok' | 'oom' | 'error';

/** One (model, device, batch) timing; the measurement fields are absent when status is not ok. */
export interface LatencyCell extends Partial<LatencyMeasurement> {
  model_id: string;
  device: string;
  batch_size: number;
  status: LatencyStatus;
  error: string | null;
  provider: string;
  precision: string;
  /** True when a fixed-batch model was timed through a re-batched copy. */
  rebatched: boolean;
  /** The worker process that measured it (host:pid): which board of a shared queue did the work. */
  worker: string;
  /** 'process': timed in a fresh process of its own (timing.isolation, and always for trtexec); 'worker': in the worker process. */
  isolation?: 'process' | 'worker';
}
