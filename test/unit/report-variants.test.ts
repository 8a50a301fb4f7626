/**
 * The report's variants figure and table, and `dnnbench compare <study>`'s text, on a small study
 * built by hand: which rows they show, in which order, and what each row takes from latency,
 * accuracy and variants tables.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { variantsText } from '../../src/cli/variants-compare.js';
import type { StudyData } from '../../src/report/load-study.js';
import { renderSvg } from '../../src/report/render-svg.js';
import { variantPoints, variantsChart, variantsTable } from '../../src/report/variants-figure.js';

type Latency = StudyData['latency'][number];
type Variant = StudyData['all']['variants'][number];

const model = (id: string, variantOf: string | null, recipe: string | null, weightBytes: number) =>
  ({ model_id: id, architecture: null, variant_of: variantOf, recipe, weight_bytes: weightBytes }) as unknown as StudyData['models'][number];

const cell = (id: string, variant: string, batch: number, p50: number, rss: number): Latency => ({
  model_id: id, device: 'cpu', batch_size: batch, status: 'ok', variant, p50_ms: p50, p50_ci_low_ms: p50 * 0.98, p50_ci_high_ms: p50 * 1.03,
  images_per_s: (1000 * batch) / p50, per_image_ms: p50 / batch, rss_peak_bytes: rss, stability: 'stable', stability_reason: 'ok', precision: 'fp32',
}) as unknown as Latency;

const pair = (over: Partial<Variant>): Variant => ({
  device: 'cpu', model_id: 'P.int8-static', variant: 't2', parent_model_id: 'P', parent_variant: 't2', kind: 'precision', recipe: 'int8-static',
  precision: 'int8', parent_precision: 'fp32', speedup_b1: 3, speedup_b1_ci_low: 2.8, speedup_b1_ci_high: 3.2, speedup_b1_significant: true,
  best_batch: 4, parent_best_batch: 4, best_images_per_s: 400, parent_best_images_per_s: 120, speedup_best: 3.3, speedup_best_ci_low: 3.1,
  speedup_best_ci_high: 3.5, speedup_best_significant: true, timing_stability: 'stable', n_images: 1000, calibration_excluded: 0, accuracy_note: null,
  top1: 0.79, parent_top1: 0.8, top1_delta: -0.01, top1_delta_ci_low: -0.02, top1_delta_ci_high: 0.001, top1_mcnemar_p: 0.07,
  top1_only_parent: 20, top1_only_variant: 10, top5: 0.95, parent_top5: 0.95, top5_delta: 0, top5_delta_ci_low: -0.005, top5_delta_ci_high: 0.005,
  top5_mcnemar_p: 1, top5_only_parent: 3, top5_only_variant: 3, top1_agreement: 0.97, weight_bytes: 25, parent_weight_bytes: 100,
  weight_bytes_ratio: 0.25, rss_peak_ratio_b1: 0.5, cpu_simd_flags: ['avx2'], ...over,
}) as Variant;

function studyOf(): StudyData {
  const models = [model('P', null, null, 100e6), model('P.int8-static', 'P', 'int8-static', 25e6), model('Q', null, null, 5e6)];
  const latency = [
    cell('P', 't2', 1, 40, 300e6), cell('P', 't2', 4, 120, 400e6), cell('P', 't1', 1, 70, 290e6),
    cell('P.int8-static', 't1', 1, 25, 150e6), cell('P.int8-static', 't2', 1, 13, 150e6), cell('P.int8-static', 't2', 4, 40, 160e6),
    cell('Q', 't2', 1, 5, 50e6),
  ];
  const accuracy = [{ model_id: 'P', device: 'cpu', top1: 0.8, n_images: 1000 }, { model_id: 'P.int8-static', device: 'cpu', top1: 0.79, n_images: 1000 }] as StudyData['accuracy'];
  const variants = [pair({}), pair({ variant: 't1', parent_variant: 't1', speedup_b1: 2.8 }),
    pair({ model_id: 'P', variant: 't1', parent_variant: 't2', kind: 'runtime', recipe: 'threads=1', top1: null, top1_delta: null, accuracy_note: 'runtime variant' })];
  const spec = JSON.stringify({ devices: [{ queue: 'cpu', variants: [{ name: 't2', threads: 2 }, { name: 't1', threads: 1 }] }] });
  return {
    dir: '/x', study: { spec_json: spec } as StudyData['study'], models, devices: [], accuracy, latency, fits: [], frontiers: [],
    all: { models, accuracy, latency, variants },
  };
}

test('variantPoints: every model at each runtime variant, parent first and the reference runtime first, with its own accuracy change', () => {
  const pts = variantPoints(studyOf(), 'cpu');
  assert.deepEqual(pts.map((p) => `${p.label}@${p.runtime_variant}`), ['P · fp32@t2', 'P · fp32@t1', 'P · int8-static@t2', 'P · int8-static@t1', 'Q · fp32@t2']);
  const [parent, , variant, variantT1] = pts;
  assert.equal(parent!.top1_delta_pts, 0);
  assert.equal(parent!.speedup_b1, null);
  assert.equal(variant!.p50_b1_ms, 13);
  assert.equal(variant!.speedup_b1, 3);
  assert.equal(variantT1!.speedup_b1, 2.8);
  assert.equal(variant!.best_batch, 4);
  assert.equal(variant!.best_images_per_s, 100);
  assert.ok(Math.abs(variant!.top1_delta_pts! - -1) < 1e-12);
  assert.ok(Math.abs(variant!.top1_delta_ci_high_pts! - 0.1) < 1e-12);
  assert.equal(variant!.rss_peak_b1_mb, 150);
  assert.equal(variant!.weight_mb, 25);
  assert.equal(variant!.reference_runtime, true);
  assert.equal(variantT1!.reference_runtime, false);
});

test('no variants, one runtime: no rows (and so no figure)', () => {
  const s = studyOf();
  const models = s.all.models.filter((m) => m.variant_of === null);
  const latency = s.all.latency.filter((l) => l.model_id !== 'P.int8-static' && l.variant === 't2');
  const plain = { ...s, study: null, all: { ...s.all, models, latency, variants: [] } };
  assert.deepEqual(variantPoints(plain, 'cpu'), []);
});

test('the figure renders, its accuracy panel has the evaluated rows at the reference runtime only, and the table shows the interval and the test', async () => {
  const pts = variantPoints(studyOf(), 'cpu');
  const chart = variantsChart('cpu', pts);
  const svg = await renderSvg(chart.spec);
  assert.match(svg, /^<svg/);
  assert.match(svg, /P · int8-static/);
  assert.match(chart.caption, /1 variants evaluated/);
  const t = variantsTable('cpu', pts);
  const row = t.rows.find((r) => r.model === 'P · int8-static' && r['runtime variant'] === 't2')!;
  const change = row['top-1 change (pts)'] as { text: string; title: string };
  assert.equal(change.text, '-1.00 [-2.00, +0.10]');
  assert.match(change.title, /McNemar p = 0\.07\b/);
  assert.equal((row['speed-up b1 vs parent'] as { text: string }).text, '3.00× [2.80, 3.20]');
});

test('compare with one study: each variant against what it varies, verdict only where the interval excludes 1', () => {
  const rows = studyOf().all.variants;
  const text = variantsText([...rows, pair({ model_id: 'P.fp16', recipe: 'fp16', speedup_b1: 1.01, speedup_b1_ci_low: 0.97, speedup_b1_ci_high: 1.05, speedup_b1_significant: false })]);
  const lines = text.split('\n');
  assert.match(lines.find((l) => l.startsWith('P.int8-static@t2'))!, /3\.00× \[2\.80–3\.20\] faster.*-1\.00 \[-2\.00, \+0\.10\] p=0\.070/);
  assert.match(lines.find((l) => l.startsWith('P.fp16@t2'))!, /1\.01× \[0\.97–1\.05\] ~/);
  assert.match(lines.find((l) => l.startsWith('P@t1'))!, /P@t2.*\(the model's\)/);
});
