/**
 * prepareDataset end to end on real JPEGs, with child processes: shard contents and manifest,
 * per-shard caching (a missing, corrupted or re-encoded shard is rebuilt alone), undecodable files
 * in the failed list, bad labels refused before anything is written, a run killed with SIGKILL
 * resumed from its finished shards, and the `dnnbench prepare` command on an ImageFolder tree.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readShard } from '../../src/prepare/arrow-shards.js';
import { cropImage } from '../../src/prepare/crop-image.js';
import { defaultProcesses, prepareDataset, shardCount, type DatasetManifest } from '../../src/prepare/prepare.js';
import type { LabelledImage } from '../../src/prepare/kit.js';
import { runCli } from '../helpers/cli.js';

const geometry = { resize: 40, crop: 32 };
let dir: string;
let images: LabelledImage[];

/** A small textured JPEG, different for every seed, size varying around 60x45. */
async function jpeg(file: string, seed: number): Promise<void> {
  const w = 50 + (seed % 23);
  const h = 40 + (seed % 17);
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * (seed + 7) + ((i / 3) | 0) * seed) & 255;
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(0.6).jpeg({ quality: 90 }).toFile(file);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-prepare-'));
  images = [];
  for (let k = 0; k < 40; k++) {
    const file = path.join(dir, `img${String(k).padStart(3, '0')}.JPEG`);
    await jpeg(file, k + 1);
    images.push({ id: `img${String(k).padStart(3, '0')}`, file, label: (k * 37) % 1000 });
  }
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const mtimes = async (out: string, m: DatasetManifest) => Promise.all(m.shards.map(async (s) => (await stat(path.join(out, s.file))).mtimeMs));

test('shard count and processes: at most the shard size, even from 40% of it up so two processes finish together', () => {
  assert.equal(shardCount(1300), 2);
  assert.equal(shardCount(6000), 6);
  assert.equal(shardCount(3000), 4);
  assert.equal(shardCount(50000), 50);
  assert.equal(shardCount(300), 1);
  assert.equal(shardCount(40, 10), 4);
  assert.equal(shardCount(0), 0);
  // Processes: alone for small sets, two on 2 cores, one per four cores on big machines.
  assert.deepEqual([defaultProcesses(1300, 2), defaultProcesses(6000, 2), defaultProcesses(6000, 1), defaultProcesses(50000, 16)], [1, 2, 1, 4]);
});

test('shards hold every image\'s crop, label and id in order; the manifest describes them', async () => {
  const out = path.join(dir, 'ds-basic');
  const shuffled = [...images].reverse();
  const { dir: got, manifest, stats } = await prepareDataset({ images: shuffled, geometry, resizeFilter: 'linear', labelSource: 'test labels', outDir: out, shardSize: 10, processes: 2 });
  assert.equal(got, out);
  assert.deepEqual(stats, { ...stats, built: 4, reused: 0 });
  assert.equal(manifest.n, 40);
  assert.deepEqual(manifest.counts, { inputs: 40, images: 40, failed: 0, shards: 4, classes: new Set(images.map((i) => i.label)).size });
  assert.equal(manifest.labelSource, 'test labels');
  assert.equal(manifest.pilFilter, 'BILINEAR');
  assert.ok(manifest.versions.sharp && manifest.versions.libvips && manifest.versions.resampler);
  let k = 0;
  for (const s of manifest.shards) {
    assert.equal(await sha(path.join(out, s.file)), s.sha256, `${s.file} sha256`);
    const shard = await readShard(path.join(out, s.file), geometry.crop);
    assert.equal(shard.ids.length, s.n);
    for (let i = 0; i < shard.ids.length; i++, k++) {
      const img = images[k]!; // sorted by id
      assert.equal(shard.ids[i], img.id);
      assert.equal(shard.labels[i], img.label);
      const expected = await cropImage(await readFile(img.file), geometry, 'linear');
      const per = geometry.crop * geometry.crop * 3;
      assert.ok(Buffer.from(shard.pixels.subarray(i * per, (i + 1) * per)).equals(Buffer.from(expected)), `${img.id} crop`);
    }
  }
  assert.equal(k, 40);
});

test('the same inputs again do nothing; a missing, corrupted or re-encoded shard is rebuilt alone', async () => {
  const out = path.join(dir, 'ds-cache');
  const first = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  const before = await mtimes(out, first.manifest);
  const again = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.deepEqual([again.stats.built, again.stats.reused], [0, 4]);
  assert.deepEqual(await mtimes(out, again.manifest), before);
  // The same crops from another label file: no shard rebuilt, the manifest says where labels came from.
  const relabelled = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'other file', outDir: out, shardSize: 10, processes: 2 });
  assert.deepEqual([relabelled.stats.built, relabelled.manifest.labelSource], [0, 'other file']);

  await unlink(path.join(out, first.manifest.shards[2]!.file));
  const missing = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.deepEqual([missing.stats.built, missing.stats.reused], [1, 3]);
  const afterMissing = await mtimes(out, missing.manifest);
  assert.deepEqual([afterMissing[0], afterMissing[1], afterMissing[3]], [before[0], before[1], before[3]]);
  assert.equal(missing.manifest.shards[2]!.sha256, first.manifest.shards[2]!.sha256, 'rebuilt identically');

  // Same size, other bytes: the sha256 check catches it.
  const victim = path.join(out, first.manifest.shards[1]!.file);
  const bytes = await readFile(victim);
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
  await writeFile(victim, bytes);
  const corrupted = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.deepEqual([corrupted.stats.built, corrupted.stats.reused], [1, 3]);
  assert.equal(await sha(victim), first.manifest.shards[1]!.sha256);

  // A re-encoded input image changes its shard's key only.
  await jpeg(images[35]!.file, 1000);
  const changed = await prepareDataset({ images, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.deepEqual([changed.stats.built, changed.stats.reused], [1, 3]);
  assert.notEqual(changed.manifest.shards[3]!.sha256, first.manifest.shards[3]!.sha256);
  assert.notEqual(changed.manifest.key, first.manifest.key);
  await jpeg(images[35]!.file, 36);

  // Another filter is another dataset content: every shard rebuilt.
  const lanczos = await prepareDataset({ images, geometry, resizeFilter: 'lanczos3', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.equal(lanczos.stats.built, 4);
});

test('an undecodable file is left out with its reason; bad labels and duplicate ids fail before any work', async () => {
  const broken = path.join(dir, 'zzz-broken.JPEG');
  await writeFile(broken, 'not a JPEG at all, just text with a .JPEG name');
  const withBroken = [...images.slice(0, 9), { id: 'zzz-broken', file: broken, label: 3 }];
  const out = path.join(dir, 'ds-broken');
  const { manifest } = await prepareDataset({ images: withBroken, geometry, resizeFilter: 'linear', labelSource: 'x', outDir: out, processes: 1,
    failedInputs: [{ id: 'nolabel', file: '/somewhere/nolabel.JPEG', reason: 'no label for nolabel in labels.txt' }] });
  assert.equal(manifest.n, 9);
  assert.equal(manifest.failed.length, 2);
  const f = manifest.failed.find((x) => x.id === 'zzz-broken')!;
  assert.equal(f.file, broken);
  assert.ok(f.reason.length > 5, f.reason);
  assert.equal(manifest.counts?.inputs, 11);
  const shard = await readShard(path.join(out, manifest.shards[0]!.file), geometry.crop);
  assert.ok(!shard.ids.includes('zzz-broken'));

  const badDir = path.join(dir, 'ds-badlabel');
  await assert.rejects(
    prepareDataset({ images: [...images.slice(0, 3), { ...images[3]!, label: 1000 }], geometry, resizeFilter: 'linear', labelSource: 'x', outDir: badDir }),
    (err: Error) => /img003\.JPEG has label 1000, outside 0\.\.999/.test(err.message) && (err as { nonRetryable?: boolean }).nonRetryable === true,
  );
  await assert.rejects(
    prepareDataset({ images: [...images.slice(0, 3), { ...images[4]!, id: images[0]!.id }], geometry, resizeFilter: 'linear', labelSource: 'x', outDir: badDir }),
    /duplicate image id img000/,
  );
  await assert.rejects(stat(badDir), 'nothing written');
});

test('a run killed with SIGKILL mid-way resumes from its finished shards', async () => {
  const out = path.join(dir, 'ds-crash');
  const list = path.join(dir, 'crash-images.json');
  // 40 images × 12 copies in 48 shards of 10: long enough to kill after the first shards.
  const many = Array.from({ length: 480 }, (_, i) => ({ ...images[i % 40]!, id: `c${String(i).padStart(4, '0')}` }));
  await writeFile(list, JSON.stringify(many));
  const script = path.join(dir, 'crash-run.mts');
  const prepareUrl = new URL('../../src/prepare/prepare.ts', import.meta.url).href;
  await writeFile(script, `import { readFileSync } from 'node:fs';
const { prepareDataset } = await import(${JSON.stringify(prepareUrl)});
await prepareDataset({ images: JSON.parse(readFileSync(${JSON.stringify(list)}, 'utf8')), geometry: { resize: 200, crop: 180 }, resizeFilter: 'lanczos3',
  labelSource: 'x', outDir: ${JSON.stringify(out)}, shardSize: 10, processes: 1, onShard: (d) => process.send?.(d) });
`);
  const child = fork(script, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (done) => { if (typeof done === 'number' && done >= 3) { child.kill('SIGKILL'); resolve(); } });
    child.on('exit', () => reject(new Error('the run ended before it was killed')));
  });
  await exited;
  await assert.rejects(stat(path.join(out, 'manifest.json')), 'no manifest: the run did not finish');
  const progress = JSON.parse(await readFile(path.join(out, '.progress.json'), 'utf8')) as { shards: unknown[] };
  assert.ok(progress.shards.length >= 3, `${progress.shards.length} shards recorded`);
  const resumed = await prepareDataset({ images: many, geometry: { resize: 200, crop: 180 }, resizeFilter: 'lanczos3', labelSource: 'x', outDir: out, shardSize: 10, processes: 2 });
  assert.ok(resumed.stats.reused >= 3, `reused ${resumed.stats.reused}`);
  assert.ok(resumed.stats.built > 0, 'the killed run had not finished');
  assert.equal(resumed.stats.reused + resumed.stats.built, 48);
  assert.equal(resumed.manifest.n, 480);
  await assert.rejects(stat(path.join(out, '.progress.json')), 'progress file removed once complete');
  for (const s of resumed.manifest.shards) assert.equal(await sha(path.join(out, s.file)), s.sha256, s.file);
});

test('dnnbench prepare: an ImageFolder tree at two geometries; errors exit 2 with the reason', async () => {
  const tree = path.join(dir, 'val');
  const wnids = ['n01440764', 'n01443537', 'n04592741'];
  for (let k = 0; k < 9; k++) {
    const folder = path.join(tree, wnids[k % 3]!);
    await (await import('node:fs/promises')).mkdir(folder, { recursive: true });
    await jpeg(path.join(folder, `ILSVRC2012_val_${String(k + 1).padStart(8, '0')}.JPEG`), k + 3);
  }
  const out = path.join(dir, 'cli-out');
  const r = await runCli(['prepare', '--images', tree, '--geometry', '40/32,48/40', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { dir: string; n: number; geometry: { crop: number } }[];
  assert.deepEqual(summary.map((s) => [path.basename(s.dir), s.n, s.geometry.crop]), [['40-32-linear', 9, 32], ['48-40-linear', 9, 40]]);
  const manifest = JSON.parse(await readFile(path.join(out, '48-40-linear', 'manifest.json'), 'utf8')) as DatasetManifest;
  const shard = await readShard(path.join(out, '48-40-linear', manifest.shards[0]!.file), 40);
  assert.deepEqual(Array.from(shard.labels.slice(0, 3)), [0, 1, 908]); // n04592741 is class 908 (wing)
  assert.match(r.stderr, /imagefolder layout/);

  const bad = await runCli(['prepare', '--images', tree, '--geometry', '32/40', '--out', out]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /crop ≤ resize/);
  const noLabels = await runCli(['prepare', '--images', path.dirname(fileURLToPath(import.meta.url)), '--out', out]);
  assert.equal(noLabels.code, 2);
});
