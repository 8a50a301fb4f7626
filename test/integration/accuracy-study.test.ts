/**
 * Accuracy through the real CLI on an embedded dev server: the fixed-batch WinML SqueezeNet runs
 * at the spec's batch through its re-batched copy, and the per-image predictions agree with
 * accuracy.parquet, read back by DuckDB.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server.js';
import { KIT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

const MODELS = ['squeezenet1.1_caffe2_fp16_winml', 'squeezenet1.0_tflite2018_opset13'];

test('fixed-batch model at the spec batch via its re-batched copy; predictions agree with accuracy.parquet', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-acc-study-'));
  try {
    const out = path.join(work, 'out');
    await writeFile(path.join(work, 'study.yaml'), [
      'id: acc-study', `models: [${MODELS.join(', ')}]`, 'devices: [{ queue: cpu-acc, accuracy: true }]', 'batchSizes: [1]',
      'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 2, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2 }', `dataset: { kit: ${KIT}, limit: 100 }`, 'accuracyBatchSize: 16',
    ].join('\n'));
    const run = await runCli(['study', '--config', path.join(work, 'study.yaml'), '--out', out, '--port', String(await freePort())],
      { TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(work, 'data') });
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);

    const acc = await queryParquet<{ model_id: string; n_images: number; top1: number; top5: number; batch_size: number; rebatched: boolean; n_non_finite: number; resumed_from_shard: number }>(
      `select model_id, n_images, top1, top5, batch_size, rebatched, n_non_finite, resumed_from_shard from '${out}/accuracy.parquet' order by model_id`);
    assert.deepEqual(acc.map((r) => [r.model_id, r.batch_size, r.rebatched, r.n_non_finite, r.resumed_from_shard]), [
      ['squeezenet1.0_tflite2018_opset13', 16, false, 0, 0], // batch already dynamic
      ['squeezenet1.1_caffe2_fp16_winml', 16, true, 0, 0], // fixed at 1 in the file
    ]);
    const pred = await queryParquet<{ model_id: string; device: string; n: bigint; top1: number; top5: number; ids: bigint; distinct5: bigint; probs_ok: bigint }>(`
      select model_id, any_value(device) device, count(*) n, avg(correct_at_1::int) top1, avg(correct_at_5::int) top5,
        count(distinct image_id) ids,
        sum((len(top5_ids) = 5 and list_distinct(top5_ids).len() = 5 and top5_ids[1] between 0 and 999)::int) distinct5,
        sum((top5_probs[1] >= top5_probs[5] and top5_probs[1] <= 1 and top5_probs[5] >= 0)::int) probs_ok
      from '${out}/predictions/*/*/*.parquet' group by model_id order by model_id`);
    assert.equal(pred.length, 2);
    pred.forEach((p, i) => {
      const a = acc[i]!;
      assert.equal(p.model_id, a.model_id);
      assert.equal(p.device, 'cpu-acc');
      assert.equal(Number(p.n), 100);
      assert.equal(Number(p.ids), 100);
      assert.equal(Number(p.distinct5), 100, 'five distinct class ids per image');
      assert.equal(Number(p.probs_ok), 100, 'probabilities in [0,1], best first');
      assert.ok(Math.abs(p.top1 - a.top1) < 1e-12 && Math.abs(p.top5 - a.top5) < 1e-12, `${p.model_id}: predictions ${p.top1}/${p.top5} vs table ${a.top1}/${a.top5}`);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
