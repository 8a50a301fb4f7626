/**
 * variants.parquet (issue 20, docs/VARIANTS.md): each variant beside what it varies.
 *
 * - A precision variant (a model made by tools/variants: fp16, int8 dynamic, int8 static) against
 *   its parent model, on the same device at the same runtime variant: speed-up at batch 1 and at
 *   each one's best batch, accuracy cost paired on the same images, weights and peak memory.
 * - A runtime variant of a device (threads, provider, session settings) against the device's
 *   reference variant (its first) for the same model: speed-up and memory; accuracy is the model's
 *   (the accuracy pass runs with the device's own settings), so those columns are null.
 *
 * Speed-ups carry compare.ts's interval of a ratio of p50s (both cells' repetitions), so a variant
 * is "faster" only where the interval says so. The accuracy cost is paired (src/stats/
 * paired-accuracy.ts): both models saw the same images, so the difference of their accuracies is
 * judged on the images where they disagree (exact McNemar), with Newcombe's interval; an int8-static
 * variant's calibration images are left out of both sides.
 */
import type { ImageOutcome } from '../accuracy/predictions.js';
import type { DeviceCell, LatencyCell, ModelCell, RepetitionCell } from '../results/cell-types.js';
import type { TableRow } from '../results/schema.js';
import { agreementRate, pairedAccuracy, type PairedAccuracy } from '../stats/paired-accuracy.js';
import type { RuntimeVariant } from '../study/study-spec.js';
import { compareCell, type CompareCell } from './compare.js';

export type VariantRow = TableRow<'variants'>;

export interface VariantInputs {
  models: readonly ModelCell[];
  devices: readonly DeviceCell[];
  latency: readonly LatencyCell[];
  repetitions: readonly RepetitionCell[];
  /** Each device's runtime variants as the spec lists them (the first is the reference); absent: none. */
  runtimeVariants: ReadonlyMap<string, readonly RuntimeVariant[]>;
  /** A model's per-image outcomes on a device ([] where it was not evaluated). */
  outcomes: (modelId: string, device: string) => Promise<ImageOutcome[]>;
}

/** The smallest speed-up called significant, as `dnnbench compare`'s default (1%). */
const MIN_CHANGE = 0.01;

const STABILITY_ORDER = ['stable', 'noisy', 'drifting', 'host-disturbed'] as const;
type Stability = (typeof STABILITY_ORDER)[number];

const cellKey = (device: string, model: string, variant: string | null) => `${device}\u0000${model}\u0000${variant ?? ''}`;

export async function variantTables(input: VariantInputs): Promise<VariantRow[]> {
  const modelsById = new Map(input.models.map((m) => [m.model_id, m]));
  // Clean repetitions' p50s per latency cell: the independent units of a cell's interval.
  const repP50 = new Map<string, number[]>();
  for (const r of input.repetitions) {
    if (r.discarded) continue;
    const key = `${cellKey(r.device, r.model_id, r.variant ?? null)}\u0000${r.batch_size}`;
    repP50.set(key, [...(repP50.get(key) ?? []), r.p50_ms]);
  }
  const cellsOf = new Map<string, LatencyCell[]>();
  for (const l of input.latency) {
    if (l.status !== 'ok' || l.p50_ms == null) continue;
    const key = cellKey(l.device, l.model_id, l.variant ?? null);
    cellsOf.set(key, [...(cellsOf.get(key) ?? []), l]);
  }
  const pairs: { device: string; model: ModelCell; variant: string | null; parent: ModelCell; parentVariant: string | null; kind: 'precision' | 'runtime' }[] = [];
  const configurations = [...cellsOf.keys()].map((k) => k.split('\u0000') as [string, string, string]);
  for (const [device, modelId, v] of configurations) {
    const model = modelsById.get(modelId);
    if (!model) continue;
    const variant = v === '' ? null : v;
    const parent = model.variant_of ? modelsById.get(model.variant_of) : undefined;
    if (parent && cellsOf.has(cellKey(device, parent.model_id, variant))) {
      pairs.push({ device, model, variant, parent, parentVariant: variant, kind: 'precision' });
    }
    const reference = input.runtimeVariants.get(device)?.[0]?.name ?? null;
    if (variant !== null && reference !== null && variant !== reference && cellsOf.has(cellKey(device, modelId, reference))) {
      pairs.push({ device, model, variant, parent: model, parentVariant: reference, kind: 'runtime' });
    }
  }
  const accuracyCache = new Map<string, Promise<ImageOutcome[]>>();
  const outcomes = (model: string, device: string) => {
    const key = `${model}\u0000${device}`;
    if (!accuracyCache.has(key)) accuracyCache.set(key, input.outcomes(model, device));
    return accuracyCache.get(key)!;
  };
  const rows: VariantRow[] = [];
  for (const p of pairs.sort((a, b) => a.device.localeCompare(b.device) || a.parent.model_id.localeCompare(b.parent.model_id)
    || a.model.model_id.localeCompare(b.model.model_id) || (a.variant ?? '').localeCompare(b.variant ?? ''))) {
    const mine = cellsOf.get(cellKey(p.device, p.model.model_id, p.variant))!;
    const theirs = cellsOf.get(cellKey(p.device, p.parent.model_id, p.parentVariant))!;
    const compareOf = (l: LatencyCell): CompareCell => ({
      model_id: l.model_id, batch_size: l.batch_size, variant: l.variant ?? null, p50_ms: l.p50_ms!,
      repetition_p50_ms: repP50.get(`${cellKey(l.device, l.model_id, l.variant ?? null)}\u0000${l.batch_size}`) ?? [],
      ci_low_ms: l.p50_ci_low_ms ?? null, ci_high_ms: l.p50_ci_high_ms ?? null, repetitions: l.repetitions ?? null, samples: l.samples_ms ?? [],
    });
    // Speed-up = parent p50 / variant p50: compareCell's ratio B/A with the variant as A.
    const b1 = [mine.find((l) => l.batch_size === 1), theirs.find((l) => l.batch_size === 1)] as const;
    const atB1 = b1[0] && b1[1] ? compareCell(compareOf(b1[0]), compareOf(b1[1])) : null;
    const best = (cells: LatencyCell[]) => cells.reduce((x, y) => ((y.images_per_s ?? 0) > (x.images_per_s ?? 0) ? y : x));
    const [bestMine, bestTheirs] = [best(mine), best(theirs)];
    // Throughput ratio = (b_v / p50_v) / (b_p / p50_p): the p50 ratio's interval scaled by the batches' ratio.
    const atBest = compareCell(compareOf(bestMine), compareOf(bestTheirs));
    const scale = bestMine.batch_size / bestTheirs.batch_size;
    const [bestRatio, bestLow, bestHigh] = [atBest.ratio * scale, atBest.ratio_low === null ? null : atBest.ratio_low * scale, atBest.ratio_high === null ? null : atBest.ratio_high * scale];
    const involved = [b1[0], b1[1], bestMine, bestTheirs].filter((l): l is LatencyCell => l !== undefined);
    const worst = involved.map((l) => l.stability).filter((s): s is Stability => s != null)
      .reduce<Stability | null>((w, s) => (w === null || STABILITY_ORDER.indexOf(s) > STABILITY_ORDER.indexOf(w) ? s : w), null);
    const device = input.devices.find((d) => d.device === p.device);
    rows.push({
      device: p.device, model_id: p.model.model_id, variant: p.variant, parent_model_id: p.parent.model_id, parent_variant: p.parentVariant,
      kind: p.kind, recipe: p.kind === 'precision' ? p.model.recipe ?? 'unknown' : runtimeRecipe(input.runtimeVariants.get(p.device), p.variant!),
      precision: mine[0]!.precision, parent_precision: theirs[0]!.precision,
      speedup_b1: atB1?.ratio ?? null, speedup_b1_ci_low: atB1?.ratio_low ?? null, speedup_b1_ci_high: atB1?.ratio_high ?? null,
      speedup_b1_significant: atB1 ? atB1.significant : null,
      best_batch: bestMine.batch_size, parent_best_batch: bestTheirs.batch_size,
      best_images_per_s: bestMine.images_per_s ?? null, parent_best_images_per_s: bestTheirs.images_per_s ?? null,
      speedup_best: bestRatio, speedup_best_ci_low: bestLow, speedup_best_ci_high: bestHigh,
      // Judged on the throughput ratio itself, by compare.ts's rule: the p50 ratio of two different batch
      // sizes differs from 1 by the batches' ratio whatever the speed-up is.
      speedup_best_significant: bestLow !== null && bestHigh !== null && (bestLow > 1 || bestHigh < 1) && Math.abs(bestRatio - 1) >= MIN_CHANGE,
      timing_stability: worst,
      ...(p.kind === 'precision'
        ? await accuracyColumns(p.model, p.parent, p.device, outcomes)
        : { ...NO_ACCURACY, accuracy_note: 'a runtime variant: accuracy is the model\'s, measured with the device\'s own settings' }),
      weight_bytes: p.model.weight_bytes, parent_weight_bytes: p.parent.weight_bytes, weight_bytes_ratio: p.model.weight_bytes / p.parent.weight_bytes,
      rss_peak_ratio_b1: b1[0]?.rss_peak_bytes && b1[1]?.rss_peak_bytes ? b1[0].rss_peak_bytes / b1[1].rss_peak_bytes : null,
      cpu_simd_flags: device?.cpu_simd_flags ?? [],
    });
  }
  return rows;
}

/** A runtime variant's settings in one line, e.g. `threads=1 spinning=false`. */
function runtimeRecipe(variants: readonly RuntimeVariant[] | undefined, name: string): string {
  const v = variants?.find((x) => x.name === name);
  if (!v) return name;
  const { name: _n, ...settings } = v;
  const words = Object.entries(settings).map(([k, x]) => `${k}=${String(x)}`);
  return words.length ? words.join(' ') : 'the device\'s settings';
}

type AccuracyColumns = Pick<VariantRow,
  'n_images' | 'calibration_excluded' | 'accuracy_note' | 'top1' | 'parent_top1' | 'top1_delta' | 'top1_delta_ci_low' | 'top1_delta_ci_high'
  | 'top1_mcnemar_p' | 'top1_only_parent' | 'top1_only_variant' | 'top5' | 'parent_top5' | 'top5_delta' | 'top5_delta_ci_low'
  | 'top5_delta_ci_high' | 'top5_mcnemar_p' | 'top5_only_parent' | 'top5_only_variant' | 'top1_agreement'>;

const NO_ACCURACY: AccuracyColumns = {
  n_images: null, calibration_excluded: null, accuracy_note: null, top1: null, parent_top1: null, top1_delta: null, top1_delta_ci_low: null,
  top1_delta_ci_high: null, top1_mcnemar_p: null, top1_only_parent: null, top1_only_variant: null, top5: null, parent_top5: null,
  top5_delta: null, top5_delta_ci_low: null, top5_delta_ci_high: null, top5_mcnemar_p: null, top5_only_parent: null,
  top5_only_variant: null, top1_agreement: null,
};

async function accuracyColumns(
  model: ModelCell, parent: ModelCell, device: string, outcomes: (model: string, device: string) => Promise<ImageOutcome[]>,
): Promise<AccuracyColumns> {
  if (model.weights === 'random' || parent.weights === 'random') return { ...NO_ACCURACY, accuracy_note: 'random weights: timed only' };
  const [mine, theirs] = await Promise.all([outcomes(model.model_id, device), outcomes(parent.model_id, device)]);
  if (mine.length === 0 || theirs.length === 0) {
    return { ...NO_ACCURACY, accuracy_note: `no per-image predictions of ${mine.length === 0 ? model.model_id : parent.model_id} on ${device} (accuracy not evaluated there)` };
  }
  const calibration = new Set(model.calibration_image_ids ?? []);
  const parentById = new Map(theirs.map((o) => [o.image_id, o]));
  const paired = mine.filter((o) => parentById.has(o.image_id));
  const used = paired.filter((o) => !calibration.has(o.image_id));
  if (used.length === 0) return { ...NO_ACCURACY, accuracy_note: 'no image was evaluated by both (outside the calibration set)' };
  const at = (k: 'correct_at_1' | 'correct_at_5'): PairedAccuracy =>
    pairedAccuracy(used.map((o) => ({ parentCorrect: parentById.get(o.image_id)![k], variantCorrect: o[k] })));
  const [t1, t5] = [at('correct_at_1'), at('correct_at_5')];
  const excluded = paired.length - used.length;
  const unpaired = mine.length + theirs.length - 2 * paired.length;
  return {
    n_images: used.length, calibration_excluded: excluded,
    accuracy_note: unpaired > 0 ? `${unpaired} images evaluated by only one of the two are left out` : null,
    top1: t1.variant, parent_top1: t1.parent, top1_delta: t1.delta, top1_delta_ci_low: t1.deltaCiLow, top1_delta_ci_high: t1.deltaCiHigh,
    top1_mcnemar_p: t1.mcnemarP, top1_only_parent: t1.onlyParent, top1_only_variant: t1.onlyVariant,
    top5: t5.variant, parent_top5: t5.parent, top5_delta: t5.delta, top5_delta_ci_low: t5.deltaCiLow, top5_delta_ci_high: t5.deltaCiHigh,
    top5_mcnemar_p: t5.mcnemarP, top5_only_parent: t5.onlyParent, top5_only_variant: t5.onlyVariant,
    top1_agreement: agreementRate(used.map((o) => parentById.get(o.image_id)!.top1_id), used.map((o) => o.top1_id)),
  };
}
