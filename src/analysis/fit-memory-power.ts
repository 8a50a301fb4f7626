import { fitRows, tooFew, type FitRow } from './fit-rows.js';
import { groupBy, type Point } from './inputs.js';
import { coefficientOfVariation, linearFit, mean } from './regression.js';

/**
 * SPEC §3.5 (Canziani's finding 5): peak memory = m0 + s·weight_bytes per (device, batch). The
 * memory is the worker's peak RSS, so m0 includes the runtime itself (the paper found ≥ 200 MB).
 */
export function memoryFits(points: readonly Point[]): FitRow[] {
  const rows: FitRow[] = [];
  const groups = groupBy(points.filter((p) => p.rss_peak_bytes !== null), (p) => `${p.device}\u0000${p.batch_size}`);
  for (const group of groups.values()) {
    const { device, batch_size } = group[0]!;
    const n = group.length;
    const fit = linearFit(group.map((p) => p.weight_bytes), group.map((p) => p.rss_peak_bytes!));
    const g = n < 2 ? tooFew(n, 2, 'models')
      : !fit ? { status: 'too_few_points' as const, note: 'every model has the same weight bytes' }
      : n === 2 ? { status: 'exact' as const, note: 'two models: the line passes through both, no goodness of fit' }
      : { status: 'ok' as const };
    rows.push(...fitRows({ fit: 'memory_size', device, batch_size }, [
      ['m0_bytes', fit?.intercept ?? null, 'bytes'], ['s', fit?.slope ?? null, 'bytes per weight byte'],
    ], { r2: fit?.r2 ?? null, n, ...g }));
  }
  return rows;
}

const mean0 = (v: (number | null)[]): number | null => {
  const ok = v.filter((x): x is number => x !== null);
  return ok.length ? mean(ok) : null;
};

/**
 * SPEC §3.6 (Canziani's finding 1, power independent of batch and architecture): per device, the
 * mean average power and its coefficients of variation across batch sizes (within each model,
 * averaged) and across models (within each batch size, averaged). Devices without a power source
 * get a no_data row that carries the reason.
 */
export function powerFits(points: readonly Point[]): FitRow[] {
  const rows: FitRow[] = [];
  for (const group of groupBy(points, (p) => p.device).values()) {
    const device = group[0]!.device;
    const withW = group.filter((p) => p.power_avg_w !== null);
    const scope = { fit: 'power', device, batch_size: null };
    if (withW.length === 0) {
      const why = group.find((p) => p.power_note)?.power_note;
      rows.push(...fitRows(scope, [['mean_w', null, 'W'], ['cv_across_batches', null, 'fraction'], ['cv_across_models', null, 'fraction'], ['cv_all', null, 'fraction']],
        { r2: null, n: 0, status: 'no_data', note: why ?? 'no power source recorded' }));
      continue;
    }
    const w = (ps: Point[]) => ps.map((p) => p.power_avg_w!);
    const acrossBatches = mean0([...groupBy(withW, (p) => p.model_id).values()].map((ps) => coefficientOfVariation(w(ps))));
    const acrossModels = mean0([...groupBy(withW, (p) => String(p.batch_size)).values()].map((ps) => coefficientOfVariation(w(ps))));
    const n = withW.length;
    rows.push(...fitRows(scope, [
      ['mean_w', mean(w(withW)), 'W'], ['cv_across_batches', acrossBatches, 'fraction'],
      ['cv_across_models', acrossModels, 'fraction'], ['cv_all', coefficientOfVariation(w(withW)), 'fraction'],
    ], { r2: null, n, ...(n < 2 ? tooFew(n, 2, 'measurements') : { status: 'ok' as const }) }));
  }
  return rows;
}
