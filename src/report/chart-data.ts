import type { FitRow } from '../analysis/analyze.js';
import { latencyIntervals } from './latency-interval.js';
import type { StudyData } from './load-study.js';

/** The figures' data, per device: plain rows joined from the study's tables. */
export interface DeviceData {
  device: string;
  /** The smallest batch measured: the one the single-batch figures show (Bianco plots batch 1). */
  batch: number | null;
  modelPoints: { model_id: string; gflops: number; mparams: number; weight_mb: number; top1: number | null }[];
  latency: {
    model_id: string; batch_size: number; per_image_ms: number; images_per_s: number; gflops: number; weight_mb: number;
    rss_peak_mb: number | null; power_avg_w: number | null; energy_per_image_j: number | null; top1: number | null; power_note: string | null;
    /** The 95% intervals of per_image_ms and images_per_s; null for cells measured before repetitions. */
    per_image_ci_low_ms: number | null; per_image_ci_high_ms: number | null; images_per_s_ci_low: number | null; images_per_s_ci_high: number | null;
  }[];
  fits: FitRow[];
}

const num = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));

export function deviceData(s: StudyData): DeviceData[] {
  const models = new Map(s.models.map((m) => [m.model_id, m]));
  const devices = [...new Set([...s.latency.map((l) => l.device), ...s.accuracy.map((a) => a.device)])].sort();
  return devices.map((device) => {
    const top1 = new Map(s.accuracy.filter((a) => a.device === device).map((a) => [a.model_id, num(a.top1)]));
    const latency = s.latency
      .filter((l) => l.device === device && l.status === 'ok' && models.has(l.model_id) && num(l.per_image_ms) !== null)
      .map((l) => {
        const m = models.get(l.model_id)!;
        const rss = num(l.rss_peak_bytes);
        const ci = latencyIntervals(l);
        return {
          model_id: l.model_id, batch_size: Number(l.batch_size), per_image_ms: num(l.per_image_ms)!, images_per_s: num(l.images_per_s)!,
          gflops: Number(m.flops) / 1e9, weight_mb: Number(m.weight_bytes) / 1e6, rss_peak_mb: rss === null ? null : rss / 1e6,
          power_avg_w: num(l.power_avg_w), energy_per_image_j: num(l.energy_per_image_j), top1: top1.get(l.model_id) ?? null,
          power_note: (l.power_note as string | null | undefined) ?? null,
          per_image_ci_low_ms: ci?.per_image_ms.low ?? null, per_image_ci_high_ms: ci?.per_image_ms.high ?? null,
          images_per_s_ci_low: ci?.images_per_s.low ?? null, images_per_s_ci_high: ci?.images_per_s.high ?? null,
        };
      })
      .sort((a, b) => a.model_id.localeCompare(b.model_id) || a.batch_size - b.batch_size);
    const modelIds = [...new Set([...top1.keys(), ...latency.map((l) => l.model_id)])].filter((id) => models.has(id)).sort();
    const batches = latency.map((l) => l.batch_size);
    return {
      device,
      batch: batches.length ? Math.min(...batches) : null,
      modelPoints: modelIds.map((id) => {
        const m = models.get(id)!;
        return { model_id: id, gflops: Number(m.flops) / 1e9, mparams: Number(m.params) / 1e6, weight_mb: Number(m.weight_bytes) / 1e6, top1: top1.get(id) ?? null };
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
