/**
 * The numbers behind a study write-up (docs/studies/<host>/README.md), read back from the study's
 * Parquet with DuckDB, so that every figure quoted there can be regenerated:
 *
 *   npm run study:findings -- data/results/<study-id> > findings.md
 *
 * Sections: the run (host, cells, timing noise), ops → time per batch (SPEC §3.1, from fits.parquet)
 * beside the same regression on memory traffic and on both, where FLOPs mislead (time per GFLOP
 * against arithmetic intensity), memory (§3.5), the accuracy fits and frontier (§3.2, §3.3).
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FitRow } from '../src/analysis/fit-rows.js';
import { leaveOneOut, linearFit, rSquared } from '../src/analysis/regression.js';
import type { ReadRow, StudyTableName } from '../src/results/schema.js';

const dir = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: npm run study:findings -- <study results folder>');
  process.exit(2);
}
const db = await (await DuckDBInstance.create(':memory:')).connect();
const t = (name: StudyTableName) => `'${path.join(dir, `${name}.parquet`)}'`;
async function rows<T>(sql: string): Promise<T[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJS() as T[];
}
const f = (v: number | null | undefined, digits = 2) => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (v: number | null | undefined, digits = 0) => (v == null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`);
const out: string[] = [];
const say = (line = '') => out.push(line);
function table(head: string[], body: (string | number)[][]): void {
  say(`| ${head.join(' | ')} |`);
  say(`|${head.map(() => '---').join('|')}|`);
  for (const r of body) say(`| ${r.join(' | ')} |`);
  say();
}

// --- the run ---------------------------------------------------------------------------------
const [dev] = await rows<Pick<ReadRow<'devices'>, 'device' | 'cpu_model' | 'cpu_cores' | 'cpu_simd_flags' | 'onnxruntime_version'>>(
  `select device, cpu_model, cpu_cores, cpu_simd_flags, onnxruntime_version from ${t('devices')} limit 1`);
const [study] = await rows<Pick<ReadRow<'study'>, 'study_id' | 'cells_expected' | 'cells_done' | 'missing_cells' | 'spec_json'>>(
  `select study_id, cells_expected, cells_done, missing_cells, spec_json from ${t('study')}`);
const statuses = await rows<{ status: string; n: bigint }>(`select status, count(*) n from ${t('latency')} group by all order by all`);
const [noise] = await rows<{ runs_min: number; runs_med: number; spread_med: number; spread_p90: number; cv_med: number; threads: number }>(`
  select min(runs) runs_min, median(runs) runs_med, median(p90_ms / p50_ms - 1) spread_med,
         quantile_cont(p90_ms / p50_ms - 1, 0.9) spread_p90, median(stdev_ms / mean_ms) cv_med, max(threads) threads
  from ${t('latency')} where status = 'ok'`);
say(`## The run: ${study!.study_id}`);
say();
say(`- Device ${dev!.device}: ${dev!.cpu_model}, ${dev!.cpu_cores} logical cores, SIMD ${dev!.cpu_simd_flags.join(' ')}, onnxruntime ${dev!.onnxruntime_version}, ${noise!.threads} intra-op threads.`);
say(`- Cells: ${study!.cells_done} of ${study!.cells_expected} done; latency cells by status: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}; missing: ${study!.missing_cells.length ? study!.missing_cells.join(', ') : 'none'}.`);
say(`- Timing rules: ${JSON.stringify(JSON.parse(study!.spec_json).timing ?? 'not recorded')}; timed runs per cell min ${noise!.runs_min}, median ${noise!.runs_med}.`);
say(`- Noise band: within a cell, p90 is ${pct(noise!.spread_med, 1)} above p50 (median over cells; 90th percentile of cells ${pct(noise!.spread_p90, 1)}); stdev/mean median ${pct(noise!.cv_med, 1)}.`);
say();

// --- ops → time, and memory traffic ---------------------------------------------------------
interface Point { model_id: string; batch_size: number; per_image_ms: number; gflops: number; traffic_gb: number; intensity: number; precision: string; weights: string; architecture: string | null }
const points = await rows<Point>(`
  select l.model_id, l.batch_size, l.per_image_ms, m.flops / 1e9 gflops, m.traffic_bytes / 1e9 traffic_gb,
         m.arithmetic_intensity intensity, l.precision, m.weights, m.architecture
  from ${t('latency')} l join ${t('models')} m using (model_id) where l.status = 'ok' order by l.batch_size, l.model_id`);
const batches = [...new Set(points.map((p) => p.batch_size))].sort((a, b) => a - b);
const fits = await rows<Pick<FitRow, 'fit' | 'batch_size' | 'model_id' | 'param' | 'value' | 'r2' | 'n' | 'status'>>(
  `select fit, batch_size, model_id, param, value, r2, n, status from ${t('fits')}`);
const fit = (name: string, b: number | null, param: string) => fits.find((r) => r.fit === name && r.batch_size === b && r.param === param && r.model_id === null);

/** Least squares y = a·x1 + c·x2 + b (normal equations; two predictors need nothing more). */
function fit2(x1: number[], x2: number[], y: number[]): { predict: (u: number, v: number) => number } | null {
  const n = y.length;
  if (n < 4) return null;
  const m = (v: number[]) => v.reduce((s, a) => s + a, 0) / n;
  const [m1, m2, my] = [m(x1), m(x2), m(y)];
  let s11 = 0, s22 = 0, s12 = 0, s1y = 0, s2y = 0;
  for (let i = 0; i < n; i++) {
    const d1 = x1[i]! - m1, d2 = x2[i]! - m2, dy = y[i]! - my;
    s11 += d1 * d1; s22 += d2 * d2; s12 += d1 * d2; s1y += d1 * dy; s2y += d2 * dy;
  }
  const det = s11 * s22 - s12 * s12;
  if (Math.abs(det) < 1e-12) return null;
  const a = (s1y * s22 - s2y * s12) / det;
  const c = (s2y * s11 - s1y * s12) / det;
  const b = my - a * m1 - c * m2;
  return { predict: (u, v) => a * u + c * v + b };
}
const r2Of = (y: number[], pred: number[]) => {
  const my = y.reduce((s, a) => s + a, 0) / y.length;
  const ssr = y.reduce((s, v, i) => s + (v - pred[i]!) ** 2, 0);
  const sst = y.reduce((s, v) => s + (v - my) ** 2, 0);
  return 1 - ssr / sst;
};
const mape = (y: number[], pred: (number | null)[]) => {
  const e = y.map((v, i) => (pred[i] == null ? null : Math.abs(pred[i]! - v) / v)).filter((v): v is number => v != null);
  return e.reduce((s, v) => s + v, 0) / e.length;
};

say('## Operations → time (SPEC §3.1), and memory traffic');
say();
say('`per_image_ms = a · GFLOPs + b` over every model measured at that batch size (fits.parquet), then over the fp32 models only, on GFLOPs, on memory traffic (GB per image: weights once plus twice every activation), and on both. LOO = mean relative error predicting each model from a line fitted on the others.');
say();
const opsRows: (string | number)[][] = [];
for (const b of batches) {
  const all = fit('ops_time', b, 'a_ms_per_gflop');
  const loo = fit('ops_time_loo', b, 'mape');
  const fp32 = points.filter((p) => p.batch_size === b && p.precision === 'fp32');
  const y = fp32.map((p) => p.per_image_ms);
  const g = fp32.map((p) => p.gflops);
  const tr = fp32.map((p) => p.traffic_gb);
  const lg = linearFit(g, y);
  const lt = linearFit(tr, y);
  const both = fit2(g, tr, y);
  const bothLoo = y.map((_, i) => {
    const keep = (v: number[]) => v.filter((_, j) => j !== i);
    const f2 = fit2(keep(g), keep(tr), keep(y));
    return f2 ? f2.predict(g[i]!, tr[i]!) : null;
  });
  opsRows.push([
    b, all?.n ?? '–', f(all?.value, 1), f(all?.r2), pct(loo?.value),
    fp32.length, lg ? f(rSquared(g, y, lg.slope, lg.intercept)) : '–', pct(mape(y, leaveOneOut(g, y))),
    lt ? f(rSquared(tr, y, lt.slope, lt.intercept)) : '–', pct(mape(y, leaveOneOut(tr, y))),
    both ? f(r2Of(y, g.map((u, i) => both.predict(u, tr[i]!)))) : '–', pct(mape(y, bothLoo)),
  ]);
}
table(['batch', 'n (all)', 'a ms/GFLOP', 'R²', 'LOO error', 'n (fp32)', 'R² GFLOPs', 'LOO GFLOPs', 'R² traffic', 'LOO traffic', 'R² both', 'LOO both'], opsRows);

// --- where FLOPs mislead --------------------------------------------------------------------
say('## Where FLOPs mislead: time per GFLOP against arithmetic intensity (fp32 models)');
say();
const lowB = batches[0]!;
const highB = batches.includes(32) ? 32 : batches[batches.length - 1]!;
const perModel = [...new Set(points.filter((p) => p.precision === 'fp32').map((p) => p.model_id))].map((id) => {
  const at = (b: number) => points.find((p) => p.model_id === id && p.batch_size === b);
  const p = points.find((q) => q.model_id === id)!;
  return { id, gflops: p.gflops, traffic: p.traffic_gb, intensity: p.intensity, b1: at(lowB), bh: at(highB) };
}).filter((m) => m.b1).sort((a, b) => b.b1!.per_image_ms / b.gflops - a.b1!.per_image_ms / a.gflops);
table(['model', 'GFLOPs', 'traffic MB', 'FLOP/byte', `ms/image b${lowB}`, `ms/GFLOP b${lowB}`, `ms/GFLOP b${highB}`, `GFLOP/s b${highB}`],
  perModel.map((m) => [m.id, f(m.gflops), f(m.traffic * 1000, 0), f(m.intensity, 1), f(m.b1!.per_image_ms, 1),
    f(m.b1!.per_image_ms / m.gflops, 1), m.bh ? f(m.bh.per_image_ms / m.gflops, 1) : '–', m.bh ? f(m.gflops / m.bh.per_image_ms * 1000, 1) : '–']));
const li = perModel.map((m) => Math.log10(m.intensity));
const lt1 = perModel.map((m) => Math.log10(m.b1!.per_image_ms / m.gflops));
const lfit = linearFit(li, lt1);
say(`log10(ms/GFLOP at b${lowB}) against log10(FLOP/byte): slope ${f(lfit?.slope)}, R² ${lfit ? f(rSquared(li, lt1, lfit.slope, lfit.intercept)) : '–'} over ${perModel.length} models.`);
say();

// --- batch scaling ---------------------------------------------------------------------------
say(`## Batch size: throughput at b${batches[batches.length - 1]} over b${lowB}`);
say();
const topB = batches[batches.length - 1]!;
const scaling = perModel.map((m) => ({ id: m.id, gain: m.b1!.per_image_ms / (points.find((p) => p.model_id === m.id && p.batch_size === topB)?.per_image_ms ?? NaN) }))
  .filter((m) => Number.isFinite(m.gain)).sort((a, b) => b.gain - a.gain);
const gains = scaling.map((m) => m.gain).sort((a, b) => a - b);
say(`images/s at b${topB} ÷ images/s at b${lowB}, fp32 models: median ${f(gains[Math.floor(gains.length / 2)])}×, from ${f(gains[0])}× to ${f(gains[gains.length - 1])}×. Highest: ${scaling.slice(0, 5).map((m) => `${m.id} ${f(m.gain)}×`).join(', ')}; lowest: ${scaling.slice(-3).map((m) => `${m.id} ${f(m.gain)}×`).join(', ')}.`);
say();

// --- memory -----------------------------------------------------------------------------------
say('## Memory (SPEC §3.5): `rss_peak = m0 + s · weight_bytes`');
say();
table(['batch', 'm0 MB', 's', 'R²', 'n'], batches.map((b) => {
  const m0 = fit('memory_size', b, 'm0_bytes');
  const s = fit('memory_size', b, 's');
  return [b, f((m0?.value ?? NaN) / 1e6, 0), f(s?.value), f(s?.r2 ?? m0?.r2), m0?.n ?? '–'];
}));

// --- accuracy -------------------------------------------------------------------------------
say('## Accuracy against time (SPEC §3.2, §3.3)');
say();
table(['batch', 'A', 'k', 'R²', 'n (frontier)', 'bound slope per decade of images/s', 'frontier models (time)'], await Promise.all(batches.map(async (b) => {
  const A = fit('accuracy_time_hyperbolic', b, 'A');
  const k = fit('accuracy_time_hyperbolic', b, 'k');
  const slope = fit('accuracy_throughput_bound', b, 'slope_per_log10_images_per_s');
  const front = await rows<{ model_id: string }>(`select model_id from ${t('frontiers')} where frontier = 'top1_vs_time' and batch_size = ${b} and on_frontier order by x_value`);
  return [b, f(A?.value, 3), f(k?.value, 3), f(A?.r2), A?.n ?? '–', f(slope?.value, 3), front.map((r) => r.model_id).join(', ')];
})));
const acc = await rows<{ model_id: string; top1: number; published_top1: number | null }>(
  `select a.model_id, a.top1, m.published_top1 from ${t('accuracy')} a join ${t('models')} m using (model_id) order by a.top1 desc`);
say(`Measured top-1 (kit models, kit images): ${acc.map((a) => `${a.model_id} ${pct(a.top1, 2)} (published ${pct(a.published_top1, 1)})`).join('; ')}.`);
const [power] = await rows<{ n: bigint }>(`select count(power_avg_w) n from ${t('latency')}`);
say();
say(`Power: ${Number(power!.n)} cells with a power reading.`);

db.closeSync();
console.log(out.join('\n'));
