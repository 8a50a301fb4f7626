import { median } from '../stats/quantiles.js';
import { bootstrapOverModels, noIntervals } from './bootstrap.js';
import { fitRows, joinNotes, tooFew, type FitRow, type FitStatus, type Param } from './fit-rows.js';
import { groupBy } from '../stats/group-by.js';
import type { Point } from './inputs.js';
import { coefficientOfVariation, linearFit, mean } from './regression.js';

/** Where the Canziani-style memory fits split the models: under vs over 100 MB (10⁸ bytes) of weights, fitted apart. */
export const CANZIANI_SPLIT_BYTES = 100e6;

/** bytes = m0 + s·weight_bytes over points, with its bootstrap interval; `y` is the memory the law reads. */
function memoryLine(fit: string, group: readonly Point[], y: (p: Point) => number, device: string, batch: number, why: string | null): FitRow[] {
  const n = group.length;
  const line = (ps: readonly Point[]) => linearFit(ps.map((p) => p.weight_bytes), ps.map(y));
  const f = line(group);
  const g: { status: FitStatus; note?: string } = n < 2 ? tooFew(n, 2, 'models')
    : !f ? { status: 'too_few_points', note: 'every model has the same weight bytes' }
    : n === 2 ? { status: 'exact', note: 'two models: the line passes through both, no goodness of fit' }
    : { status: 'ok' };
  const ci = f ? bootstrapOverModels(group, 2, (s) => {
    const r = line(s);
    return r ? [r.intercept, r.slope] : null;
  }, `${fit}\u0000${device}\u0000${batch}`) : noIntervals(2, 'no fit');
  return fitRows({ fit, device, batch_size: batch }, [
    ['m0_bytes', f?.intercept ?? null, 'bytes', ci.intervals[0]], ['s', f?.slope ?? null, 'bytes per weight byte', ci.intervals[1]],
  ], { r2: f?.r2 ?? null, n, status: g.status, note: joinNotes(why, g.note, ci.note) });
}

/**
 * The process's memory before any model, for the Canziani fits of one (device, batch): the
 * median `rss_before_bytes` of the cells timed in a process of their own (`isolation` 'process':
 * Node, onnxruntime and the images, no session yet). A study timed in the worker has no such
 * figure (its RSS before a session holds every earlier cell's leftovers), so the smallest
 * model's peak RSS less its weight bytes stands in: the process with that model's weights taken
 * out, an approximation that still counts its activations and arena. `group` is one (device,
 * batch) group of groupBy, never empty.
 */
function processBaseline(group: readonly Point[]): { bytes: number; cells: number; note: string } {
  const own = group.filter((p) => p.isolation === 'process' && p.rss_before_bytes !== null);
  if (own.length > 0) {
    return { bytes: median(own.map((p) => p.rss_before_bytes!)), cells: own.length, note: `measured: median rss_before_bytes of ${own.length} cells timed in their own process` };
  }
  const smallest = group.reduce((s, p) => (p.weight_bytes < s.weight_bytes ? p : s), group[0]!);
  return {
    bytes: smallest.rss_peak_bytes! - smallest.weight_bytes, cells: 1,
    note: `approximation: the study has no process baseline (no cell timed in its own process), so the smallest model's (${smallest.model_id}) peak RSS less its weight bytes`,
  };
}

/**
 * SPEC §3.5 (Canziani's finding 5): peak memory = m0 + s·weight_bytes per (device, batch). The
 * memory is the worker's peak RSS, so m0 includes the runtime itself (the paper found ≥ 200 MB).
 * Beside it, the law as Canziani et al. fit it: the process's baseline before any model taken
 * off (`memory_baseline`), and models under and over 100 MB of weights fitted apart.
 */
export function memoryFits(points: readonly Point[]): FitRow[] {
  const rows: FitRow[] = [];
  const groups = groupBy(points.filter((p) => p.rss_peak_bytes !== null), (p) => `${p.device}\u0000${p.batch_size}`);
  for (const group of groups.values()) {
    const { device, batch_size: batch } = group[0]!;
    rows.push(...memoryLine('memory_size', group, (p) => p.rss_peak_bytes!, device, batch, null));

    const base = processBaseline(group);
    rows.push(...fitRows({ fit: 'memory_baseline', device, batch_size: batch }, [['baseline_bytes', base.bytes, 'bytes']],
      { r2: null, n: base.cells, status: 'ok', note: base.note }));
    const above = (p: Point) => p.rss_peak_bytes! - base.bytes;
    const baseNote = `peak RSS less a baseline of ${(base.bytes / 1e6).toFixed(0)} MB, ${base.note}`;
    rows.push(...memoryLine('memory_canziani_under_100mb', group.filter((p) => p.weight_bytes < CANZIANI_SPLIT_BYTES), above, device, batch, baseNote));
    rows.push(...memoryLine('memory_canziani_over_100mb', group.filter((p) => p.weight_bytes >= CANZIANI_SPLIT_BYTES), above, device, batch, baseNote));
  }
  return rows;
}

const mean0 = (v: (number | null)[]): number | null => {
  const ok = v.filter((x): x is number => x !== null);
  return ok.length ? mean(ok) : null;
};

/** mean power and its three coefficients of variation over a device's cells with a power reading. */
function powerStats(withW: readonly Point[]): (number | null)[] {
  const w = (ps: readonly Point[]) => ps.map((p) => p.power_avg_w!);
  return [
    mean(w(withW)),
    mean0([...groupBy(withW, (p) => p.model_id).values()].map((ps) => coefficientOfVariation(w(ps)))),
    mean0([...groupBy(withW, (p) => String(p.batch_size)).values()].map((ps) => coefficientOfVariation(w(ps)))),
    coefficientOfVariation(w(withW)),
  ];
}

/**
 * SPEC §3.6 (Canziani's finding 1, power independent of batch and architecture): per device, the
 * mean average power and its coefficients of variation across batch sizes (within each model,
 * averaged) and across models (within each batch size, averaged). Devices without a power source
 * get a no_data row that carries the reason. The intervals resample models, each with all its
 * batch sizes.
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
    const stats = powerStats(withW);
    const byModel = [...groupBy(withW, (p) => p.model_id).values()];
    // A statistic that is undefined on the data (one batch size: no CV across batches) has no interval either.
    // Each draw is a model of its own, even when the same one is drawn twice (else its batches would merge into one model).
    const refit = (s: readonly Point[][]) => powerStats(s.flatMap((ps, k) => ps.map((p) => ({ ...p, model_id: `${p.model_id}\u0000${k}` }))))
      .map((v, i) => (stats[i] === null ? 0 : v));
    const ci = bootstrapOverModels(byModel, 4, refit, `power\u0000${device}`);
    const param = (name: string, i: number): Param => [name, stats[i] ?? null, i === 0 ? 'W' : 'fraction', stats[i] === null ? null : ci.intervals[i]];
    const n = withW.length;
    rows.push(...fitRows(scope, [param('mean_w', 0), param('cv_across_batches', 1), param('cv_across_models', 2), param('cv_all', 3)], { r2: null, n, ...(n < 2 ? tooFew(n, 2, 'measurements') : { status: 'ok' as const, note: ci.note }) }));
  }
  return rows;
}
