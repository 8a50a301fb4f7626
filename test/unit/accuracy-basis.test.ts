/**
 * Accuracy provenance and one basis per law: the Wilson interval against hand-computed values,
 * the basis of a measurement from its image count, and the laws and frontiers of a device reading
 * published top-1 for every model or measured top-1 for every model, never a mix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lawAccuracy, measuredBasis } from '../../src/analysis/accuracy-basis.js';
import { accuracyProvenance } from '../../src/analysis/accuracy-provenance.js';
import { analyzeStudy } from '../../src/analysis/analyze.js';
import type { AnalysisInput } from '../../src/analysis/inputs.js';
import { wilsonInterval } from '../../src/stats/wilson.js';

const close = (got: number | null | undefined, want: number, tol: number, what: string) =>
  assert.ok(got !== null && got !== undefined && Math.abs(got - want) <= tol, `${what}: ${got}, expected ${want} ± ${tol}`);

test('Wilson interval: hand-computed values, the bounds at 0% and 100%, and no interval without images', () => {
  // 8 of 10, z = 1.96: centre (0.8 + 1.9208/10)/1.38416 = 0.71674, half 1.96·√(0.016 + 0.009604)/1.38416 = 0.22657.
  const i = wilsonInterval(8, 10)!;
  close(i.low, 0.4902, 5e-4, 'low');
  close(i.high, 0.9433, 5e-4, 'high');
  // 0 of 10: [0, z²/(n + z²)] = [0, 3.8415/13.8415]; 10 of 10 mirrors it.
  assert.equal(wilsonInterval(0, 10)!.low, 0);
  close(wilsonInterval(0, 10)!.high, 0.27753, 1e-4, 'high at 0/10');
  close(wilsonInterval(10, 10)!.low, 0.72247, 1e-4, 'low at 10/10');
  assert.equal(wilsonInterval(10, 10)!.high, 1);
  // 1,040 of 1,300 (80%): about ±2.2 points, as the normal approximation gives at this n.
  const k = wilsonInterval(1040, 1300)!;
  close(k.high - k.low, 2 * 1.96 * Math.sqrt((0.8 * 0.2) / 1300), 2e-4, 'width at n = 1300');
  // z = 1 narrows it: 8 of 10 at one sigma, centre (0.8 + 0.05)/1.1, half √(0.016 + 0.0025)/1.1.
  close(wilsonInterval(8, 10, 1)!.low, 0.85 / 1.1 - Math.sqrt(0.0185) / 1.1, 1e-12, 'low at z = 1');
  assert.equal(wilsonInterval(0, 0), null);
  assert.equal(wilsonInterval(11, 10), null);
});

test('a measurement is full-val on all 50,000 validation images, a sample below; its cell gets Wilson intervals', () => {
  assert.equal(measuredBasis(50_000), 'measured_full_val');
  assert.equal(measuredBasis(1_300), 'measured_sample');
  const p = accuracyProvenance({ n_images: 10, top1: 0.8, top5: 1 });
  assert.equal(p.basis, 'measured_sample');
  close(p.top1_ci_low, 0.4902, 5e-4, 'top1 low');
  close(p.top1_ci_high, 0.9433, 5e-4, 'top1 high');
  close(p.top5_ci_low, 0.72247, 1e-4, 'top5 low');
  assert.equal(p.top5_ci_high, 1);
  const none = accuracyProvenance({ n_images: 0, top1: Number.NaN, top5: Number.NaN });
  assert.equal(none.top1_ci_low, null);
});

const catalog = [
  { model_id: 'a', published_top1: 0.70, published_source: 'paper A' },
  { model_id: 'b', published_top1: 0.75, published_source: null },
  { model_id: 'c', published_top1: null },
];
const measured = [
  { model_id: 'a', device: 'cpu', top1: 0.78, n_images: 1300 },
  { model_id: 'b', device: 'cpu', top1: 0.81, n_images: 1300 },
  { model_id: 'c', device: 'cpu', top1: 0.66, n_images: 1300 },
  { model_id: 'a', device: 'gpu', top1: 0.71, n_images: 50_000 },
  { model_id: 'b', device: 'gpu', top1: 0.80, n_images: 1300 },
];

test('lawAccuracy: published for every model when each has one, else measured on the device; one basis either way', () => {
  const pub = lawAccuracy(['a', 'b'], catalog, measured, 'cpu');
  assert.equal(pub.basis, 'published');
  assert.deepEqual([...pub.byModel.values()].map((x) => [x.model_id, x.top1, x.basis, x.source]), [['a', 0.70, 'published', 'paper A'], ['b', 0.75, 'published', null]]);

  const cpu = lawAccuracy(['a', 'b', 'c'], catalog, measured, 'cpu');
  assert.equal(cpu.basis, 'measured_sample');
  assert.deepEqual([...cpu.byModel.values()].map((x) => [x.model_id, x.top1, x.n_images]), [['a', 0.78, 1300], ['b', 0.81, 1300], ['c', 0.66, 1300]]);
  assert.match(cpu.reason, /no published top-1 for c/);

  // On the GPU one model was measured on the full set and one on a sample: the full set wins, the sample is left out.
  const gpu = lawAccuracy(['a', 'b', 'c'], catalog, measured, 'gpu');
  assert.equal(gpu.basis, 'measured_full_val');
  assert.deepEqual([...gpu.byModel.keys()], ['a']);
  for (const law of [pub, cpu, gpu]) assert.ok([...law.byModel.values()].every((x) => x.basis === law.basis), 'a law mixes bases');
});

/** Three models timed at batch 1 on 'cpu'; `published` gives each model's published top-1 (null: none). */
function input(published: (number | null)[]): AnalysisInput {
  const gflops = [0.5, 2, 8];
  const ms = [3, 9, 30];
  const top1 = [0.66, 0.80, 0.83];
  const ids = ['m0', 'm1', 'm2'];
  return {
    models: ids.map((id, i) => ({ model_id: id, params: (i + 1) * 5e6, weight_bytes: (i + 1) * 2e7, flops: gflops[i]! * 1e9, published_top1: published[i]! })),
    // m2 is a random-weight export: never measured.
    accuracy: ids.slice(0, 2).map((id, i) => ({ model_id: id, device: 'cpu', top1: top1[i]!, n_images: 1300 })),
    latency: ids.map((id, i) => ({
      model_id: id, device: 'cpu', batch_size: 1, status: 'ok' as const, per_image_ms: ms[i]!, images_per_s: 1000 / ms[i]!, rss_peak_bytes: 5e8 + i * 1e8,
      power_avg_w: null, energy_per_image_j: null, power_note: 'none',
    })),
  };
}

test('every model published: the frontiers hold every model, the never-measured one included, with its published top-1', () => {
  const { fits, frontiers } = analyzeStudy(input([0.60, 0.72, 0.78]));
  for (const name of ['top1_vs_time', 'top1_vs_throughput', 'top1_vs_gflops', 'top1_vs_params']) {
    const rows = frontiers.filter((f) => f.frontier === name);
    assert.deepEqual(rows.map((r) => [r.model_id, r.top1, r.accuracy_basis]), [['m0', 0.60, 'published'], ['m1', 0.72, 'published'], ['m2', 0.78, 'published']], name);
  }
  const hyper = fits.filter((f) => f.fit === 'accuracy_time_hyperbolic');
  assert.ok(hyper.length > 0 && hyper.every((f) => f.accuracy_basis === 'published'));
  // top1 = A − k/t through (3, 0.60), (9, 0.72), (30, 0.78): least squares in 1/t, checked against its normal equations.
  const u = [1 / 3, 1 / 9, 1 / 30];
  const y = [0.60, 0.72, 0.78];
  const mu = u.reduce((a, b) => a + b) / 3;
  const my = y.reduce((a, b) => a + b) / 3;
  const slope = u.reduce((s, v, i) => s + (v - mu) * (y[i]! - my), 0) / u.reduce((s, v) => s + (v - mu) ** 2, 0);
  close(hyper.find((f) => f.param === 'A')!.value, my - slope * mu, 1e-12, 'A');
  const density = fits.filter((f) => f.fit === 'accuracy_density');
  assert.deepEqual(density.map((f) => f.model_id), ['m0', 'm1', 'm2']);
  close(density[2]!.value, 0.78 / 15, 1e-12, 'density of m2');
  assert.equal(density[2]!.ci_low, null, 'a published figure has no counts to make an interval from');
  // Laws that read no accuracy say so.
  assert.ok(fits.filter((f) => f.fit.startsWith('ops_time') || f.fit.startsWith('memory')).every((f) => f.accuracy_basis === null));
});

test('one model without a published top-1: every law reads measured figures, and the never-measured model is left out', () => {
  const { fits, frontiers } = analyzeStudy(input([0.60, 0.72, null]));
  const time = frontiers.filter((f) => f.frontier === 'top1_vs_time');
  assert.deepEqual(time.map((r) => [r.model_id, r.top1, r.accuracy_basis]), [['m0', 0.66, 'measured_sample'], ['m1', 0.80, 'measured_sample']]);
  assert.ok(frontiers.every((f) => f.accuracy_basis === 'measured_sample'));
  const a = fits.find((f) => f.fit === 'accuracy_time_hyperbolic' && f.param === 'A')!;
  assert.equal(a.accuracy_basis, 'measured_sample');
  assert.match(a.note!, /no published top-1 for m2/);
  // A measured density has the Wilson interval of its top-1 over the parameters: 858 of 1,300 for m0.
  const d = fits.find((f) => f.fit === 'accuracy_density' && f.model_id === 'm0')!;
  const w = wilsonInterval(858, 1300)!;
  close(d.ci_low, w.low / 5, 1e-12, 'density low');
  close(d.ci_high, w.high / 5, 1e-12, 'density high');
});
