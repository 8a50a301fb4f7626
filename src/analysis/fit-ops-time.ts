import { bootstrapOverModels, noIntervals } from './bootstrap.js';
import { fitRows, joinNotes, tooFew, type FitRow, type FitStatus } from './fit-rows.js';
import { groupBy } from '../stats/group-by.js';
import type { Point } from './inputs.js';
import { leaveOneOut, leverages, linearFit, mean, type LinearFit } from './regression.js';

/**
 * SPEC §3.1, Canziani's finding (4): at a fixed batch size, time per image is linear in the
 * operations count. Per (device, batch): time_per_image_ms = a·GFLOPs + b, with R², and how well
 * that line predicts a model it has not seen (leave-one-out: refit without it, predict it). Two
 * checks of how much the line owes to its shape and to one model: the same law in log–log form
 * (time ∝ GFLOPs^α, which a line through the origin is when α = 1, and which does not let the
 * largest models set the slope), and the line without its highest-leverage model (usually the
 * one model far out in GFLOPs, e.g. VGG, that a least-squares line must pass near).
 */
export function opsTimeFits(points: readonly Point[]): FitRow[] {
  const rows: FitRow[] = [];
  const groups = groupBy(points.filter((p) => p.per_image_ms !== null), (p) => `${p.device}\u0000${p.batch_size}`);
  for (const group of groups.values()) {
    rows.push(...linearRows(group), ...looRows(group), ...logLogRows(group), ...withoutMaxLeverageRows(group));
  }
  return rows;
}

const ms = (p: Point) => p.per_image_ms!;
const seed = (fit: string, p: Point) => `${fit}\u0000${p.device}\u0000${p.batch_size}`;
const lineOf = (ps: readonly Point[]) => linearFit(ps.map((p) => p.gflops), ps.map(ms));

function status(n: number, fit: LinearFit | null, sameX: string): { status: FitStatus; note?: string } {
  return n < 2 ? tooFew(n, 2, 'models')
    : !fit ? { status: 'too_few_points', note: sameX }
    : n === 2 ? { status: 'exact', note: 'two models: the line passes through both, no goodness of fit' }
    : { status: 'ok' };
}

/** time = a·GFLOPs + b with its bootstrap interval over models. */
function linearRows(group: readonly Point[], fitName = 'ops_time', modelId: string | null = null, why: string | null = null): FitRow[] {
  const { device, batch_size } = group[0]!;
  const n = group.length;
  const fit = lineOf(group);
  const g = status(n, fit, 'every model has the same GFLOPs: no slope to fit');
  const ci = fit ? bootstrapOverModels(group, 2, (s) => {
    const f = lineOf(s);
    return f ? [f.slope, f.intercept] : null;
  }, seed(fitName, group[0]!)) : noIntervals(2, 'no fit');
  return fitRows({ fit: fitName, device, batch_size, model_id: modelId }, [
    ['a_ms_per_gflop', fit?.slope ?? null, 'ms/GFLOP', ci.intervals[0]], ['b_ms', fit?.intercept ?? null, 'ms', ci.intervals[1]],
  ], { r2: fit?.r2 ?? null, n, status: g.status, note: joinNotes(why, g.note, ci.note) });
}

/** Mean absolute and relative leave-one-out errors, with the bootstrap interval of each mean over the models' errors. */
function looErrorRows(fitName: string, group: readonly Point[], predictions: readonly (number | null)[], needed: number): FitRow[] {
  const { device, batch_size } = group[0]!;
  const errs = predictions.flatMap((pred, i) => {
    const y = ms(group[i]!);
    return pred === null ? [] : [{ abs: Math.abs(pred - y), rel: Math.abs(pred - y) / y }];
  });
  const means = (e: readonly { abs: number; rel: number }[]) => [mean(e.map((x) => x.abs)), mean(e.map((x) => x.rel))];
  const ci = errs.length ? bootstrapOverModels(errs, 2, means, seed(fitName, group[0]!)) : noIntervals(2, 'no predictions');
  const [mae, mape] = errs.length ? means(errs) : [null, null];
  return fitRows({ fit: fitName, device, batch_size }, [
    ['mae_ms', mae ?? null, 'ms', ci.intervals[0]], ['mape', mape ?? null, 'fraction', ci.intervals[1]],
  ], { r2: null, n: errs.length, ...(errs.length ? { status: 'ok' as const, note: ci.note } : tooFew(group.length, needed, 'models')) });
}

function looRows(group: readonly Point[]): FitRow[] {
  const { device, batch_size } = group[0]!;
  const n = group.length;
  const y = group.map(ms);
  const loo = n >= 3 ? leaveOneOut(group.map((p) => p.gflops), y) : [];
  const rows = looErrorRows('ops_time_loo', group, loo, 3);
  loo.forEach((pred, i) => {
    rows.push(...fitRows({ fit: 'ops_time_loo', device, batch_size, model_id: group[i]!.model_id }, [
      ['predicted_ms', pred, 'ms'], ['actual_ms', y[i]!, 'ms'],
    ], { r2: null, n: n - 1, status: pred === null ? 'too_few_points' : 'ok', note: pred === null ? 'the other models have the same GFLOPs' : null }));
  });
  return rows;
}

/**
 * log10(time) = α·log10(GFLOPs) + β over the models with positive GFLOPs and time; its
 * leave-one-out error in ms (the prediction taken back out of logs), beside the line's.
 */
function logLogRows(all: readonly Point[]): FitRow[] {
  const group = all.filter((p) => p.gflops > 0 && ms(p) > 0);
  const { device, batch_size } = all[0]!;
  const n = group.length;
  const logFit = (ps: readonly Point[]) => linearFit(ps.map((p) => Math.log10(p.gflops)), ps.map((p) => Math.log10(ms(p))));
  const fit = logFit(group);
  const g = status(n, fit, 'every model has the same GFLOPs: no slope to fit');
  const ci = fit ? bootstrapOverModels(group, 2, (s) => {
    const f = logFit(s);
    return f ? [f.slope, f.intercept] : null;
  }, seed('ops_time_loglog', all[0]!)) : noIntervals(2, 'no fit');
  const left = all.length - n;
  const rows = fitRows({ fit: 'ops_time_loglog', device, batch_size }, [
    ['alpha', fit?.slope ?? null, 'log10 ms per log10 GFLOP', ci.intervals[0]],
    ['beta', fit?.intercept ?? null, 'log10 ms at 1 GFLOP', ci.intervals[1]],
  ], { r2: fit?.r2 ?? null, n, status: g.status, note: joinNotes(left ? `${left} models without positive GFLOPs left out` : null, g.note, ci.note) });
  if (n === 0) return [...rows, ...looErrorRows('ops_time_loglog_loo', all, [], 3)];
  const loo = n >= 3 ? leaveOneOut(group.map((p) => Math.log10(p.gflops)), group.map((p) => Math.log10(ms(p)))) : [];
  return [...rows, ...looErrorRows('ops_time_loglog_loo', group, loo.map((v) => (v === null ? null : 10 ** v)), 3)];
}

/**
 * The line refitted without the model of highest leverage h_i = 1/n + (x_i − x̄)²/Σ(x − x̄)²,
 * the one whose own time the line is most forced to pass near; the left-out model is the rows'
 * model_id. Needs three models (two left to fit).
 */
function withoutMaxLeverageRows(group: readonly Point[]): FitRow[] {
  const { device, batch_size } = group[0]!;
  const h = group.length >= 3 ? leverages(group.map((p) => p.gflops)) : null;
  if (!h) {
    const why = group.length < 3 ? tooFew(group.length, 3, 'models') : { status: 'too_few_points' as const, note: 'every model has the same GFLOPs' };
    return fitRows({ fit: 'ops_time_without_max_leverage', device, batch_size }, [
      ['a_ms_per_gflop', null, 'ms/GFLOP'], ['b_ms', null, 'ms'],
    ], { r2: null, n: Math.max(0, group.length - 1), ...why });
  }
  // The first of equal leverages: points come sorted by model id, so the choice is stable.
  const top = h.reduce((best, v, i) => (v > h[best]! ? i : best), 0);
  const left = group[top]!;
  return linearRows(group.filter((_, i) => i !== top), 'ops_time_without_max_leverage', left.model_id,
    `without ${left.model_id} (leverage ${h[top]!.toFixed(2)}, ${left.gflops.toPrecision(3)} GFLOPs)`);
}
