/**
 * The report's tables per device beside its figures: accuracy on both bases (what the kit's sample
 * measured, beside the published full-val figures the laws read), Bianco's time per image by batch
 * size, and which models keep up with real time. Each comes as HTML rows and as its CSV's rows.
 */
import { measuredBasis } from '../analysis/accuracy-basis.js';
import type { ReadRow } from '../results/schema.js';
import type { DeviceData } from './chart-data.js';
import type { FigureTable } from './figure-csv.js';
import { formatNumber, type Annotated, type Cell } from './html.js';
import { figureCell } from './latency-cells.js';
import { latencyIntervals } from './latency-interval.js';
import type { StudyData } from './load-study.js';
import { modelFamily } from './model-family.js';
import { finiteOrNull } from './read-tables.js';

export interface ReportTable {
  /** Stable name: the HTML anchor `<device>-<name>` and the CSV `figures/<device>/<name>.csv`. */
  name: 'accuracy-bases' | 'time-by-batch' | 'real-time' | 'serving-capacity' | 'serving-runs' | 'variants-side-by-side';
  title: string;
  /** What the table shows, in a sentence or two (above it in the report). */
  note: string;
  rows: Record<string, Cell>[];
  columns: string[];
  table: FigureTable;
}

/** The frame rate Bianco et al. call real time. */
const REAL_TIME_IMAGES_PER_S = 30;

const num = finiteOrNull;
const percent = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** A measured top-1 as `79.85% [77.56, 81.98]` (its 95% interval, when accuracy.parquet has one). */
function measuredCell(top1: number, low: number | null, high: number | null, n: number): Annotated {
  const interval = low !== null && high !== null ? ` [${(100 * low).toFixed(2)}, ${(100 * high).toFixed(2)}]` : '';
  return { value: top1, text: `${percent(top1)}${interval}`, title: `${n.toLocaleString('en')} images${interval ? '; 95% interval in brackets' : ''}`, flagged: false };
}

const ACCURACY_COLUMNS = [
  'model_id', 'family', 'weights', 'published_top1', 'published_source', 'measured_top1', 'measured_ci_low', 'measured_ci_high',
  'measured_n_images', 'measured_basis', 'measured_minus_published_points', 'figures_basis',
];

/**
 * Every model of the device with its published top-1 (and source) and what this study measured on
 * it (N, basis, interval), and their difference in points. The figures read one basis only; this
 * table is where the other stands. The interval columns come from accuracy.parquet when it has
 * them (studies before them have none: the cell shows the value alone).
 */
export function accuracyBasesTable(s: StudyData, d: DeviceData): ReportTable {
  const models = new Map(s.models.map((m) => [m.model_id, m]));
  const measured = new Map(s.accuracy.filter((a) => a.device === d.device).map((a) => [a.model_id, a]));
  const csvRows = d.modelPoints.map((p) => {
    const m = models.get(p.model_id)!;
    const a = measured.get(p.model_id);
    const published = num(m.published_top1);
    const top1 = a ? num(a.top1) : null;
    const n = a ? Number(a.n_images) : null;
    return {
      model_id: p.model_id, family: p.family, weights: m.weights, published_top1: published,
      published_source: m.published_source,
      measured_top1: top1, measured_ci_low: a ? num(a.top1_ci_low) : null, measured_ci_high: a ? num(a.top1_ci_high) : null,
      measured_n_images: n,
      measured_basis: a && n !== null ? (a.basis ?? measuredBasis(n)) : null,
      measured_minus_published_points: top1 !== null && published !== null ? 100 * (top1 - published) : null,
      figures_basis: p.top1_basis,
    };
  });
  const rows = csvRows.map((r): Record<string, Cell> => ({
    model_id: r.model_id, family: r.family, weights: r.weights,
    'published top-1': r.published_top1 === null ? null : { value: r.published_top1, text: percent(r.published_top1), title: r.published_source, flagged: false },
    'published source': r.published_source,
    'measured top-1 [95%]': r.measured_top1 === null ? null : measuredCell(r.measured_top1, r.measured_ci_low, r.measured_ci_high, r.measured_n_images!),
    N: r.measured_n_images, 'measured basis': r.measured_basis,
    'measured − published (points)': r.measured_minus_published_points === null ? null : Number(r.measured_minus_published_points.toFixed(2)),
    'on the figures as': r.figures_basis ?? 'not drawn (no top-1 on their basis)',
  }));
  return {
    name: 'accuracy-bases', title: 'Top-1: published and measured',
    note: `The accuracy figures read ${d.accuracy.label.replace(/^top-1: /, '')} (${d.accuracy.reason}). What this study measured is beside it, as what it is: ` +
      'a measurement on a sample (N images, with its 95% interval) is not one on the full validation set, and a random-weight export has nothing to measure.',
    rows, columns: Object.keys(rows[0] ?? {}), table: { columns: ACCURACY_COLUMNS, rows: csvRows },
  };
}

type LatencyRow = ReadRow<'latency'>;

/** Bianco's table: time per image (ms) for every model at every batch size, with its 95% interval; `oom`/`error` where the cell failed. */
export function timeByBatchTable(s: StudyData, d: DeviceData): ReportTable {
  // Every model timed on the device, those whose every cell failed included: an oom is a result.
  const family = new Map(s.models.map((m) => [m.model_id, modelFamily(m.architecture, m.model_id).name]));
  const cells = s.latency.filter((l) => l.device === d.device && family.has(l.model_id));
  const batches = [...new Set(cells.map((l) => Number(l.batch_size)))].sort((a, b) => a - b);
  const byModel = new Map<string, Map<number, LatencyRow>>();
  for (const l of cells) {
    if (!byModel.has(l.model_id)) byModel.set(l.model_id, new Map());
    byModel.get(l.model_id)!.set(Number(l.batch_size), l);
  }
  const ids = [...byModel.keys()].sort();
  const rows = ids.map((id) => {
    const row: Record<string, Cell> = { model_id: id, family: family.get(id) };
    for (const b of batches) {
      const l = byModel.get(id)!.get(b);
      row[`b${b}`] = !l ? null : l.status !== 'ok' ? l.status : figureCell(num(l.per_image_ms), latencyIntervals(l)?.per_image_ms ?? null, l);
    }
    return row;
  });
  const csvRows = ids.flatMap((id) => batches.flatMap((b) => {
    const l = byModel.get(id)!.get(b);
    if (!l) return [];
    const ci = l.status === 'ok' ? latencyIntervals(l)?.per_image_ms : undefined;
    return [{ model_id: id, family: family.get(id), batch_size: b, status: l.status, per_image_ms: num(l.per_image_ms), per_image_ci_low_ms: ci?.low ?? null, per_image_ci_high_ms: ci?.high ?? null }];
  }));
  return {
    name: 'time-by-batch', title: 'Time per image (ms) by batch size',
    note: 'Bianco et al.\'s table of inference time: p50 / batch for every model and batch size, with its 95% interval where the cell has one.',
    rows, columns: ['model_id', 'family', ...batches.map((b) => `b${b}`)],
    table: { columns: ['model_id', 'family', 'batch_size', 'status', 'per_image_ms', 'per_image_ci_low_ms', 'per_image_ci_high_ms'], rows: csvRows },
  };
}

const REAL_TIME_COLUMNS = [
  'model_id', 'family', 'images_per_s', 'images_per_s_ci_low', 'images_per_s_ci_high', 'real_time_by_p50', 'real_time_by_interval_low',
];

/**
 * Which models keep up with 30 images/s at batch 1 (a camera's stream, one frame at a time): by
 * their p50, and by the low end of their throughput's 95% interval (the claim that holds on a bad
 * repetition too; unknown for cells without an interval).
 */
export function realTimeTable(d: DeviceData): ReportTable {
  const pts = d.latency.filter((l) => l.batch_size === 1).sort((a, b) => b.images_per_s - a.images_per_s);
  const csvRows = pts.map((p) => ({
    model_id: p.model_id, family: p.family, images_per_s: p.images_per_s, images_per_s_ci_low: p.images_per_s_ci_low, images_per_s_ci_high: p.images_per_s_ci_high,
    real_time_by_p50: p.images_per_s >= REAL_TIME_IMAGES_PER_S,
    real_time_by_interval_low: p.images_per_s_ci_low === null ? null : p.images_per_s_ci_low >= REAL_TIME_IMAGES_PER_S,
  }));
  const rows = csvRows.map((r): Record<string, Cell> => ({
    model_id: r.model_id, family: r.family,
    'images/s at batch 1 [95%]': r.images_per_s_ci_low === null || r.images_per_s_ci_high === null ? r.images_per_s
      : { value: r.images_per_s, text: `${formatNumber(r.images_per_s)} [${formatNumber(r.images_per_s_ci_low)}, ${formatNumber(r.images_per_s_ci_high)}]`, title: null, flagged: false },
    [`≥ ${REAL_TIME_IMAGES_PER_S}/s (p50)`]: r.real_time_by_p50 ? 'yes' : 'no',
    [`≥ ${REAL_TIME_IMAGES_PER_S}/s (interval's low end)`]: r.real_time_by_interval_low === null ? 'no interval' : r.real_time_by_interval_low ? 'yes' : 'no',
  }));
  const byP50 = csvRows.filter((r) => r.real_time_by_p50).length;
  const byLow = csvRows.filter((r) => r.real_time_by_interval_low === true).length;
  const withInterval = csvRows.filter((r) => r.real_time_by_interval_low !== null).length;
  return {
    name: 'real-time', title: `Real time: ${REAL_TIME_IMAGES_PER_S} images/s at batch 1`,
    note: pts.length === 0
      ? 'No model was measured at batch 1 on this device.'
      : `${byP50} of ${pts.length} models reach ${REAL_TIME_IMAGES_PER_S} images/s at batch 1 by their p50; ` +
        (withInterval === 0 ? 'no cell has an interval (measured before repetitions).' : `${byLow} of the ${withInterval} with an interval do so at its low end too.`),
    rows, columns: Object.keys(rows[0] ?? {}), table: { columns: REAL_TIME_COLUMNS, rows: csvRows },
  };
}
