/**
 * The SPEC §3 fits: known parameters recovered from exact data, close on noisy data, and thin
 * data (0, 1, 2 models, no power source) producing rows that say why instead of throwing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeStudy, type FitRow } from '../../src/analysis/analyze.js';
import type { AccuracyInput, AnalysisInput, LatencyInput, ModelInput } from '../../src/analysis/inputs.js';
import { paretoFrontier } from '../../src/analysis/pareto.js';
import { coefficientOfVariation, leaveOneOut, linearFit } from '../../src/analysis/regression.js';

/** Deterministic noise (mulberry32 + Box-Muller): the noisy tests never flake. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function value(rows: FitRow[], fit: string, param: string, where: Partial<FitRow> = {}): FitRow {
  const r = rows.find((x) => x.fit === fit && x.param === param && Object.entries(where).every(([k, v]) => x[k as keyof FitRow] === v));
  assert.ok(r, `no row ${fit}.${param} ${JSON.stringify(where)}`);
  return r;
}

interface Synth { gflops: number; mparams: number; top1: number; ms: (b: number) => number; rss?: number; watts?: (b: number) => number }

/** A study from per-model truths: one device, the given batch sizes; top-1 measured on 1,000 images, none published (the laws read the measured figures). */
function study(models: Synth[], batches = [1, 2, 4], device = 'cpu-test'): AnalysisInput {
  const m: ModelInput[] = models.map((s, i) => ({
    model_id: `m${i}`, params: s.mparams * 1e6, weight_bytes: s.mparams * 4e6, flops: s.gflops * 1e9, published_top1: null,
  }));
  const acc: AccuracyInput[] = models.map((s, i) => ({ model_id: `m${i}`, device, top1: s.top1, n_images: 1000 }));
  const lat: LatencyInput[] = models.flatMap((s, i) => batches.map((b) => {
    const ms = s.ms(b);
    const w = s.watts?.(b) ?? null;
    return {
      model_id: `m${i}`, device, batch_size: b, status: 'ok', per_image_ms: ms, images_per_s: 1000 / ms, rss_peak_bytes: s.rss ?? null,
      power_avg_w: w, energy_per_image_j: w === null ? null : (w * ms) / 1000, power_note: w === null ? 'no RAPL here' : null,
    };
  }));
  return { models: m, accuracy: acc, latency: lat };
}

test('linearFit recovers slope and intercept; R² is 1 on exact data, null on two points', () => {
  const x = [1, 2, 3, 5, 8];
  const fit = linearFit(x, x.map((v) => 3 * v - 2))!;
  assert.ok(Math.abs(fit.slope - 3) < 1e-12 && Math.abs(fit.intercept + 2) < 1e-12);
  assert.ok(Math.abs(fit.r2! - 1) < 1e-12);
  assert.equal(linearFit([1, 2], [5, 7])!.r2, null);
  assert.equal(linearFit([1], [1]), null);
  assert.equal(linearFit([2, 2, 2], [1, 2, 3]), null, 'no slope when every x is the same');
});

test('leave-one-out on exact linear data predicts every point exactly', () => {
  const x = [0.3, 0.7, 1.1, 4.1, 8];
  const y = x.map((v) => 12 * v + 1.5);
  leaveOneOut(x, y).forEach((p, i) => assert.ok(Math.abs(p! - y[i]!) < 1e-9));
});

test('coefficient of variation: sample stdev over mean, null when undefined', () => {
  assert.ok(Math.abs(coefficientOfVariation([10, 12, 14])! - 2 / 12) < 1e-12);
  assert.equal(coefficientOfVariation([5]), null);
});

test('Pareto frontier: lower cost and higher accuracy win, ties in cost keep the better model', () => {
  const pts = [{ x: 1, y: 0.5 }, { x: 2, y: 0.4 }, { x: 3, y: 0.7 }, { x: 3, y: 0.6 }, { x: 10, y: 0.75 }, { x: 11, y: 0.75 }];
  assert.deepEqual(paretoFrontier(pts, 'min'), [0, 2, 4]);
  assert.deepEqual(paretoFrontier(pts, 'max'), [5]);
});

// Five models on known laws: time/image = 4 ms/GFLOP·g + 0.5 ms (batch 1; faster per image at
// larger batches), top1 = 0.8 − 2/t on the frontier, peak RSS = 200 MB + 1.3·weights, power 12 W.
const A = 0.8;
const K = 2;
const truth = (g: number, mparams: number, dom = 0): Synth => {
  const t1 = 4 * g + 0.5;
  return { gflops: g, mparams, top1: A - K / t1 - dom, ms: (b) => t1 / (1 + 0.1 * Math.log2(b)), rss: 200e6 + 1.3 * mparams * 4e6, watts: () => 12 };
};
const exact = study([truth(0.5, 1.2), truth(1.0, 3.5), truth(2.0, 5), truth(4.0, 25), truth(8.0, 60), truth(3.0, 10, 0.1)]);

test('exact data: ops→time, hyperbola, memory and power laws come back exactly', () => {
  const { fits } = analyzeStudy(exact);
  const a = value(fits, 'ops_time', 'a_ms_per_gflop', { batch_size: 1 });
  assert.ok(Math.abs(a.value! - 4) < 1e-9, `a = ${a.value}`);
  assert.ok(Math.abs(value(fits, 'ops_time', 'b_ms', { batch_size: 1 }).value! - 0.5) < 1e-9);
  assert.ok(Math.abs(a.r2! - 1) < 1e-12);
  assert.equal(a.status, 'ok');
  assert.equal(a.n, 6);
  assert.ok(value(fits, 'ops_time_loo', 'mae_ms', { batch_size: 1, model_id: null }).value! < 1e-9);
  // Batch 4 is 1.2× faster per image: the slope scales, the fit stays exact.
  assert.ok(Math.abs(value(fits, 'ops_time', 'a_ms_per_gflop', { batch_size: 4 }).value! - 4 / 1.2) < 1e-9);

  const hA = value(fits, 'accuracy_time_hyperbolic', 'A', { batch_size: 1 });
  assert.ok(Math.abs(hA.value! - A) < 1e-9, `A = ${hA.value}`);
  assert.ok(Math.abs(value(fits, 'accuracy_time_hyperbolic', 'k', { batch_size: 1 }).value! - K) < 1e-9);
  assert.equal(hA.n, 5, 'the dominated model is not on the frontier');
  assert.ok(Math.abs(hA.r2! - 1) < 1e-12);

  assert.ok(Math.abs(value(fits, 'memory_size', 'm0_bytes', { batch_size: 1 }).value! - 200e6) < 1e-3);
  assert.ok(Math.abs(value(fits, 'memory_size', 's', { batch_size: 1 }).value! - 1.3) < 1e-12);

  assert.equal(value(fits, 'power', 'mean_w').value, 12);
  assert.equal(value(fits, 'power', 'cv_all').value, 0);
  assert.ok(Math.abs(value(fits, 'energy_bound', 'A', { batch_size: 1 }).value! - A) < 1e-9, 'constant power: the energy bound is the time hyperbola');

  const dens = value(fits, 'accuracy_density', 'top1_per_mparams', { model_id: 'm0' });
  assert.ok(Math.abs(dens.value! - (A - K / 2.5) / 1.2) < 1e-12);
});

test('throughput bound: the line lies above every point and touches two frontier models', () => {
  const input = exact;
  const { fits, frontiers } = analyzeStudy(input);
  const slope = value(fits, 'accuracy_throughput_bound', 'slope_per_log10_images_per_s', { batch_size: 1 }).value!;
  const icpt = value(fits, 'accuracy_throughput_bound', 'intercept', { batch_size: 1 }).value!;
  assert.ok(slope < 0, 'accuracy falls as throughput rises');
  const pts = frontiers.filter((f) => f.frontier === 'top1_vs_throughput' && f.batch_size === 1);
  assert.equal(pts.length, 6);
  const gaps = pts.map((p) => slope * Math.log10(p.x_value) + icpt - p.top1);
  assert.ok(gaps.every((g) => g > -1e-12), `a point above the bound: ${gaps}`);
  assert.equal(gaps.filter((g) => Math.abs(g) < 1e-12).length, 2);
});

test('noisy data: fitted parameters stay close to the truth', () => {
  const noise = gaussian(42);
  const models = [0.3, 0.6, 0.8, 1.2, 1.8, 2.5, 3.3, 4.1, 5.5, 7.7, 11.5, 15.6].map((g, i) => {
    const s = truth(g, 1 + 3 * i);
    const jitter = 1 + 0.03 * noise();
    return { ...s, ms: (b: number) => s.ms(b) * jitter, rss: s.rss! + 10e6 * noise(), watts: () => 12 + 0.3 * noise() };
  });
  const { fits } = analyzeStudy(study(models));
  const a = value(fits, 'ops_time', 'a_ms_per_gflop', { batch_size: 1 });
  assert.ok(Math.abs(a.value! - 4) < 0.2, `a = ${a.value}`);
  assert.ok(a.r2! > 0.99, `R² = ${a.r2}`);
  const mape = value(fits, 'ops_time_loo', 'mape', { batch_size: 1, model_id: null }).value!;
  assert.ok(mape < 0.1, `leave-one-out error ${mape}`);
  assert.ok(Math.abs(value(fits, 'memory_size', 's', { batch_size: 1 }).value! - 1.3) < 0.1);
  assert.ok(Math.abs(value(fits, 'memory_size', 'm0_bytes', { batch_size: 1 }).value! - 200e6) < 15e6);
  const cv = value(fits, 'power', 'cv_all').value!;
  assert.ok(cv > 0 && cv < 0.05, `power CV ${cv}`);
  const hA = value(fits, 'accuracy_time_hyperbolic', 'A', { batch_size: 1 });
  assert.ok(Math.abs(hA.value! - A) < 0.03, `A = ${hA.value}`);
});

test('thin data degrades to rows that say why: no models, one model, two models, no power', () => {
  assert.deepEqual(analyzeStudy({ models: [], accuracy: [], latency: [] }), { fits: [], frontiers: [] });

  const one = analyzeStudy(study([truth(1, 2)], [1])).fits;
  const a1 = value(one, 'ops_time', 'a_ms_per_gflop');
  assert.equal(a1.value, null);
  assert.equal(a1.status, 'too_few_points');
  assert.match(a1.note!, /1 models; the fit needs at least 2/);
  assert.equal(value(one, 'accuracy_throughput_bound', 'slope_per_log10_images_per_s').status, 'too_few_points');
  assert.equal(value(one, 'memory_size', 's').status, 'too_few_points');

  const two = analyzeStudy(study([truth(1, 2), truth(3, 7)], [1])).fits;
  const a2 = value(two, 'ops_time', 'a_ms_per_gflop');
  assert.equal(a2.status, 'exact');
  assert.ok(Math.abs(a2.value! - 4) < 1e-9);
  assert.equal(a2.r2, null);
  assert.equal(value(two, 'ops_time_loo', 'mae_ms', { model_id: null }).status, 'too_few_points');

  const noPower = study([truth(1, 2), truth(3, 7), truth(5, 9)].map((s) => ({ ...s, watts: undefined })), [1]);
  const { fits } = analyzeStudy(noPower);
  const p = value(fits, 'power', 'mean_w');
  assert.equal(p.status, 'no_data');
  assert.equal(p.value, null);
  assert.equal(p.note, 'no RAPL here');
  assert.equal(value(fits, 'energy_bound', 'A').status, 'no_data');

  // Failed cells and models without accuracy are skipped, not fatal.
  const broken = study([truth(1, 2), truth(2, 4), truth(4, 9)], [1]);
  broken.latency.push({ model_id: 'm0', device: 'cpu-test', batch_size: 64, status: 'oom', per_image_ms: null });
  broken.accuracy.pop();
  broken.latency.push({ model_id: 'ghost', device: 'cpu-test', batch_size: 1, status: 'ok', per_image_ms: 3 });
  const b = analyzeStudy(broken).fits;
  assert.equal(value(b, 'ops_time', 'a_ms_per_gflop', { batch_size: 1 }).n, 3);
  assert.ok(!b.some((r) => r.batch_size === 64));
  assert.equal(value(b, 'accuracy_time_hyperbolic', 'A', { batch_size: 1 }).n, 2);
});
