/**
 * A worker's shard cache: shards fetched from the dataset's location into <sha256>.arrow copies,
 * verified on the way in; a corrupt or truncated copy is fetched again; a source that does not
 * match its manifest is refused by name and leaves nothing behind; only file:// locations.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { readShard, writeShardFile } from '../../src/prepare/arrow-shards.js';
import type { DatasetManifest } from '../../src/prepare/prepare.js';
import { InputError } from '../../src/errors.js';
import { localPathOf, locationOf } from '../../src/results/location.js';
import { localDataset } from '../../src/prepare/shard-cache.js';
import { sha256File } from '../../src/prepare/sha256-file.js';

const CROP = 8;
let root: string;
let source: string;
let manifest: DatasetManifest;

/** A dataset folder as prepareDataset leaves it: shards and a manifest with their sha256. */
async function makeDataset(dir: string, shards: number): Promise<DatasetManifest> {
  const entries = [];
  for (let s = 0; s < shards; s++) {
    const n = 3;
    const pixels = new Uint8Array(n * CROP * CROP * 3).map((_, i) => (i * 31 + s * 7) & 255);
    const file = `shard-${String(s).padStart(5, '0')}.arrow`;
    const { sha256, bytes } = await writeShardFile(path.join(dir, file), {
      ids: [0, 1, 2].map((k) => `img-${s}-${k}`), labels: Int16Array.from([s, s + 1, s + 2]), pixels, crop: CROP,
    });
    entries.push({ file, n, sha256, bytes });
  }
  const m = {
    key: 'test', geometry: { resize: 10, crop: CROP }, resizeFilter: 'linear', labelSource: 'test', n: shards * 3,
    failed: [], shards: entries, versions: { sharp: '-', libvips: '-' },
  } as DatasetManifest;
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m));
  return m;
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-shard-cache-'));
  source = path.join(root, 'control', 'datasets', 'd1');
  manifest = await makeDataset(source, 3);
});

test('locations: file URIs and plain paths name local files; other schemes are refused by name', () => {
  const uri = locationOf(source);
  assert.match(uri, /^file:\/\//);
  assert.equal(localPathOf(uri, 'dataset'), source);
  assert.equal(localPathOf(source, 'dataset'), source);
  assert.throws(() => localPathOf('s3://bucket/datasets/d1', 'dataset'), (e: Error) => e instanceof InputError && /s3:\/\/bucket.*only file:\/\//.test(e.message));
});

test('shards are fetched once into content-named copies identical to the source', async () => {
  const cacheDir = path.join(root, 'worker-a', 'cache');
  const first = await localDataset(locationOf(source), { cacheDir });
  assert.equal(first.fetched, 3);
  assert.deepEqual(first.shardPaths, manifest.shards.map((s) => path.join(cacheDir, `${s.sha256}.arrow`)));
  for (const [i, p] of first.shardPaths.entries()) {
    assert.equal(await sha256File(p), manifest.shards[i]!.sha256);
    assert.deepEqual((await readShard(p, CROP)).ids, (await readShard(path.join(source, manifest.shards[i]!.file), CROP)).ids);
  }
  const again = await localDataset(locationOf(source), { cacheDir });
  assert.equal(again.fetched, 0);
  assert.deepEqual(again.shardPaths, first.shardPaths);
});

test('a truncated or altered cached copy is fetched again and verified', async () => {
  const cacheDir = path.join(root, 'worker-b', 'cache');
  const { shardPaths } = await localDataset(locationOf(source), { cacheDir });
  await truncate(shardPaths[0]!, 100);
  const bytes = await readFile(shardPaths[2]!);
  bytes[bytes.length >> 1]! ^= 0xff;
  await writeFile(shardPaths[2]!, bytes);
  const healed = await localDataset(locationOf(source), { cacheDir });
  assert.equal(healed.fetched, 2);
  for (const [i, p] of healed.shardPaths.entries()) assert.equal(await sha256File(p), manifest.shards[i]!.sha256);
});

test('a source shard that differs from its manifest is refused by name and leaves no partial copy', async () => {
  const dir = path.join(root, 'control', 'datasets', 'd2');
  const m = await makeDataset(dir, 2);
  const bad = path.join(dir, m.shards[1]!.file);
  const bytes = await readFile(bad);
  bytes[100]! ^= 1;
  await writeFile(bad, bytes);
  const cacheDir = path.join(root, 'worker-c', 'cache');
  await assert.rejects(localDataset(locationOf(dir), { cacheDir }),
    (e: Error) => e instanceof InputError && e.message.includes(bad) && /does not match its manifest/.test(e.message));
  // The good shard is cached; of the bad one there is nothing, not even a temporary file.
  assert.deepEqual(await readdir(cacheDir), [`${m.shards[0]!.sha256}.arrow`]);
});

test('a missing shard is a retryable error naming the file; a missing manifest names the folder', async () => {
  const dir = path.join(root, 'control', 'datasets', 'd3');
  const m = await makeDataset(dir, 1);
  await rm(path.join(dir, m.shards[0]!.file));
  await assert.rejects(localDataset(locationOf(dir), { cacheDir: path.join(root, 'worker-d') }),
    (e: Error) => !(e instanceof InputError) && e.message.includes(m.shards[0]!.file) && /missing on this host/.test(e.message));
  await assert.rejects(localDataset(locationOf(path.join(root, 'nowhere')), { cacheDir: path.join(root, 'worker-d') }),
    (e: Error) => e.message.includes(path.join(root, 'nowhere', 'manifest.json')));
});

test('a dataset under the worker\'s own data folder is read in place', async () => {
  const local = await localDataset(locationOf(source), { cacheDir: path.join(root, 'control', 'cache'), localRoot: path.join(root, 'control') });
  assert.equal(local.fetched, 0);
  assert.deepEqual(local.shardPaths, manifest.shards.map((s) => path.join(source, s.file)));
});
