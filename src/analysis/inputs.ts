import type { TableRow } from '../results/schema.js';
import type { LawAccuracy } from './accuracy-basis.js';

/**
 * What the fits read: the columns of the models, accuracy and latency tables they use. Cells and
 * rows read back from Parquet (src/report/read-tables.ts) both have them.
 */
export type ModelInput = Pick<TableRow<'models'>, 'model_id' | 'params' | 'weight_bytes' | 'flops' | 'published_top1' | 'published_source'>;

export type AccuracyInput = Pick<TableRow<'accuracy'>, 'model_id' | 'device' | 'top1' | 'n_images'>;

export type LatencyInput = Pick<TableRow<'latency'>,
  'model_id' | 'device' | 'batch_size' | 'status' | 'per_image_ms' | 'images_per_s' | 'rss_peak_bytes' | 'power_avg_w' | 'energy_per_image_j' | 'power_note'
  | 'rss_before_bytes' | 'isolation'>;

export interface AnalysisInput {
  models: ModelInput[];
  accuracy: AccuracyInput[];
  latency: LatencyInput[];
}

/** One model measured on one device at one batch size, with what the fits need joined in. */
export interface Point {
  model_id: string;
  device: string;
  batch_size: number;
  gflops: number;
  mparams: number;
  weight_bytes: number;
  /** On the basis of the device's laws (lawAccuracy); null when that basis has no figure for the model. */
  top1: number | null;
  per_image_ms: number | null;
  images_per_s: number | null;
  rss_peak_bytes: number | null;
  /** Before the session: in a cell's own process (`isolation` 'process') the process's baseline before any model. */
  rss_before_bytes: number | null;
  isolation: 'process' | 'worker' | null;
  power_avg_w: number | null;
  energy_per_image_j: number | null;
  power_note: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const finite = (v: unknown): number | null => {
  const n = num(v);
  return n !== null && Number.isFinite(n) ? n : null;
};

/** Joins ok latency rows with their model and the top-1 of their device's laws; rows of unknown models are left out. */
export function joinPoints(input: AnalysisInput, laws: ReadonlyMap<string, LawAccuracy>): Point[] {
  const models = new Map(input.models.map((m) => [m.model_id, m]));
  const points: Point[] = [];
  for (const l of input.latency) {
    const m = models.get(l.model_id);
    if (!m || l.status !== 'ok') continue;
    points.push({
      model_id: l.model_id, device: l.device, batch_size: l.batch_size,
      gflops: m.flops / 1e9, mparams: m.params / 1e6, weight_bytes: m.weight_bytes,
      top1: laws.get(l.device)?.byModel.get(l.model_id)?.top1 ?? null,
      per_image_ms: finite(l.per_image_ms), images_per_s: finite(l.images_per_s), rss_peak_bytes: finite(l.rss_peak_bytes),
      rss_before_bytes: finite(l.rss_before_bytes), isolation: l.isolation ?? null,
      power_avg_w: finite(l.power_avg_w), energy_per_image_j: finite(l.energy_per_image_j), power_note: l.power_note ?? null,
    });
  }
  return points;
}
