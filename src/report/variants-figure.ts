/**
 * A device's variants side by side (issue 20, docs/VARIANTS.md): per parent model, each of its
 * precision variants at each runtime variant of the device, with its latency at batch 1, its peak
 * memory and its accuracy cost against the parent, in one figure of three panels that share the
 * rows, and one table with the intervals and tests. Drawn only for a device with variants.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReadRow } from '../results/schema.js';
import { runtimeVariantsOf } from '../analysis/law-inputs.js';
import { formatNumber, type Annotated, type Cell } from './html.js';
import { figureCell } from './latency-cells.js';
import { latencyIntervals } from './latency-interval.js';
import type { StudyData } from './load-study.js';
import { shortNames } from './model-family.js';
import type { Chart } from './charts.js';
import type { ReportTable } from './report-tables.js';
import { finiteOrNull } from './read-tables.js';

export const VARIANTS_FIGURE = 'variants';
export const VARIANTS_TABLE = 'variants-side-by-side';

/** One (model, runtime variant) of a device: a row of the figure and of its table. */
export type VariantPoint = {
  /** The row's label: the parent's short name and the recipe, e.g. `resnet50_keras · int8-static`. */
  label: string;
  model_id: string;
  parent_model_id: string;
  /** `fp32` (or the parent's precision) for a parent; the tools/variants recipe for a variant. */
  recipe: string;
  runtime_variant: string;
  reference_runtime: boolean;
  p50_b1_ms: number | null;
  p50_b1_ci_low_ms: number | null;
  p50_b1_ci_high_ms: number | null;
  stability_b1: string | null;
  stability_reason_b1: string | null;
  speedup_b1: number | null;
  speedup_b1_ci_low: number | null;
  speedup_b1_ci_high: number | null;
  best_batch: number | null;
  best_images_per_s: number | null;
  rss_peak_b1_mb: number | null;
  weight_mb: number;
  top1: number | null;
  /** Percentage points against the parent on the same images; 0 for the parent itself when it was evaluated. */
  top1_delta_pts: number | null;
  top1_delta_ci_low_pts: number | null;
  top1_delta_ci_high_pts: number | null;
  top1_mcnemar_p: number | null;
  top1_agreement: number | null;
  n_images: number | null;
  accuracy_note: string | null;
};

const COLUMNS = [
  'label', 'model_id', 'parent_model_id', 'recipe', 'runtime_variant', 'reference_runtime', 'p50_b1_ms', 'p50_b1_ci_low_ms', 'p50_b1_ci_high_ms',
  'stability_b1', 'stability_reason_b1', 'speedup_b1', 'speedup_b1_ci_low', 'speedup_b1_ci_high', 'best_batch', 'best_images_per_s',
  'rss_peak_b1_mb', 'weight_mb', 'top1', 'top1_delta_pts', 'top1_delta_ci_low_pts', 'top1_delta_ci_high_pts', 'top1_mcnemar_p', 'top1_agreement',
  'n_images', 'accuracy_note',
] as const satisfies readonly (keyof VariantPoint)[];

/** Recipes in the order tools/variants makes them, after the parent. */
const RECIPE_ORDER = ['fp16', 'int8-dynamic', 'int8-static'];

const num = finiteOrNull;
const pts = (v: number | null): number | null => (v === null ? null : 100 * v);

/**
 * The device's (model, runtime variant) rows: every parent that has a precision variant, and its
 * variants; on a device with runtime variants every model is shown at each. Empty when the device
 * has neither (no figure then).
 */
export function variantPoints(s: StudyData, device: string): VariantPoint[] {
  const runtimeOrder = (s.study?.spec_json ? runtimeVariantsOf(s.study.spec_json).get(device) ?? [] : []).map((v) => v.name);
  const models = new Map(s.all.models.map((m) => [m.model_id, m]));
  const latency = s.all.latency.filter((l) => l.device === device && l.status === 'ok' && models.has(l.model_id));
  const parentsWithVariants = new Set(latency.map((l) => models.get(l.model_id)!.variant_of).filter((p): p is string => !!p));
  if (parentsWithVariants.size === 0 && runtimeOrder.length < 2) return [];
  const shown = [...new Set(latency.map((l) => l.model_id))].filter((id) => {
    const m = models.get(id)!;
    return runtimeOrder.length >= 2 || parentsWithVariants.has(id) || (m.variant_of != null && parentsWithVariants.has(m.variant_of));
  });
  const parentOf = (id: string) => models.get(id)!.variant_of ?? id;
  const short = shortNames([...new Set(shown.map(parentOf))]);
  const rowsOf = new Map<string, ReadRow<'latency'>[]>();
  for (const l of latency) {
    const key = `${l.model_id}\u0000${l.variant ?? ''}`;
    rowsOf.set(key, [...(rowsOf.get(key) ?? []), l]);
  }
  const pairs = s.all.variants.filter((v) => v.device === device && v.kind === 'precision');
  const accuracyOf = new Map(s.all.accuracy.filter((a) => a.device === device).map((a) => [a.model_id, a]));
  const points: VariantPoint[] = [];
  for (const id of shown) {
    const m = models.get(id)!;
    const parent = parentOf(id);
    const recipe = m.recipe ?? (latency.find((l) => l.model_id === id)?.precision ?? 'fp32');
    const runtimes = [...new Set(latency.filter((l) => l.model_id === id).map((l) => l.variant ?? ''))];
    for (const runtime of runtimes) {
      const cells = rowsOf.get(`${id}\u0000${runtime}`) ?? [];
      const b1 = cells.find((c) => c.batch_size === 1) ?? null;
      const ci = b1 ? latencyIntervals(b1) : null;
      const best = cells.reduce<ReadRow<'latency'> | null>((b, c) => ((num(c.images_per_s) ?? 0) > (num(b?.images_per_s) ?? 0) ? c : b), null);
      const pair = pairs.find((v) => v.model_id === id && (v.variant ?? '') === runtime);
      // Accuracy is the model's, the same at every runtime variant; a parent's is its own top-1 (delta 0 when evaluated).
      const anyPair = pairs.find((v) => v.model_id === id && v.top1 !== null) ?? pairs.find((v) => v.model_id === id);
      const measured = accuracyOf.get(id);
      const isParent = m.variant_of == null;
      points.push({
        label: `${short.get(parent) ?? parent} · ${recipe}`, model_id: id, parent_model_id: parent, recipe, runtime_variant: runtime || '(device)',
        reference_runtime: runtimeOrder.length === 0 || runtime === runtimeOrder[0],
        p50_b1_ms: num(b1?.p50_ms), p50_b1_ci_low_ms: ci?.p50_ms.low ?? null, p50_b1_ci_high_ms: ci?.p50_ms.high ?? null,
        stability_b1: b1?.stability ?? null, stability_reason_b1: b1?.stability_reason ?? null,
        speedup_b1: pair?.speedup_b1 ?? null, speedup_b1_ci_low: pair?.speedup_b1_ci_low ?? null, speedup_b1_ci_high: pair?.speedup_b1_ci_high ?? null,
        best_batch: best ? best.batch_size : null, best_images_per_s: num(best?.images_per_s),
        rss_peak_b1_mb: num(b1?.rss_peak_bytes) === null ? null : num(b1!.rss_peak_bytes)! / 1e6,
        weight_mb: Number(m.weight_bytes) / 1e6,
        top1: isParent ? num(measured?.top1) : num(anyPair?.top1),
        top1_delta_pts: isParent ? (measured ? 0 : null) : pts(num(anyPair?.top1_delta)),
        top1_delta_ci_low_pts: isParent ? null : pts(num(anyPair?.top1_delta_ci_low)),
        top1_delta_ci_high_pts: isParent ? null : pts(num(anyPair?.top1_delta_ci_high)),
        top1_mcnemar_p: isParent ? null : num(anyPair?.top1_mcnemar_p), top1_agreement: isParent ? null : num(anyPair?.top1_agreement),
        n_images: isParent ? num(measured?.n_images) : num(anyPair?.n_images),
        accuracy_note: isParent ? (measured ? null : 'not evaluated') : anyPair?.accuracy_note ?? null,
      });
    }
  }
  const recipeRank = (r: string) => (RECIPE_ORDER.includes(r) ? 1 + RECIPE_ORDER.indexOf(r) : 0);
  const runtimeRank = (r: string) => (runtimeOrder.includes(r) ? runtimeOrder.indexOf(r) : runtimeOrder.length);
  return points.sort((a, b) => a.parent_model_id.localeCompare(b.parent_model_id) || recipeRank(a.recipe) - recipeRank(b.recipe)
    || a.recipe.localeCompare(b.recipe) || runtimeRank(a.runtime_variant) - runtimeRank(b.runtime_variant) || a.runtime_variant.localeCompare(b.runtime_variant));
}

const PANEL_W = 230;
const ROW_H = 16;

const tooltip = [
  { field: 'model_id' }, { field: 'runtime_variant' }, { field: 'p50_b1_ms', format: '.3f' }, { field: 'speedup_b1', format: '.3f' },
  { field: 'rss_peak_b1_mb', format: '.1f' }, { field: 'top1', format: '.4f' }, { field: 'top1_delta_pts', format: '.2f' },
  { field: 'top1_mcnemar_p', format: '.3g' }, { field: 'stability_b1' },
];

/**
 * The figure: one row per model (its parent's name and recipe), three panels sharing the rows.
 * Left: p50 at batch 1 (ms, log axis) with its 95% interval, one colour per runtime variant.
 * Middle: peak resident memory at batch 1 (MB), same colours. Right: top-1 change against the
 * parent in percentage points with Newcombe's 95% interval, a rule at 0; timed-only models (random
 * weights) have no point there, as the CSV says.
 */
export function variantsChart(device: string, points: readonly VariantPoint[]): Chart {
  const slug = device.replace(/[^A-Za-z0-9_-]/g, '_');
  const labels = [...new Set(points.map((p) => p.label))];
  const runtimes = [...new Set(points.map((p) => p.runtime_variant))];
  const height = Math.max(ROW_H * labels.length, 60);
  const y = { field: 'label', type: 'nominal' as const, title: null, sort: labels, scale: { domain: labels }, axis: { labelLimit: 0 } };
  const color = { field: 'runtime_variant', type: 'nominal' as const, title: 'runtime variant', scale: { domain: runtimes }, legend: { symbolLimit: 0 } };
  const values = points as unknown as Record<string, unknown>[];
  const timed = values.filter((p) => p.p50_b1_ms !== null);
  const memory = values.filter((p) => p.rss_peak_b1_mb !== null);
  const accuracy = values.filter((p) => p.top1_delta_pts !== null && p.reference_runtime);
  // Runtime variants of one row side by side: a small vertical offset keeps their points and bars apart.
  const offset = { field: 'runtime_variant', type: 'nominal' as const, scale: { domain: runtimes, paddingInner: 0.2 }, title: null, legend: null };
  const panel = (title: string, layers: unknown[]): unknown => ({ width: PANEL_W, height, title: { text: title, fontSize: 12 }, layer: layers });
  const latencyPanel = panel('p50 at batch 1 (ms, log)', [
    { data: { values: timed.filter((p) => p.p50_b1_ci_low_ms !== null) }, mark: { type: 'rule' },
      encoding: { y, yOffset: offset, x: { field: 'p50_b1_ci_low_ms', type: 'quantitative', scale: { type: 'log' }, title: 'p50 at batch 1 (ms)' }, x2: { field: 'p50_b1_ci_high_ms' }, color } },
    { data: { values: timed }, mark: { type: 'point', filled: true, size: 45 },
      encoding: { y, yOffset: offset, x: { field: 'p50_b1_ms', type: 'quantitative', scale: { type: 'log' }, title: 'p50 at batch 1 (ms)' }, color, tooltip } },
  ]);
  const memoryPanel = panel('peak memory at batch 1 (MB)', [
    { data: { values: memory }, mark: { type: 'point', filled: true, size: 45 },
      encoding: { y: { ...y, axis: { labels: false, ticks: false } }, yOffset: offset, x: { field: 'rss_peak_b1_mb', type: 'quantitative', title: 'peak resident memory (MB)', scale: { zero: true } }, color, tooltip } },
  ]);
  const accuracyPanel = panel('top-1 change vs parent (points)', [
    { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
    { data: { values: accuracy.filter((p) => p.top1_delta_ci_low_pts !== null) }, mark: { type: 'rule', color: '#444' },
      encoding: { y: { ...y, axis: { labels: false, ticks: false } }, x: { field: 'top1_delta_ci_low_pts', type: 'quantitative', title: 'top-1 change (percentage points, 95% interval)' }, x2: { field: 'top1_delta_ci_high_pts' } } },
    { data: { values: accuracy }, mark: { type: 'point', filled: true, size: 45, color: '#444' },
      encoding: { y: { ...y, axis: { labels: false, ticks: false } }, x: { field: 'top1_delta_pts', type: 'quantitative', title: 'top-1 change (percentage points, 95% interval)' }, tooltip } },
  ]);
  const spec = { hconcat: [latencyPanel, memoryPanel, accuracyPanel], spacing: 12, config: { axis: { labelFontSize: 11 } } } as unknown as TopLevelSpec;
  const evaluated = accuracy.filter((p) => p.top1_delta_ci_low_pts !== null).length;
  return {
    name: VARIANTS_FIGURE, id: `${slug}-${VARIANTS_FIGURE}`, title: 'Variants side by side',
    caption: `One row per model: its parent's name and its precision (fp32, or the tools/variants recipe). Left: p50 at batch 1 with its 95% interval, per runtime variant (log axis). Middle: peak resident memory at batch 1. Right: top-1 change against the parent on the same images, with Newcombe's 95% interval (${evaluated} variants evaluated; models with random weights are timed only and have no point there).`,
    spec, table: { columns: COLUMNS, rows: points },
  };
}

const percent = (v: number | null): string => (v === null ? '' : `${(100 * v).toFixed(2)}%`);
const signed = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(2)}`;

/** The change in top-1 as `-0.64 [-1.45, 0.10] pts`, its McNemar p and agreement in the hover text. */
function deltaCell(p: VariantPoint): Cell {
  if (p.top1_delta_pts === null) return p.accuracy_note ?? null;
  if (p.top1_delta_ci_low_pts === null || p.top1_delta_ci_high_pts === null) return { value: p.top1_delta_pts, text: `${signed(p.top1_delta_pts)} (parent)`, title: null, flagged: false };
  const significant = p.top1_mcnemar_p !== null && p.top1_mcnemar_p < 0.05;
  return {
    value: p.top1_delta_pts,
    text: `${signed(p.top1_delta_pts)} [${signed(p.top1_delta_ci_low_pts)}, ${signed(p.top1_delta_ci_high_pts)}]`,
    title: `exact McNemar p = ${p.top1_mcnemar_p === null ? '?' : formatNumber(p.top1_mcnemar_p)}${significant ? ' (significant at 5%)' : ''}; top-1 agreement with the parent ${percent(p.top1_agreement)}; ${p.n_images ?? '?'} images`,
    flagged: false,
  } satisfies Annotated;
}

const TABLE_COLUMNS = ['model', 'runtime variant', 'p50 b1 (ms)', 'speed-up b1 vs parent', 'best batch', 'best images/s', 'peak memory b1 (MB)', 'weights (MB)', 'top-1', 'top-1 change (pts)', 'McNemar p'];

/** The figure's rows as a table: latency with its interval and verdict, speed-up with its interval, memory, weights, accuracy cost. */
export function variantsTable(device: string, points: readonly VariantPoint[]): ReportTable {
  const rows = points.map((p): Record<string, Cell> => ({
    model: p.label,
    'runtime variant': p.runtime_variant,
    'p50 b1 (ms)': figureCell(p.p50_b1_ms, p.p50_b1_ci_low_ms !== null && p.p50_b1_ci_high_ms !== null ? { low: p.p50_b1_ci_low_ms, high: p.p50_b1_ci_high_ms } : null,
      { stability: p.stability_b1 as ReadRow<'latency'>['stability'], stability_reason: p.stability_reason_b1 }),
    'speed-up b1 vs parent': p.speedup_b1 === null ? null : {
      value: p.speedup_b1,
      text: p.speedup_b1_ci_low !== null && p.speedup_b1_ci_high !== null ? `${p.speedup_b1.toFixed(2)}× [${p.speedup_b1_ci_low.toFixed(2)}, ${p.speedup_b1_ci_high.toFixed(2)}]` : `${p.speedup_b1.toFixed(2)}×`,
      title: 'p50 of the parent over the variant\'s, same runtime variant, batch 1; 95% interval from both cells\' repetitions', flagged: false,
    },
    'best batch': p.best_batch,
    'best images/s': p.best_images_per_s === null ? null : Number(p.best_images_per_s.toPrecision(4)),
    'peak memory b1 (MB)': p.rss_peak_b1_mb === null ? null : Number(p.rss_peak_b1_mb.toFixed(1)),
    'weights (MB)': Number(p.weight_mb.toFixed(2)),
    'top-1': percent(p.top1) || null,
    'top-1 change (pts)': deltaCell(p),
    'McNemar p': p.top1_mcnemar_p === null ? null : Number(p.top1_mcnemar_p.toPrecision(3)),
  }));
  return {
    name: VARIANTS_TABLE, title: 'Variants side by side',
    note: `Each model at each runtime variant of ${device}: latency at batch 1 with its 95% interval (⚠ where not stable), the speed-up over its parent at the same runtime variant, throughput at its best batch, peak memory, weights, and top-1 against the parent on the same images (95% interval in points; hover for the exact McNemar test and agreement). variants.parquet has every column.`,
    columns: TABLE_COLUMNS, rows, table: { columns: COLUMNS, rows: points },
  };
}
