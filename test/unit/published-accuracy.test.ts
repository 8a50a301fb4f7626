import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { queryParquet } from '../helpers/duckdb.js';
import { DEFAULT_MODELS, writeSyntheticStudy } from '../helpers/synthetic-study.js';

test('random-weight models: never in accuracy.parquet, in the accuracy frontiers with their published top-1', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-published-'));
  await writeSyntheticStudy(out, { randomWeights: ['mobile-net'] });
  const models = await queryParquet<{ model_id: string; weights: string; published_top1: number }>(
    `select model_id, weights, published_top1 from '${out}/models.parquet' order by model_id`);
  assert.equal(models.find((m) => m.model_id === 'mobile-net')!.weights, 'random');
  assert.equal(models.find((m) => m.model_id === 'res-net')!.weights, 'pretrained');
  const measured = await queryParquet<{ n: bigint }>(`select count(*) n from '${out}/accuracy.parquet' where model_id = 'mobile-net'`);
  assert.equal(Number(measured[0]!.n), 0);
  const published = DEFAULT_MODELS.find((m) => m.id === 'mobile-net')!.top1;
  const points = await queryParquet<{ device: string; top1: number }>(
    `select distinct device, top1 from '${out}/frontiers.parquet' where model_id = 'mobile-net' and frontier = 'top1_vs_gflops' order by device`);
  assert.deepEqual(points.map((p) => [p.device, p.top1]), [['cpu-test', published], ['gpu-test', published]]);
});
