import { fitRows, tooFew, type FitRow } from './fit-rows.js';
import { groupBy, type Point } from './inputs.js';
import { leaveOneOut, linearFit } from './regression.js';

/**
 * SPEC §3.1, Canziani's finding (4): at a fixed batch size, time per image is linear in the
 * operations count. Per (device, batch): time_per_image_ms = a·GFLOPs + b, with R², and how well
 * that line predicts a model it has not seen (leave-one-out: refit without it, predict it).
 */
export function opsTimeFits(points: readonly Point[]): FitRow[] {
  const rows: FitRow[] = [];
  const groups = groupBy(points.filter((p) => p.per_image_ms !== null), (p) => `${p.device}\u0000${p.batch_size}`);
  for (const group of groups.values()) {
    const { device, batch_size } = group[0]!;
    const x = group.map((p) => p.gflops);
    const y = group.map((p) => p.per_image_ms!);
    const n = group.length;
    const fit = linearFit(x, y);
    const scope = { fit: 'ops_time', device, batch_size };
    const g = n < 2 ? tooFew(n, 2, 'models')
      : !fit ? { status: 'too_few_points' as const, note: 'every model has the same GFLOPs: no slope to fit' }
      : n === 2 ? { status: 'exact' as const, note: 'two models: the line passes through both, no goodness of fit' }
      : { status: 'ok' as const };
    rows.push(...fitRows(scope, [['a_ms_per_gflop', fit?.slope ?? null, 'ms/GFLOP'], ['b_ms', fit?.intercept ?? null, 'ms']],
      { r2: fit?.r2 ?? null, n, ...g }));

    const loo = n >= 3 ? leaveOneOut(x, y) : [];
    const errs = loo.flatMap((pred, i) => (pred === null ? [] : [{ abs: Math.abs(pred - y[i]!), rel: Math.abs(pred - y[i]!) / y[i]! }]));
    const looScope = { fit: 'ops_time_loo', device, batch_size };
    rows.push(...fitRows(looScope, [
      ['mae_ms', errs.length ? errs.reduce((a, e) => a + e.abs, 0) / errs.length : null, 'ms'],
      ['mape', errs.length ? errs.reduce((a, e) => a + e.rel, 0) / errs.length : null, 'fraction'],
    ], { r2: null, n: errs.length, ...(errs.length ? { status: 'ok' as const } : tooFew(n, 3, 'models')) }));
    loo.forEach((pred, i) => {
      rows.push(...fitRows({ ...looScope, model_id: group[i]!.model_id }, [
        ['predicted_ms', pred, 'ms'], ['actual_ms', y[i]!, 'ms'],
      ], { r2: null, n: n - 1, status: pred === null ? 'too_few_points' : 'ok', note: pred === null ? 'the other models have the same GFLOPs' : null }));
    });
  }
  return rows;
}
