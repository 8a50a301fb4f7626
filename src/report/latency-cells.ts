/**
 * The report's tables show every latency figure with its 95% interval and its cell's stability
 * verdict: on hover always, and visibly marked when the verdict is not 'stable'.
 */
import type { FitRow, FrontierRow } from '../analysis/analyze.js';
import type { ReadRow } from '../results/schema.js';
import { formatNumber, type Annotated, type Cell } from './html.js';
import { latencyIntervals, latencyKey, type Interval, type LatencyFigure } from './latency-interval.js';

type LatencyRow = ReadRow<'latency'>;
type Rows = Record<string, Cell>[];

const FIGURES: readonly LatencyFigure[] = ['p50_ms', 'per_image_ms', 'images_per_s'];

/** A latency figure as `value [low, high]`, with its cell's verdict; the bare value for cells without either (older studies). */
export function figureCell(value: number | null, interval: Interval | null, verdict: Pick<LatencyRow, 'stability' | 'stability_reason'>): Cell {
  if (value === null) return null;
  if (!interval && verdict.stability === null) return value;
  return {
    value,
    text: interval ? `${formatNumber(value)} [${formatNumber(interval.low)}, ${formatNumber(interval.high)}]` : formatNumber(value),
    title: verdict.stability === null ? null : `${verdict.stability}: ${verdict.stability_reason ?? 'no reason recorded'}`,
    flagged: verdict.stability !== null && verdict.stability !== 'stable',
  } satisfies Annotated;
}

/** The latency table's first columns: which cell, its figures and how far to trust them; the rest follow in file order. */
const LATENCY_LEAD = ['model_id', 'device', 'batch_size', 'status', ...FIGURES, 'stability', 'stability_reason', 'repetitions', 'repetitions_discarded'] as const;

/**
 * latency.parquet's rows as the table shows them: p50, per-image time and throughput each with its
 * interval (so the interval's own columns are left out), the verdict marked unless stable.
 */
export function latencyTableRows(latency: readonly LatencyRow[]): Rows {
  return latency.map((row) => {
    const { p50_ci_low_ms: _low, p50_ci_high_ms: _high, ...rest } = row;
    const intervals = latencyIntervals(row);
    const out: Record<string, Cell> = {};
    for (const c of LATENCY_LEAD) out[c] = row[c];
    Object.assign(out, rest); // keys already there keep their place
    for (const f of FIGURES) out[f] = figureCell(row[f], intervals?.[f] ?? null, row);
    if (row.stability !== null) out.stability = { value: row.stability, text: row.stability, title: row.stability_reason, flagged: row.stability !== 'stable' };
    return out;
  });
}

/** Finds a latency cell's row by device, model and batch. */
function latencyLookup(latency: readonly LatencyRow[]): (device: string | null, model: string | null, batch: number | null) => LatencyRow | undefined {
  const rows = new Map(latency.filter((l) => l.status === 'ok').map((l) => [latencyKey(l.device, l.model_id, l.batch_size), l]));
  return (device, model, batch) => rows.get(latencyKey(device, model, batch));
}

/** The frontier x values that are latency figures (time per image, images/s), by their unit. */
const FRONTIER_FIGURE: Readonly<Record<string, LatencyFigure>> = { 'ms/image': 'per_image_ms', 'images/s': 'images_per_s' };

/** frontiers.parquet's rows, the time and throughput x values with their cell's interval and verdict. */
export function frontierTableRows(frontiers: readonly FrontierRow[], latency: readonly LatencyRow[]): Rows {
  const find = latencyLookup(latency);
  return frontiers.map((row) => {
    const figure = FRONTIER_FIGURE[row.x_unit];
    const cell = figure ? find(row.device, row.model_id, row.batch_size) : undefined;
    if (!figure || !cell) return { ...row };
    return { ...row, x_value: figureCell(row.x_value, latencyIntervals(cell)?.[figure] ?? null, cell) };
  });
}

/** fits.parquet's rows, each model's measured time per image (ops_time_loo's actual_ms) with its interval and verdict. */
export function fitTableRows(fits: readonly FitRow[], latency: readonly LatencyRow[]): Rows {
  const find = latencyLookup(latency);
  return fits.map((row) => {
    const cell = row.fit === 'ops_time_loo' && row.param === 'actual_ms' ? find(row.device, row.model_id, row.batch_size) : undefined;
    if (!cell) return { ...row };
    return { ...row, value: figureCell(row.value, latencyIntervals(cell)?.per_image_ms ?? null, cell) };
  });
}
