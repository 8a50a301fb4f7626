import type { FitRow } from '../analysis/analyze.js';
import { lawAccuracy, lawsByDevice, type AccuracyBasis, type BasisAccuracy } from '../analysis/accuracy-basis.js';
import { latencyIntervals } from './latency-interval.js';
import type { StudyData } from './load-study.js';
import { familiesPresent, modelFamily, shortNames, type Family } from './model-family.js';
import { finiteOrNull } from './read-tables.js';

/** The one accuracy basis of a device's figures, as the laws pick it, and how the figures say it. */
export interface FigureAccuracy {
  basis: AccuracyBasis;
  /** e.g. "top-1: published full-val": every accuracy figure's subtitle. */
  label: string;
  /** Why this basis (from lawAccuracy), for the captions. */
  reason: string;
}

/** Each model's accuracy on the figures' basis: the value, its basis, N measured and the source. */
type Top1Fields = {
  top1: number | null;
  top1_basis: AccuracyBasis | null;
  top1_n_images: number | null;
  top1_source: string | null;
};

/** Which model a point is: its id, family and the short name it is labelled with. */
type ModelFields = {
  model_id: string;
  family: string;
  label: string;
};

export type ModelPoint = ModelFields & Top1Fields & { gflops: number; mparams: number; weight_mb: number };

export type LatencyPoint = ModelFields & Top1Fields & {
  batch_size: number; per_image_ms: number; images_per_s: number; gflops: number; weight_mb: number;
  rss_peak_mb: number | null; power_avg_w: number | null; energy_per_image_j: number | null; power_note: string | null;
  /** The 95% intervals of per_image_ms and images_per_s; null for cells measured before repetitions. */
  per_image_ci_low_ms: number | null; per_image_ci_high_ms: number | null; images_per_s_ci_low: number | null; images_per_s_ci_high: number | null;
};

/** The figures' data, per device: plain rows joined from the study's tables. */
export interface DeviceData {
  device: string;
  /** The smallest batch measured: the one the single-batch figures show (Bianco plots batch 1). */
  batch: number | null;
  accuracy: FigureAccuracy;
  modelPoints: ModelPoint[];
  latency: LatencyPoint[];
  fits: FitRow[];
}

const num = finiteOrNull;

/** The families of the study's models, in legend order: one colour scale for every figure of the report. */
export const studyFamilies = (s: StudyData): Family[] => familiesPresent(s.models.map((m) => modelFamily(m.architecture, m.model_id).name));

function accuracyLabel(basis: AccuracyBasis, measured: readonly BasisAccuracy[]): string {
  if (basis === 'published') return 'top-1: published full-val';
  const ns = measured.map((m) => m.n_images).filter((n): n is number => n !== null);
  const [lo, hi] = [Math.min(...ns), Math.max(...ns)];
  const n = ns.length === 0 ? '' : ` (N = ${lo === hi ? lo.toLocaleString('en') : `${lo.toLocaleString('en')}–${hi.toLocaleString('en')}`})`;
  return basis === 'measured_full_val' ? `top-1: measured full-val${n}` : `top-1: measured on a sample${n}`;
}

export function deviceData(s: StudyData): DeviceData[] {
  const models = new Map(s.models.map((m) => [m.model_id, m]));
  const labels = shortNames(s.models.map((m) => m.model_id));
  const which = (id: string): ModelFields => ({ model_id: id, family: modelFamily(models.get(id)!.architecture, id).name, label: labels.get(id)! });
  // One basis for every accuracy figure of a device, picked by the laws' own rule from the same rows (never two mixed).
  const laws = lawsByDevice(s);
  const devices = [...new Set([...s.latency.map((l) => l.device), ...s.accuracy.map((a) => a.device)])].sort();
  return devices.map((device) => {
    const latencyRows = s.latency.filter((l) => l.device === device && l.status === 'ok' && models.has(l.model_id) && num(l.per_image_ms) !== null);
    const modelIds = [...new Set([...s.accuracy.filter((a) => a.device === device).map((a) => a.model_id), ...latencyRows.map((l) => l.model_id)])]
      .filter((id) => models.has(id)).sort();
    const law = laws.get(device) ?? lawAccuracy([], s.models, s.accuracy, device);
    const top1 = (id: string): Top1Fields => {
      const a = law.byModel.get(id);
      return { top1: a?.top1 ?? null, top1_basis: a?.basis ?? null, top1_n_images: a?.n_images ?? null, top1_source: a?.source ?? null };
    };
    const latency = latencyRows
      .map((l): LatencyPoint => {
        const m = models.get(l.model_id)!;
        const rss = num(l.rss_peak_bytes);
        const ci = latencyIntervals(l);
        return {
          ...which(l.model_id), batch_size: Number(l.batch_size), per_image_ms: num(l.per_image_ms)!, images_per_s: num(l.images_per_s)!,
          gflops: Number(m.flops) / 1e9, weight_mb: Number(m.weight_bytes) / 1e6, rss_peak_mb: rss === null ? null : rss / 1e6,
          power_avg_w: num(l.power_avg_w), energy_per_image_j: num(l.energy_per_image_j), ...top1(l.model_id),
          power_note: (l.power_note as string | null | undefined) ?? null,
          per_image_ci_low_ms: ci?.per_image_ms.low ?? null, per_image_ci_high_ms: ci?.per_image_ms.high ?? null,
          images_per_s_ci_low: ci?.images_per_s.low ?? null, images_per_s_ci_high: ci?.images_per_s.high ?? null,
        };
      })
      .sort((a, b) => a.model_id.localeCompare(b.model_id) || a.batch_size - b.batch_size);
    const batches = latency.map((l) => l.batch_size);
    return {
      device,
      batch: batches.length ? Math.min(...batches) : null,
      accuracy: { basis: law.basis, label: accuracyLabel(law.basis, [...law.byModel.values()]), reason: law.reason },
      modelPoints: modelIds.map((id) => {
        const m = models.get(id)!;
        return { ...which(id), gflops: Number(m.flops) / 1e9, mparams: Number(m.params) / 1e6, weight_mb: Number(m.weight_bytes) / 1e6, ...top1(id) };
      }),
      latency,
      fits: s.fits.filter((f) => f.device === device),
    };
  });
}

/** The value of one fit parameter, or null when the fit was not made. */
export function param(fits: readonly FitRow[], fit: string, name: string, batch: number | null): number | null {
  const r = fits.find((f) => f.fit === fit && f.param === name && f.batch_size === batch && f.model_id === null);
  return r && (r.status === 'ok' || r.status === 'exact') ? r.value : null;
}
