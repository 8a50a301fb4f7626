/**
 * Variants end to end through the real CLI: tools/variants makes an int8-static copy of the kit's
 * SqueezeNet 1.1 (calibrated on the kit's last 200 images); a study times parent and variant on a
 * device with two runtime variants (2 threads, and 1 thread without spinning or the CPU memory arena), evaluates both on
 * the first 100 images, and writes variants.parquet, read back by DuckDB. The variant's accuracy is
 * checked against Python onnxruntime on the same file and images (scripts/python/reference_accuracy.py),
 * and the paired counts against the per-image predictions joined by DuckDB.
 *
 * The variants venv (onnx, onnxruntime, onnxconverter-common) is created once by
 * scripts/variants-venv.sh (CI does it in .ci/run); if it cannot be created, this test is skipped
 * with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server.js';
import { KIT, ROOT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';
import { referenceAccuracy } from '../helpers/reference.js';

const run = promisify(execFile);
const PARENT = 'squeezenet1.1_zoo-weights_opset13';
const VARIANT = `${PARENT}.int8-static`;

async function variantsPython(): Promise<{ python?: string; skip?: string }> {
  try {
    const { stdout } = await run('bash', [path.join(ROOT, 'scripts/variants-venv.sh')], { maxBuffer: 1 << 22, timeout: 15 * 60_000 });
    return { python: stdout.trim().split('\n').pop()! };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { skip: `the variants venv could not be created (scripts/variants-venv.sh): ${(e.stderr || e.message).trim().split('\n').slice(-2).join(' ')}` };
  }
}

const venv = await variantsPython();
if (venv.skip) console.log(`# SKIP variants study: ${venv.skip}`);
const skip = venv.skip ?? false;

let work: string;
let out: string;
let data: string;

before(async () => {
  if (skip) return;
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-variants-'));
  out = path.join(work, 'out');
  data = path.join(work, 'data');
  await run(venv.python!, [path.join(ROOT, 'tools/variants/make_variants.py'), '--model', PARENT, '--recipe', 'int8-static', '--kit', KIT],
    { env: { ...process.env, DNNBENCH_DATA: data }, maxBuffer: 1 << 22, timeout: 10 * 60_000 });
  await writeFile(path.join(work, 'study.yaml'), [
    'id: variants-it', `models: [${PARENT}, ${VARIANT}]`,
    'devices: [{ queue: cpu-var, accuracy: true, variants: [{ name: t2, threads: 2 }, { name: t1, threads: 1, spinning: false, cpuMemArena: false }] }]',
    'batchSizes: [1, 2]',
    // Other test files run beside this one: the host is busy by design, so nothing is discarded for it.
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2, noise: { discard: false }, reason: "a test" }',
    `dataset: { kit: ${KIT}, limit: 100 }`, 'accuracyBatchSize: 16',
  ].join('\n'));
  const study = await runCli(['study', '--config', path.join(work, 'study.yaml'), '--out', out, '--port', String(await freePort())],
    { TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: data });
  assert.equal(study.code, 0, `${study.stderr}\n${study.stdout}`);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('every latency cell is timed once per runtime variant, with that variant\'s threads, in every latency table', { skip }, async () => {
  const rows = await queryParquet<{ model_id: string; variant: string; batch_size: number; threads: number; status: string }>(
    `select model_id, variant, batch_size, threads, status from '${out}/latency.parquet' order by all`);
  assert.deepEqual(rows.map((r) => `${r.model_id} ${r.variant} b${r.batch_size} ${r.threads} ${r.status}`), [
    `${PARENT} t1 b1 1 ok`, `${PARENT} t1 b2 1 ok`, `${PARENT} t2 b1 2 ok`, `${PARENT} t2 b2 2 ok`,
    `${VARIANT} t1 b1 1 ok`, `${VARIANT} t1 b2 1 ok`, `${VARIANT} t2 b1 2 ok`, `${VARIANT} t2 b2 2 ok`,
  ]);
  const [reps] = await queryParquet<{ n: bigint; variants: bigint }>(
    `select count(*) n, count(distinct model_id || variant || batch_size) variants from '${out}/latency_repetitions.parquet' where variant is not null`);
  assert.equal(Number(reps!.variants), 8, 'repetitions of all 8 cells carry their variant');
  const [samples] = await queryParquet<{ unlabelled: bigint }>(`select count(*) filter (where variant is null) unlabelled from '${out}/latency_samples.parquet'`);
  assert.equal(Number(samples!.unlabelled), 0);
  const [model] = await queryParquet<{ variant_of: string; recipe: string; calibration_images: number }>(
    `select variant_of, recipe, calibration_images from '${out}/models.parquet' where model_id = '${VARIANT}'`);
  assert.deepEqual({ ...model, calibration_images: Number(model!.calibration_images) }, { variant_of: PARENT, recipe: 'int8-static', calibration_images: 200 });
});

test('variants.parquet: the int8-static copy against its parent at each runtime variant, paired on the same images', { skip }, async () => {
  const rows = await queryParquet<Record<string, unknown>>(`select * from '${out}/variants.parquet' order by kind, model_id, variant`);
  assert.deepEqual(rows.map((r) => `${r.kind} ${r.model_id}@${r.variant} vs ${r.parent_model_id}@${r.parent_variant}`), [
    `precision ${VARIANT}@t1 vs ${PARENT}@t1`, `precision ${VARIANT}@t2 vs ${PARENT}@t2`,
    `runtime ${PARENT}@t1 vs ${PARENT}@t2`, `runtime ${VARIANT}@t1 vs ${VARIANT}@t2`,
  ]);
  const acc = await queryParquet<{ model_id: string; top1: number; top5: number }>(`select model_id, top1, top5 from '${out}/accuracy.parquet'`);
  const top1 = (id: string) => acc.find((a) => a.model_id === id)!.top1;
  // The discordant images, counted by DuckDB from the per-image predictions.
  const [d] = await queryParquet<{ only_parent: bigint; only_variant: bigint; same_top1: bigint; n: bigint }>(`
    with p as (select image_id, correct_at_1 c, top5_ids[1] t from '${out}/predictions/*/*/*.parquet' where model_id = '${PARENT}'),
         v as (select image_id, correct_at_1 c, top5_ids[1] t from '${out}/predictions/*/*/*.parquet' where model_id = '${VARIANT}')
    select count(*) filter (where p.c and not v.c) only_parent, count(*) filter (where v.c and not p.c) only_variant,
           count(*) filter (where p.t = v.t) same_top1, count(*) n from p join v using (image_id)`);
  for (const r of rows.filter((x) => x.kind === 'precision')) {
    assert.equal(r.n_images, 100);
    assert.equal(r.calibration_excluded, 0, 'the first 100 images hold none of the last 200');
    assert.equal(r.top1, top1(VARIANT));
    assert.equal(r.parent_top1, top1(PARENT));
    assert.equal(r.top1_only_parent, Number(d!.only_parent));
    assert.equal(r.top1_only_variant, Number(d!.only_variant));
    assert.equal(r.top1_agreement, Number(d!.same_top1) / Number(d!.n));
    assert.ok((r.top1_delta_ci_low as number) <= (r.top1_delta as number) && (r.top1_delta as number) <= (r.top1_delta_ci_high as number));
    assert.ok((r.top1_mcnemar_p as number) > 0 && (r.top1_mcnemar_p as number) <= 1);
    assert.ok((r.weight_bytes_ratio as number) < 0.5, 'int8 weights are a quarter of fp32, plus scales');
    assert.ok((r.speedup_b1 as number) > 0 && (r.speedup_b1_ci_low as number) <= (r.speedup_b1 as number));
  }
  for (const r of rows.filter((x) => x.kind === 'runtime')) {
    assert.equal(r.recipe, 'threads=1 spinning=false cpuMemArena=false');
    assert.equal(r.top1, null);
  }
});

test('the int8-static variant\'s accuracy agrees with Python onnxruntime on the same file and images', { skip }, async () => {
  const sidecar = JSON.parse(await readFile(path.join(data, 'cache', 'models', `${VARIANT}.json`), 'utf8')) as { preprocessing: unknown; output: unknown };
  const ref = await referenceAccuracy({ kit: KIT, model: path.join(data, 'cache', 'models', `${VARIANT}.onnx`), preprocessing: sidecar.preprocessing, output: sidecar.output, limit: 100 });
  const [ours] = await queryParquet<{ n_images: number; top1: number; top5: number }>(`select n_images, top1, top5 from '${out}/accuracy.parquet' where model_id = '${VARIANT}'`);
  assert.equal(ref.n, 100);
  assert.equal(Number(ours!.n_images), 100);
  assert.ok(Math.abs(ours!.top1 - ref.top1) <= 0.01 && Math.abs(ours!.top5 - ref.top5) <= 0.01, `ours ${ours!.top1}/${ours!.top5} vs Python ${ref.top1}/${ref.top5}`);
});

test('the report keeps one point per model in the papers\' figures and lists every variants row', { skip }, async () => {
  const report = await runCli(['report', out]);
  assert.equal(report.code, 0, report.stderr);
  const html = await readFile(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /variants\.parquet: each variant against its parent/);
  // The latency-vs-batch figure's data: the parent alone (the variant is a variants.parquet row), once per batch.
  const csvDir = path.join(out, 'figures', 'cpu-var');
  const csv = 'time-vs-batch.csv';
  const text = await readFile(path.join(csvDir, csv), 'utf8');
  const rows = text.trim().split('\n').slice(1);
  assert.equal(rows.length, 2, `one point per batch size of the one parent model in ${csv}:\n${text}`);
  assert.ok(rows.every((r) => r.includes(PARENT) && !r.includes(VARIANT)));
});
