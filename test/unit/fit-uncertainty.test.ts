/**
 * The laws' uncertainty and their second forms: the bootstrap over models (reproducible, honest
 * about thin data, close to the textbook standard error where one exists), the ops→time fit in
 * log–log form and without its highest-leverage model, and the memory law fitted Canziani's way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeStudy, type FitRow } from '../../src/analysis/analyze.js';
import { bootstrapOverModels, MIN_MODELS_FOR_INTERVAL } from '../../src/analysis/bootstrap.js';
import type { AnalysisInput, LatencyInput } from '../../src/analysis/inputs.js';
import { leverages } from '../../src/analysis/regression.js';
import { prng } from '../../src/stats/prng.js';

function row(fits: FitRow[], fit: string, param: string): FitRow {
  const r = fits.find((f) => f.fit === fit && f.param === param);
  assert.ok(r, `no row ${fit}.${param}`);
  return r;
}

const close = (got: number | null, want: number, tol: number, what: string) =>
  assert.ok(got !== null && Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want} ± ${tol}`);

interface M { gflops: number; ms: number; weightBytes?: number; rss?: number; rssBefore?: number }

/** One device, batch 1: each model's GFLOPs, time and memory as given; published top-1 for all. */
function study(models: M[], isolation?: 'process' | 'worker'): AnalysisInput {
  const ids = models.map((_, i) => `m${String(i).padStart(2, '0')}`);
  return {
    models: models.map((m, i) => ({ model_id: ids[i]!, params: 1e6, weight_bytes: m.weightBytes ?? 4e6, flops: m.gflops * 1e9, published_top1: 0.5 + i / 100 })),
    accuracy: [],
    latency: models.map((m, i): LatencyInput => ({
      model_id: ids[i]!, device: 'cpu', batch_size: 1, status: 'ok', per_image_ms: m.ms, images_per_s: 1000 / m.ms,
      rss_peak_bytes: m.rss ?? null, rss_before_bytes: m.rssBefore ?? null, isolation: isolation ?? null,
      power_avg_w: null, energy_per_image_j: null, power_note: 'none',
    })),
  };
}

test('bootstrap over models: the same inputs give the same interval; too few models give none, with the reason', () => {
  const units = [1, 2, 3, 4, 5, 6, 7, 8];
  const meanOf = (s: readonly number[]) => [s.reduce((a, b) => a + b, 0) / s.length];
  const a = bootstrapOverModels(units, 1, meanOf, 'seed text');
  assert.deepEqual(bootstrapOverModels(units, 1, meanOf, 'seed text'), a);
  assert.notDeepEqual(bootstrapOverModels(units, 1, meanOf, 'another seed').intervals, a.intervals);
  const [lo, hi] = a.intervals[0]!;
  assert.ok(lo < 4.5 && 4.5 < hi && lo >= 1 && hi <= 8);
  assert.match(a.note, /bootstrap over the 8 models, 2000 resamples/);

  const few = bootstrapOverModels(units.slice(0, MIN_MODELS_FOR_INTERVAL - 1), 1, meanOf, 's');
  assert.deepEqual(few.intervals, [null]);
  assert.match(few.note, /4 models, a bootstrap over models needs at least 5/);

  // A law that cannot be refitted on most resamples gets no interval rather than one from the lucky few.
  const rare = bootstrapOverModels(units, 1, (s) => (s.includes(1) && s.includes(2) && s.includes(3) ? [1] : null), 's');
  assert.deepEqual(rare.intervals, [null]);
  assert.match(rare.note, /only \d+ of 2000 resamples/);
});

test('bootstrap of a mean: close to mean ± 1.96·s/√n, the textbook interval for many models', () => {
  const rand = prng(7);
  const units = Array.from({ length: 200 }, () => rand() * 10);
  const n = units.length;
  const m = units.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(units.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  const [lo, hi] = bootstrapOverModels(units, 1, (s) => [s.reduce((a, b) => a + b, 0) / s.length], 'mean').intervals[0]!;
  const half = 1.96 * sd / Math.sqrt(n);
  close(lo, m - half, 0.1 * half, 'low');
  close(hi, m + half, 0.1 * half, 'high');
});

test('leverage: the hat matrix diagonal, by hand', () => {
  // x = 1, 2, 3, 10: mean 4, Sxx = 9 + 4 + 1 + 36 = 50; h = 1/4 + (x − 4)²/50.
  const h = leverages([1, 2, 3, 10])!;
  [0.43, 0.33, 0.27, 0.97].forEach((want, i) => close(h[i]!, want, 1e-12, `h${i}`));
  assert.equal(leverages([2, 2, 2]), null);
});

test('ops→time: exact data gives a zero-width interval; noisy data an interval around the truth; the leverage model left out', () => {
  const g = [0.3, 0.6, 1, 1.5, 2, 3, 4, 6, 30];
  const exact = analyzeStudy(study(g.map((x) => ({ gflops: x, ms: 2 * x + 1 })))).fits;
  const a = row(exact, 'ops_time', 'a_ms_per_gflop');
  close(a.ci_low, 2, 1e-9, 'low');
  close(a.ci_high, 2, 1e-9, 'high');

  // The last model (30 GFLOPs) sits 20 ms above the line of the others: with it the slope is pulled, without it exact.
  const outlier = analyzeStudy(study(g.map((x, i) => ({ gflops: x, ms: 2 * x + 1 + (i === g.length - 1 ? 20 : 0) })))).fits;
  const drop = row(outlier, 'ops_time_without_max_leverage', 'a_ms_per_gflop');
  assert.equal(drop.model_id, 'm08');
  assert.equal(drop.n, 8);
  close(drop.value, 2, 1e-9, 'slope without the leverage model');
  close(row(outlier, 'ops_time_without_max_leverage', 'b_ms').value, 1, 1e-9, 'intercept without it');
  assert.ok(row(outlier, 'ops_time', 'a_ms_per_gflop').value! > 2.5, 'with it the slope is pulled up');
  assert.match(drop.note!, /without m08 \(leverage 0\.9\d/);

  const rand = prng(11);
  const noisy = analyzeStudy(study(Array.from({ length: 30 }, (_, i) => {
    const x = 0.2 + i * 0.5;
    return { gflops: x, ms: (4 * x + 2) * (1 + 0.1 * (rand() - 0.5)) };
  }))).fits;
  const n = row(noisy, 'ops_time', 'a_ms_per_gflop');
  assert.ok(n.ci_low! < n.value! && n.value! < n.ci_high!, 'the interval holds the estimate');
  assert.ok(n.ci_low! < 4 && 4 < n.ci_high!, `[${n.ci_low}, ${n.ci_high}] misses the true slope 4`);
  assert.ok(n.ci_high! - n.ci_low! < 0.5, 'and is not uselessly wide');
  const loo = row(noisy, 'ops_time_loo', 'mape');
  assert.ok(loo.ci_low! <= loo.value! && loo.value! <= loo.ci_high!);
});

test('ops→time in log–log form: recovers the exponent of a power law, and its leave-one-out error is zero there', () => {
  // time = 3 · GFLOPs^0.7 ms: log10 t = 0.7 · log10 g + log10 3.
  const fits = analyzeStudy(study([0.2, 0.5, 1, 2, 5, 10, 20].map((x) => ({ gflops: x, ms: 3 * x ** 0.7 })))).fits;
  close(row(fits, 'ops_time_loglog', 'alpha').value, 0.7, 1e-12, 'alpha');
  close(row(fits, 'ops_time_loglog', 'beta').value, Math.log10(3), 1e-12, 'beta');
  assert.ok(row(fits, 'ops_time_loglog_loo', 'mae_ms').value! < 1e-9);
  // The straight line cannot follow the curve: its leave-one-out error is not zero.
  assert.ok(row(fits, 'ops_time_loo', 'mae_ms').value! > 0.1);
});

test('memory Canziani\'s way: a measured process baseline taken off, small and large models fitted apart', () => {
  // Baseline 300 MB before any model; under 100 MB of weights: 50 MB + 2·w above it; over: 10 MB + 1.2·w.
  const small = [5e6, 20e6, 40e6, 60e6, 90e6].map((w) => ({ gflops: w / 1e7, ms: w / 1e6, weightBytes: w, rss: 300e6 + 50e6 + 2 * w, rssBefore: 300e6 }));
  const large = [150e6, 250e6, 400e6, 550e6, 700e6].map((w) => ({ gflops: w / 1e7, ms: w / 1e6, weightBytes: w, rss: 300e6 + 10e6 + 1.2 * w, rssBefore: 300e6 }));
  const fits = analyzeStudy(study([...small, ...large], 'process')).fits;
  const base = row(fits, 'memory_baseline', 'baseline_bytes');
  assert.equal(base.value, 300e6);
  assert.match(base.note!, /^measured/);
  close(row(fits, 'memory_canziani_under_100mb', 'm0_bytes').value, 50e6, 1e-3, 'small m0');
  close(row(fits, 'memory_canziani_under_100mb', 's').value, 2, 1e-12, 'small s');
  assert.equal(row(fits, 'memory_canziani_under_100mb', 's').n, 5);
  close(row(fits, 'memory_canziani_over_100mb', 'm0_bytes').value, 10e6, 1e-3, 'large m0');
  close(row(fits, 'memory_canziani_over_100mb', 's').value, 1.2, 1e-12, 'large s');
  // The single line over all of them is still there; no one line passes through two different ones.
  const single = row(fits, 'memory_size', 's');
  assert.equal(single.n, 10);
  assert.ok(single.r2! < 0.999, `single-line R² ${single.r2}`);
});

test('memory Canziani\'s way without a process baseline: the smallest model\'s RSS less its weights, said so', () => {
  const models = [[8e6, 900e6], [30e6, 950e6], [60e6, 1000e6], [200e6, 1300e6], [300e6, 1500e6]].map(([w, rss]) => ({ gflops: w! / 1e7, ms: w! / 1e6, weightBytes: w, rss }));
  const fits = analyzeStudy(study(models)).fits;
  const base = row(fits, 'memory_baseline', 'baseline_bytes');
  assert.equal(base.value, 900e6 - 8e6);
  assert.match(base.note!, /approximation.*smallest model's \(m00\)/);
  assert.match(row(fits, 'memory_canziani_under_100mb', 's').note!, /approximation/);
  // Three small models, (weights, RSS above the baseline) = (8, 8), (30, 58), (60, 108) MB: least squares by hand,
  // x̄ = 98/3, ȳ = 174/3, s = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)².
  const x = [8, 30, 60];
  const y = [8, 58, 108];
  const mx = 98 / 3;
  const my = 174 / 3;
  const sxy = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
  const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
  close(row(fits, 'memory_canziani_under_100mb', 's').value, sxy / sxx, 1e-9, 'small s');
  assert.equal(row(fits, 'memory_canziani_over_100mb', 's').status, 'exact');
});

test('too few models for an interval: null intervals and a note that says why; the whole analysis is reproducible', () => {
  const input = study([0.5, 1, 2].map((x) => ({ gflops: x, ms: 2 * x + 1 + x * x / 10 })));
  const { fits } = analyzeStudy(input);
  const a = row(fits, 'ops_time', 'a_ms_per_gflop');
  assert.ok(a.value !== null);
  assert.equal(a.ci_low, null);
  assert.equal(a.ci_high, null);
  assert.match(a.note!, /no interval: 3 models/);
  const many = study(Array.from({ length: 12 }, (_, i) => ({ gflops: 0.3 * (i + 1), ms: 1 + i + (i % 3) / 2, rss: 5e8 + i * 3e7, weightBytes: 1e6 + i * 2e7 })));
  assert.deepEqual(analyzeStudy(many), analyzeStudy(many));
});
