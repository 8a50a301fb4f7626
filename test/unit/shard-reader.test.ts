/**
 * The batch-at-a-time shard reader against readShard (Arrow's own reader of the whole file): same
 * ids, labels and crops for any range, from one or several record batches, at crop sizes whose
 * rows are not word-aligned; clear errors naming the file for truncated, foreign and mismatched files.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { readShard, writeShard, writeShardFile, type ImageShard } from '../../src/prepare/arrow-shards.js';
import { openShard } from '../../src/prepare/shard-reader.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-shard-reader-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function shardOf(n: number, crop: number, seed: number): ImageShard {
  let s = seed >>> 0;
  const pixels = Uint8Array.from({ length: n * crop * crop * 3 }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  return { ids: Array.from({ length: n }, (_, i) => `ILSVRC2012_val_${seed}_${i}_é`), labels: Int16Array.from({ length: n }, (_, i) => (i * 97 + seed) % 1000), pixels, crop };
}

async function assertSameAsReadShard(file: string, crop: number): Promise<void> {
  const want = await readShard(file, crop);
  const r = await openShard(file, crop);
  try {
    assert.deepEqual(r.ids, want.ids);
    assert.deepEqual(r.labels, want.labels);
    const per = crop * crop * 3;
    const n = want.ids.length;
    for (const [start, count] of [[0, n], [1, 3], [n - 2, 2], [Math.floor(n / 2) - 1, 3]] as const) {
      const into = new Uint8Array(count * per + 7).fill(9);
      await r.readCrops(start, count, into);
      assert.deepEqual(into.slice(0, count * per), Uint8Array.from(want.pixels.subarray(start * per, (start + count) * per)), `crops ${start}+${count}`);
      assert.ok(into.subarray(count * per).every((v) => v === 9), 'bytes past the crops are untouched');
    }
    await assert.rejects(r.readCrops(n - 1, 2, new Uint8Array(2 * per)), RangeError);
  } finally {
    await r.close();
  }
}

test('reads what readShard reads: one record batch (writeShard and the streamed writeShardFile), odd crop size', async () => {
  const shard = shardOf(9, 5, 1); // 75 bytes per crop: most crops start off a word boundary
  await writeShard(path.join(dir, 'a.arrow'), shard);
  await writeShardFile(path.join(dir, 'b.arrow'), shard);
  await assertSameAsReadShard(path.join(dir, 'a.arrow'), 5);
  await assertSameAsReadShard(path.join(dir, 'b.arrow'), 5);
});

test('reads a shard of several record batches, crops spanning batch boundaries', async () => {
  const one = path.join(dir, 'one.arrow');
  const two = path.join(dir, 'two.arrow');
  await writeShard(one, shardOf(4, 4, 2));
  await writeShard(two, shardOf(5, 4, 3));
  const table = tableFromIPC(await readFile(one)).concat(tableFromIPC(await readFile(two)));
  assert.equal(table.batches.length, 2);
  const file = path.join(dir, 'multi.arrow');
  await writeFile(file, tableToIPC(table, 'file'));
  await assertSameAsReadShard(file, 4);
});

test('bad files: errors name the file and the problem', async () => {
  const good = path.join(dir, 'good.arrow');
  const bytes = await writeShard(good, shardOf(6, 4, 4));
  await assert.rejects(openShard(good, 8), (e: Error) => e.message.includes(good) && /another size than 8x8/.test(e.message));

  const foreign = path.join(dir, 'foreign.arrow');
  await writeFile(foreign, Buffer.alloc(4096, 1));
  await assert.rejects(openShard(foreign, 4), (e: Error) => e.message.includes(foreign) && /not an Arrow IPC file/.test(e.message));

  // Cut inside the crops, keeping a valid-looking footer: the reader must notice before reading.
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getInt32(bytes.length - 10, true);
  const footerAndMagic = bytes.subarray(bytes.length - 10 - footerLength);
  const cut = path.join(dir, 'cut.arrow');
  await writeFile(cut, Buffer.concat([bytes.subarray(0, 300), footerAndMagic]));
  await assert.rejects(openShard(cut, 4), (e: Error) => e.message.includes(cut) && /truncated/.test(e.message));

  const halved = path.join(dir, 'halved.arrow');
  await writeFile(halved, bytes.subarray(0, bytes.length / 2));
  await assert.rejects(openShard(halved, 4), (e: Error) => e.message.includes(halved));

  await assert.rejects(openShard(path.join(dir, 'none.arrow'), 4), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
});
