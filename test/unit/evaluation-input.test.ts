/**
 * The evaluation's input path: table-driven normalisation equals makeInput's bit for bit, and the
 * helper thread prepares and scores exactly as the calling thread does, errors included.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeShard } from '../../src/prepare/arrow-shards.js';
import { inThreadBatches, startBatchThread, type BatchStream, type EvaluationJob, type RunInput } from '../../src/accuracy/batch-stream.js';
import { fillInput, inputLut } from '../../src/inputs/input-lut.js';
import type { AccuracyProgress } from '../../src/accuracy/shard-scorer.js';
import { normaliseCrops, toFloat16Bits } from '../../src/inputs/normalise.js';
import type { Preprocessing } from '../../src/study/study-spec.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-eval-input-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
}

const PRESETS: Record<string, Preprocessing> = {
  torchvision: { resize: 8, crop: 6, channelOrder: 'RGB', scale: 'unit', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW' },
  caffe: { resize: 8, crop: 6, channelOrder: 'BGR', scale: 'byte', mean: [103.939, 116.779, 123.68], std: [1, 1, 1], layout: 'NCHW' },
  tfNhwc: { resize: 8, crop: 6, channelOrder: 'RGB', scale: 'byte', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], layout: 'NHWC' },
  bgrNhwc: { resize: 8, crop: 6, channelOrder: 'BGR', scale: 'unit', mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4], layout: 'NHWC' },
};

test('lookup-table inputs equal normaliseCrops (float32) and toFloat16Bits of it (float16), bit for bit', () => {
  const crop = 6;
  const n = 3;
  const px = bytes(n * crop * crop * 3, 11);
  for (const [name, p] of Object.entries(PRESETS)) {
    const want32 = normaliseCrops(px, n, crop, p);
    const got32 = new Float32Array(want32.length);
    fillInput(px, n, crop, inputLut(p, 'float32'), got32);
    assert.deepEqual(new Uint32Array(got32.buffer), new Uint32Array(want32.buffer), `${name} float32`);
    const got16 = new Uint16Array(want32.length);
    fillInput(px, n, crop, inputLut(p, 'float16'), got16);
    assert.deepEqual(got16, toFloat16Bits(want32), `${name} float16`);
  }
});

async function shards(sizes: number[], crop: number): Promise<string[]> {
  const files: string[] = [];
  let id = 0;
  for (const [s, n] of sizes.entries()) {
    const file = `shard-${s}.arrow`;
    await writeShard(path.join(dir, file), {
      ids: Array.from({ length: n }, () => `img${id++}`), labels: Int16Array.from({ length: n }, (_, i) => (i * 37) % 1000),
      pixels: bytes(n * crop * crop * 3, s + 1), crop,
    });
    files.push(file);
  }
  return files;
}

/** Runs a stream as evaluateAccuracy does, with "scores" that pick class (row index) for every image. */
async function drain(start: (onShard: (p: AccuracyProgress) => void) => BatchStream) {
  const shards: AccuracyProgress[] = [];
  const stream = start((p) => shards.push(p));
  const batches: RunInput[] = [];
  try {
    for (let b = await stream.next(); b; b = await stream.next()) {
      // Copy before handing back: the thread reuses the buffer for a later batch.
      batches.push({ shard: b.shard, n: b.n, rows: b.rows, lastOfShard: b.lastOfShard, data: b.data.slice() });
      const scores = new Float32Array(b.rows * 1000);
      for (let r = 0; r < b.rows; r++) scores[r * 1000 + r] = 1;
      stream.done(b, b.n ? scores : undefined);
    }
    return { batches, progress: await stream.finish(), shards };
  } finally {
    await stream.close();
  }
}

const FRESH: AccuracyProgress = { nextShard: 0, n: 0, correct1: 0, correct5: 0, nonFinite: 0 };
const scorer = { modelId: 'm', output: { classes: 1000, backgroundOffset: 0, kind: 'logits' } } as const;

test('the helper thread prepares and scores exactly as the calling thread: shard ends, a padded fixed batch, an empty shard, resume', async () => {
  // 4x4 crops (48 bytes): readShard needs n·crop²·3 to be a multiple of 8 (Arrow pads the buffer).
  const crop = 4;
  const shardFiles = await shards([5, 0, 3], crop);
  const job: EvaluationJob = {
    datasetDir: dir, shardFiles, firstShard: 0, crop, preprocessing: PRESETS.caffe!, dtype: 'float16', batchSize: 2, rowsPerRun: 2,
    scorer, start: FRESH,
  };
  const inline = await drain((cb) => inThreadBatches(job, cb));
  // 5 → 2, 2, 1 (padded to 2); 0 → one empty batch that ends the shard; 3 → 2, 1 (padded).
  assert.deepEqual(inline.batches.map((b) => [b.shard, b.n, b.rows, b.lastOfShard]), [
    [0, 2, 2, false], [0, 2, 2, false], [0, 1, 2, true], [1, 0, 0, true], [2, 2, 2, false], [2, 1, 2, true],
  ]);
  const per = crop * crop * 3;
  assert.ok(inline.batches[2]!.data.subarray(per).every((v) => v === 0), 'padding rows are zeros');
  // Labels are (i·37) mod 1000 per shard, predictions the row index in the batch: image 0 of
  // shard 0 (label 0) is right; img3 (label 111, row 1) is not. Only label 0 at row 0 scores.
  assert.deepEqual(inline.shards.map((p) => p.nextShard), [1, 2, 3]);
  assert.deepEqual(inline.progress, { nextShard: 3, n: 8, correct1: 2, correct5: 2, nonFinite: 0 });
  const threaded = await drain((cb) => startBatchThread().begin(job, cb));
  assert.deepEqual(threaded, inline);
  // Again on the same (reused) thread, resuming after shard 1.
  const resumed = await drain((cb) => startBatchThread().begin({ ...job, firstShard: 2, start: inline.shards[1]! }, cb));
  assert.deepEqual(resumed.batches, inline.batches.slice(4));
  assert.deepEqual(resumed.progress, inline.progress);
});

test('a shard that does not hold the expected crops is a non-retryable error; a missing one is retryable', async () => {
  const shardFiles = await shards([2], 4);
  const job: EvaluationJob = {
    datasetDir: dir, shardFiles, firstShard: 0, crop: 8, preprocessing: PRESETS.torchvision!, dtype: 'float32', batchSize: 2, rowsPerRun: null,
    scorer, start: FRESH,
  };
  for (const start of [(cb: (p: AccuracyProgress) => void) => inThreadBatches(job, cb), (cb: (p: AccuracyProgress) => void) => startBatchThread().begin(job, cb)]) {
    await assert.rejects(drain(start), (err: Error & { nonRetryable?: boolean }) => {
      assert.match(err.message, /dataset shard .*shard-0\.arrow cannot be used: .*another size than 8x8/);
      assert.equal(err.nonRetryable, true);
      return true;
    });
  }
  const missing = { ...job, crop: 4, shardFiles: ['nope.arrow'] };
  for (const start of [(cb: (p: AccuracyProgress) => void) => inThreadBatches(missing, cb), (cb: (p: AccuracyProgress) => void) => startBatchThread().begin(missing, cb)]) {
    await assert.rejects(drain(start), (err: Error & { nonRetryable?: boolean }) => {
      assert.match(err.message, /dataset shard .*nope\.arrow is missing on this host/);
      assert.notEqual(err.nonRetryable, true);
      return true;
    });
  }
});

test('raw-crops batches carry the shard bytes of their images, no padding, from either thread', async () => {
  const crop = 4;
  const shardFiles = await shards([5], crop);
  const job: EvaluationJob = {
    datasetDir: dir, shardFiles, firstShard: 0, crop, preprocessing: PRESETS.torchvision!, dtype: 'float32', batchSize: 2, rowsPerRun: 2, rawCrops: true,
    scorer, start: FRESH,
  };
  const want = bytes(5 * crop * crop * 3, 1); // shards() fills shard s with bytes(…, s + 1)
  const per = crop * crop * 3;
  for (const start of [(cb: (p: AccuracyProgress) => void) => inThreadBatches(job, cb), (cb: (p: AccuracyProgress) => void) => startBatchThread().begin(job, cb)]) {
    const { batches } = await drain(start);
    assert.deepEqual(batches.map((b) => [b.n, b.rows, b.data.length]), [[2, 2, 2 * per], [2, 2, 2 * per], [1, 2, per]]);
    assert.deepEqual(Uint8Array.from(batches.flatMap((b) => Array.from(b.data))), want);
  }
});
