import assert from 'node:assert/strict';
import { readFile, stat, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server.js';
import { KIT, ROOT, runCli, type CliRun } from '../helpers/cli.js';
import { referenceAccuracy } from '../helpers/reference.js';
import { queryParquet } from '../helpers/duckdb.js';

// The quick preset's models, timed briefly: this test checks the pipeline, not the machine.
const MODELS = ['squeezenet1.1_caffe2_fp16_winml', 'mobilenetv2-12-int8'];
const QUEUE = 'cpu-x86_64';

let work: string;
let first: CliRun;
let out: string;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-it-'));
  out = path.join(work, 'results');
  await writeFile(path.join(work, 'study.yaml'), [
    'id: it-quick',
    `models: [${MODELS.join(', ')}]`,
    `devices: [{ queue: ${QUEUE}, accuracy: true }]`,
    'batchSizes: [1, 2, 4]',
    'timing: { warmupRuns: 2, warmupSeconds: 0, minRuns: 5, minSeconds: 0.2, minRepetitions: 2, maxRepetitions: 2 }',
    `dataset: { kit: ${KIT} }`,
  ].join('\n'));
  // No TEMPORAL_ADDRESS: the CLI starts its own dev server (db under DNNBENCH_DATA) and worker.
  first = await runCli(['study', '--config', path.join(work, 'study.yaml'), '--out', out, '--port', String(await freePort())],
    { TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(work, 'data') });
});

test('the study runs end to end on an embedded dev server', () => {
  assert.equal(first.code, 0, `exit ${first.code}\n${first.stderr}\n${first.stdout}`);
  assert.match(first.stderr, /temporal dev server on 127\.0\.0\.1:\d+/);
  assert.match(first.stdout, /study it-quick done/);
});

test('models.parquet: params and file size of each model', async () => {
  const rows = await queryParquet<{ model_id: string; params: bigint; file_bytes: bigint; macs: bigint }>(
    `select model_id, params, file_bytes, macs from '${out}/models.parquet' order by model_id`);
  assert.deepEqual(rows.map((r) => r.model_id), [...MODELS].sort());
  for (const r of rows) {
    const file = path.join(KIT, 'models', `${r.model_id}.onnx`);
    assert.equal(Number(r.file_bytes), (await stat(file)).size);
    assert.ok(Number(r.params) > 1e6 && Number(r.params) < 5e6, `${r.model_id}: ${r.params} params`);
    assert.ok(Number(r.macs) > 1e8, `${r.model_id}: ${r.macs} MACs`);
  }
});

test('accuracy.parquet: top-1/top-5 on all 1300 kit images, close to an independent Python/PIL reference', async () => {
  const catalog = JSON.parse(await readFile(path.join(ROOT, 'data/catalog.json'), 'utf8')) as { models: { id: string; preprocessing: unknown; output: unknown }[] };
  const rows = await queryParquet<{ model_id: string; device: string; n_images: number; top1: number; top5: number }>(
    `select model_id, device, n_images, top1, top5 from '${out}/accuracy.parquet' order by model_id`);
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.equal(r.device, QUEUE);
    assert.equal(Number(r.n_images), 1300);
    assert.ok(r.top1 > 0 && r.top1 <= r.top5 && r.top5 <= 1);
    const entry = catalog.models.find((m) => m.id === r.model_id)!;
    const ref = await referenceAccuracy({ kit: KIT, model: path.join(KIT, 'models', `${r.model_id}.onnx`), preprocessing: entry.preprocessing, output: entry.output });
    assert.equal(ref.n, 1300);
    // libvips and PIL upsample the kit's 227x227 images to 256 slightly differently (docs/ACCURACY.md):
    // a few borderline images flip, about a point at most.
    assert.ok(Math.abs(r.top1 - ref.top1) < 0.015, `${r.model_id}: top1 ${r.top1} vs reference ${ref.top1}`);
    assert.ok(Math.abs(r.top5 - ref.top5) < 0.015, `${r.model_id}: top5 ${r.top5} vs reference ${ref.top5}`);
  }
});

test('latency.parquet: one ok row per model and batch, consistent with the raw samples', async () => {
  const rows = await queryParquet<{ model_id: string; batch_size: number; status: string; p50_ms: number; images_per_s: number; runs: number; rebatched: boolean; round_adjustment: number }>(
    `select model_id, batch_size, status, p50_ms, images_per_s, runs, rebatched, round_adjustment from '${out}/latency.parquet' order by model_id, batch_size`);
  assert.equal(rows.length, 6);
  for (const r of rows) {
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.ok(r.p50_ms > 0);
    assert.ok(Math.abs(r.images_per_s - (r.batch_size * 1000) / r.p50_ms) < 1e-6 * r.images_per_s);
    assert.ok(Number(r.runs) >= 5);
    // The WinML SqueezeNet has a fixed batch of 1: batches 2 and 4 run on a re-batched copy.
    assert.equal(r.rebatched, r.model_id === 'squeezenet1.1_caffe2_fp16_winml' && r.batch_size > 1);
  }
  const samples = await queryParquet<{ model_id: string; batch_size: number; n: bigint; median: number }>(
    `select model_id, batch_size, count(*) n, median(latency_ms) median from '${out}/latency_samples.parquet' group by all order by all`);
  samples.forEach((s, i) => {
    assert.equal(Number(s.n), Number(rows[i]!.runs));
    // The p50 is the raw runs' median put at the host's average speed over the rounds (docs/TIMING.md).
    const factor = rows[i]!.round_adjustment;
    assert.ok(factor > 0.8 && factor < 1.25, `round_adjustment ${factor}`);
    assert.ok(Math.abs(s.median * factor - rows[i]!.p50_ms) < 1e-9 * rows[i]!.p50_ms, 'p50 is the median of the raw samples times round_adjustment');
  });
});

test('running the same study again returns at once without recomputing', async () => {
  const before = (await stat(path.join(out, 'latency.parquet'))).mtimeMs;
  const again = await runCli(['study', '--config', path.join(work, 'study.yaml'), '--out', out, '--port', String(await freePort())],
    { TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(work, 'data') });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already finished/);
  assert.equal((await stat(path.join(out, 'latency.parquet'))).mtimeMs, before);
  assert.ok(again.seconds < first.seconds, `re-run took ${again.seconds}s, first run ${first.seconds}s`);
});

after(() => {
  process.stderr.write(`quick study (reduced timing) took ${first?.seconds.toFixed(1)}s\n`);
});
