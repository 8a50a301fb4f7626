/**
 * variants.parquet's rows from hand-built cells whose answers are known by construction: which
 * pairs are made (precision variant vs parent at the same runtime variant; runtime variant vs the
 * device's reference), speed-ups as plain ratios of the p50s, the paired accuracy counted by hand,
 * calibration images left out, and the papers' laws keeping one point per model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageOutcome } from '../../src/accuracy/predictions.js';
import { lawInputs, lawOptionsOf } from '../../src/analysis/law-inputs.js';
import { variantTables, type VariantInputs } from '../../src/analysis/variant-tables.js';
import type { DeviceCell, LatencyCell, ModelCell, RepetitionCell } from '../../src/results/cell-types.js';

const model = (id: string, extra: Partial<ModelCell> = {}): ModelCell => ({
  model_id: id, architecture: null, path: `/m/${id}.onnx`, file_bytes: 1000, params: 250, weight_bytes: 1000, macs: 1, flops: 2, traffic_bytes: 1,
  arithmetic_intensity: 1, largest_activation_bytes: 1, peak_live_activation_bytes: 1, uncounted_ops: [], opset: 17, input_name: 'x',
  input_dtype: 'float32', input_shape: '[N,3,224,224]', fixed_batch: null, resize: 256, crop: 224, num_classes: 1000, preprocessing: '{}',
  preprocessing_source: 'catalog', published_top1: null, published_top5: null, weights: 'pretrained', by_op_type: {}, ...extra,
});

/** A cell whose repetitions all measured `p50`: a repetition spread of ±1% around it. */
const cell = (id: string, batch: number, p50: number, variant: string | null, precision = 'fp32'): LatencyCell => ({
  model_id: id, device: 'cpu', batch_size: batch, status: 'ok', error: null, provider: 'cpu', precision, rebatched: false, worker: 'w',
  p50_ms: p50, images_per_s: (1000 * batch) / p50, rss_peak_bytes: 100e6 * (precision === 'int8' ? 0.5 : 1), stability: 'stable', repetitions: 3,
  ...(variant ? { variant } : {}),
});
const reps = (l: LatencyCell): RepetitionCell[] => [0.99, 1, 1.01].map((f, i) => ({
  model_id: l.model_id, device: l.device, batch_size: l.batch_size, ...(l.variant ? { variant: l.variant } : {}), repetition: i, round: i,
  worker: 'w', started_at: 0, discarded: false, discard_reasons: [], p50_ms: l.p50_ms! * f, runs: 5, warmup_runs: 1, warmup_reason: 'steady',
  drift_rho: null, drift_change: null, seconds: 1, steal_fraction: 0, other_cores: 0, own_cores: 1, load_avg_start: 0, load_avg_end: 0,
  cpu_mhz_min: null, cpu_mhz_max: null, max_temperature_c: null, gpu_sm_mhz: null, gpu_memory_mhz: null, gpu_throttle_reasons: [],
  jetson_power_mode: null, jetson_gpu_mhz: null, host_notes: [], samples_ms: [], measurement: {},
}));
const device = { device: 'cpu', cpu_simd_flags: ['avx2', 'avx512_vnni'] } as DeviceCell;

/** 100 images: parent right on 0..79, variant right on 0..74 and 90..92: b = 5 only the parent, c = 3 only the variant. */
function outcomes(which: 'parent' | 'variant'): ImageOutcome[] {
  return Array.from({ length: 100 }, (_, i) => {
    const right = which === 'parent' ? i < 80 : i < 75 || (i >= 90 && i < 93);
    return { image_id: `img${String(i).padStart(3, '0')}`, top1_id: right ? 7 : which === 'parent' ? 1 : 2, correct_at_1: right, correct_at_5: right || i < 95 };
  });
}

function inputs(extra: Partial<VariantInputs> = {}): VariantInputs {
  const latency = [
    cell('net', 1, 10, 't2'), cell('net', 4, 30, 't2'), cell('net', 1, 16, 't1'), cell('net', 4, 52, 't1'),
    cell('net.int8-static', 1, 5, 't2', 'int8'), cell('net.int8-static', 4, 12, 't2', 'int8'),
    cell('net.int8-static', 1, 8, 't1', 'int8'), cell('net.int8-static', 4, 24, 't1', 'int8'),
  ];
  return {
    models: [model('net'), model('net.int8-static', { variant_of: 'net', recipe: 'int8-static', weight_bytes: 260 })],
    devices: [device], latency, repetitions: latency.flatMap(reps),
    runtimeVariants: new Map([['cpu', [{ name: 't2', threads: 2 }, { name: 't1', threads: 1 }]]]),
    outcomes: async (id) => outcomes(id === 'net' ? 'parent' : 'variant'),
    ...extra,
  };
}

test('a precision variant is set against its parent at each runtime variant, a runtime variant against the reference', async () => {
  const rows = await variantTables(inputs());
  const key = (r: (typeof rows)[number]) => `${r.kind} ${r.model_id}@${r.variant} vs ${r.parent_model_id}@${r.parent_variant}`;
  assert.deepEqual(rows.map(key).sort(), [
    'precision net.int8-static@t1 vs net@t1',
    'precision net.int8-static@t2 vs net@t2',
    'runtime net.int8-static@t1 vs net.int8-static@t2',
    'runtime net@t1 vs net@t2',
  ]);
  const int8t2 = rows.find((r) => r.kind === 'precision' && r.variant === 't2')!;
  assert.equal(int8t2.speedup_b1, 10 / 5);
  // Best batch: 4 for both (400/12 vs 400/30 images/s), so the throughput ratio is 30/12.
  assert.equal(int8t2.best_batch, 4);
  assert.ok(Math.abs(int8t2.speedup_best! - 30 / 12) < 1e-12);
  assert.ok(int8t2.speedup_b1_ci_low! < 2 && int8t2.speedup_b1_ci_high! > 2 && int8t2.speedup_b1_significant === true);
  assert.equal(int8t2.weight_bytes_ratio, 0.26);
  assert.equal(int8t2.rss_peak_ratio_b1, 0.5);
  assert.deepEqual(int8t2.cpu_simd_flags, ['avx2', 'avx512_vnni']);
  assert.equal(int8t2.timing_stability, 'stable');
  const runtime = rows.find((r) => r.kind === 'runtime' && r.model_id === 'net')!;
  assert.equal(runtime.speedup_b1, 10 / 16);
  assert.equal(runtime.recipe, 'threads=1');
  assert.equal(runtime.top1, null);
  assert.match(runtime.accuracy_note!, /runtime variant/);
});

test('the accuracy cost is paired on the same images: discordant counts, delta and agreement as counted by hand', async () => {
  const row = (await variantTables(inputs())).find((r) => r.kind === 'precision' && r.variant === 't2')!;
  assert.equal(row.n_images, 100);
  assert.equal(row.parent_top1, 0.8);
  assert.equal(row.top1, 0.78);
  assert.ok(Math.abs(row.top1_delta! - -0.02) < 1e-12);
  assert.equal(row.top1_only_parent, 5);
  assert.equal(row.top1_only_variant, 3);
  // Exact McNemar on 5 vs 3: 2 · P(X ≤ 3 | n = 8, p = ½) = 2 · 93/256.
  assert.ok(Math.abs(row.top1_mcnemar_p! - (2 * 93) / 256) < 1e-12);
  assert.ok(row.top1_delta_ci_low! < -0.02 && row.top1_delta_ci_high! > -0.02);
  // The same top-1 class only on the 75 both got right: wherever either is wrong the classes differ (7, 1, 2).
  assert.equal(row.top1_agreement, 0.75);
});

test('an int8-static variant\'s calibration images are left out of both sides', async () => {
  const calibration = Array.from({ length: 10 }, (_, i) => `img${String(90 + i).padStart(3, '0')}`);
  const base = inputs();
  const withCalibration = { ...base, models: [base.models[0]!, { ...base.models[1]!, calibration_image_ids: calibration }] };
  const row = (await variantTables(withCalibration)).find((r) => r.kind === 'precision' && r.variant === 't2')!;
  assert.equal(row.n_images, 90);
  assert.equal(row.calibration_excluded, 10);
  // Images 90..92 were the variant's only wins: gone with the calibration set.
  assert.equal(row.top1_only_variant, 0);
  assert.equal(row.top1_only_parent, 5);
});

test('random weights and missing predictions leave the accuracy columns null, saying why', async () => {
  const random = inputs();
  random.models = random.models.map((m) => ({ ...m, weights: 'random' as const }));
  const r = (await variantTables(random)).find((x) => x.kind === 'precision')!;
  assert.equal(r.top1, null);
  assert.match(r.accuracy_note!, /random weights/);
  const none = (await variantTables(inputs({ outcomes: async () => [] }))).find((x) => x.kind === 'precision')!;
  assert.equal(none.n_images, null);
  assert.match(none.accuracy_note!, /no per-image predictions/);
});

test('the papers\' laws keep one point per model: parents only, at the reference runtime variant', () => {
  const i = inputs();
  const kept = lawInputs({ models: i.models, accuracy: [], latency: i.latency }, i.runtimeVariants);
  assert.deepEqual(kept.models.map((m) => m.model_id), ['net']);
  assert.deepEqual(kept.latency.map((l) => `${l.model_id} b${l.batch_size}@${l.variant}`), ['net b1@t2', 'net b4@t2']);
  // A device without variants keeps its (variant-less) rows.
  const plain = lawInputs({ models: [model('a')], accuracy: [], latency: [cell('a', 1, 3, null)] }, new Map());
  assert.equal(plain.latency.length, 1);
});

test('asked (laws.precisionVariants), the laws take precision variants as models of their own, still at the reference runtime variant', () => {
  const i = inputs();
  const options = lawOptionsOf(JSON.stringify({ laws: { precisionVariants: true } }));
  const kept = lawInputs({ models: i.models, accuracy: [], latency: i.latency }, i.runtimeVariants, options);
  assert.deepEqual(kept.models.map((m) => m.model_id), ['net', 'net.int8-static']);
  assert.deepEqual(kept.latency.map((l) => `${l.model_id} b${l.batch_size}@${l.variant}`).sort(),
    ['net b1@t2', 'net b4@t2', 'net.int8-static b1@t2', 'net.int8-static b4@t2']);
  assert.deepEqual(lawOptionsOf(JSON.stringify({ models: [] })), { precisionVariants: false });
});

test('a speed-up at different best batches is judged on the throughput ratio, not on the p50s of two batch sizes', async () => {
  // The variant's best is batch 4 (4 images in 40 ms), the parent's batch 1 (1 in 10 ms): the same throughput.
  const latency = [cell('net', 1, 10, null), cell('net', 4, 44, null), cell('net.fp16', 1, 11, null, 'fp16'), cell('net.fp16', 4, 40, null, 'fp16')];
  const rows = await variantTables(inputs({
    models: [model('net'), model('net.fp16', { variant_of: 'net', recipe: 'fp16' })], latency, repetitions: latency.flatMap(reps), runtimeVariants: new Map(),
  }));
  const row = rows.find((r) => r.model_id === 'net.fp16')!;
  assert.deepEqual([row.best_batch, row.parent_best_batch], [4, 1]);
  assert.ok(Math.abs(row.speedup_best! - 1) < 1e-12);
  assert.ok(row.speedup_best_ci_low! < 1 && row.speedup_best_ci_high! > 1);
  assert.equal(row.speedup_best_significant, false);
});
