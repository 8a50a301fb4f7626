/**
 * An accuracy pass in a process of its own (src/accuracy/accuracy-process.ts): a real kit model on
 * real crops gives in the child exactly what the same pass gives in this process (counts, top-1,
 * top-5, per-image predictions), its shard and batch beats come back with their progress, and an
 * input error in the child stays an input error (non-retryable) in the parent.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { evaluateAccuracyInProcess } from '../../src/accuracy/accuracy-process.js';
import { evaluateAccuracy, type AccuracyProgress } from '../../src/accuracy/evaluate-accuracy.js';
import { prepareDataset, type DatasetManifest } from '../../src/prepare/prepare.js';
import { kitImages } from '../../src/prepare/kit.js';
import { onnxruntime } from '../../src/runtime/onnxruntime.js';
import { resolveModel, type ResolvedModel } from '../../src/study/catalog.js';
import { KIT } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

let work: string;
let dataset: { dir: string; manifest: DatasetManifest };
let model: ResolvedModel;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-accuracy-process-'));
  dataset = await prepareDataset({
    images: await kitImages(KIT, 'val_227', 40), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear', labelSource: 'kit',
    cacheRoot: path.join(work, 'ds'), shardSize: 16,
  });
  model = await resolveModel('squeezenet1.1_zoo-weights_opset13', KIT);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const request = (predictions: string) => ({
  model, datasetDir: dataset.dir, manifest: dataset.manifest, batchSize: 8, session: { provider: 'cpu' as const, threads: 1 },
  predictions: { dir: path.join(work, predictions), device: 'cpu' },
});

test('in its own process, a pass gives what it gives in this one, and beats with its progress', async () => {
  const shards: AccuracyProgress[] = [];
  let batches = 0;
  const child = await evaluateAccuracyInProcess({ ...request('child'), runtimeId: 'onnxruntime' }, {
    shardDone: (p) => shards.push(p), batchDone: () => { batches++; },
  });
  const here = await evaluateAccuracy({ ...request('here'), runtime: onnxruntime });
  assert.equal(child.n, 40);
  assert.deepEqual([child.n, child.correct1, child.correct5, child.top1, child.top5], [here.n, here.correct1, here.correct5, here.top1, here.top5]);
  assert.equal(shards.length, dataset.manifest.shards.length);
  assert.deepEqual(shards.map((s) => s.nextShard), dataset.manifest.shards.map((_, i) => i + 1));
  assert.equal(shards.at(-1)!.n, 40);
  assert.ok(batches >= 5, `${batches} batch beats for 40 images at batch 8`);
  // The predictions the child wrote, read back by DuckDB, are the ones written here.
  const read = (dir: string) => queryParquet<{ image_id: string; top5_ids: number[] }>(
    `select image_id, top5_ids from '${path.join(work, dir)}/*.parquet' order by image_id`);
  assert.deepEqual(await read('child'), await read('here'));
});

test('an input error in the child reaches the parent as one: its message, and non-retryable', async () => {
  const wrong = { ...model, preprocessing: { ...model.preprocessing, crop: 227 } };
  await assert.rejects(evaluateAccuracyInProcess({ ...request('wrong'), model: wrong, runtimeId: 'onnxruntime' }, {}), (err: Error & { nonRetryable?: boolean }) => {
    assert.match(err.message, /geometry 256\/224, model squeezenet1\.1_zoo-weights_opset13 needs 256\/227/);
    assert.equal(err.name, 'InputError');
    assert.equal(err.nonRetryable, true);
    return true;
  });
});
