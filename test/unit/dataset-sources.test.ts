/**
 * The layouts of ImageNet val people have: ImageFolder synset folders, a flat folder with the
 * devkit's ground truth (+ the devkit synset order), Kaggle's LOC_val_solution.csv, the kit's 50k
 * "name index" file, and the kit itself. Class index = position in the sorted synset list. Bad
 * label files fail with the file and line named. Images are tiny real JPEGs made with sharp.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { listImageSource } from '../../src/prepare/image-sources.js';
import { synsetIndex } from '../../src/prepare/synsets.js';
import { KIT } from '../helpers/cli.js';

let dir: string;
let sorted: string[];
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-sources-'));
  sorted = (await readFile(path.join(KIT, 'labels/synsets.tsv'), 'utf8')).trim().split('\n').map((l) => l.split('\t')[1]!);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

let jpeg: Buffer | undefined;
async function image(file: string): Promise<void> {
  jpeg ??= await sharp({ create: { width: 8, height: 6, channels: 3, background: '#336699' } }).jpeg().toBuffer();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, jpeg);
}
const valName = (k: number) => `ILSVRC2012_val_${String(k).padStart(8, '0')}.JPEG`;

/** A flat folder holding val images 1..n. */
async function flat(name: string, n: number): Promise<string> {
  const d = path.join(dir, name);
  for (let k = 1; k <= n; k++) await image(path.join(d, valName(k)));
  return d;
}

test('the kit\'s synsets.tsv is the sorted list (index = position), tench first', () => {
  assert.equal(sorted.length, 1000);
  assert.equal(sorted[0], 'n01440764');
  assert.deepEqual([...sorted].sort(), sorted);
  assert.throws(() => synsetIndex(sorted.slice(1), 'x'), /999 synsets/);
  assert.throws(() => synsetIndex([...sorted.slice(1), sorted[1]!], 'x'), /listed twice/);
});

test('ImageFolder: the folder names the class, index from the sorted synset list', async () => {
  const d = path.join(dir, 'imagefolder');
  await image(path.join(d, 'n01440764', 'a.JPEG'));
  await image(path.join(d, 'n01443537', 'b.jpg'));
  await image(path.join(d, 'n15075141', 'c.JPEG'));
  const src = await listImageSource({ images: d, kit: KIT });
  assert.equal(src.layout, 'imagefolder');
  assert.deepEqual(src.images.map((i) => [i.id, i.label]), [['a', 0], ['b', 1], ['c', 999]]);
  assert.match(src.labelSource, /synsets\.tsv/);
  // The same name in two class folders is one id twice.
  await image(path.join(d, 'n01484850', 'a.JPEG'));
  await assert.rejects(listImageSource({ images: d, kit: KIT }), /duplicate image id a: .*n01440764.*n01484850|duplicate image id a: .*n01484850.*n01440764/);
});

test('flat + the kit\'s 50k "name index" file; unlabelled images are recorded failures, not errors', async () => {
  const d = await flat('flat-kitfmt', 4);
  const labels = path.join(dir, 'gt50k.txt');
  await writeFile(labels, `${valName(1)} 65\n${valName(2)} 970\n${valName(3)} 230\n`);
  const src = await listImageSource({ images: d, labels, kit: KIT });
  assert.equal(src.layout, 'flat');
  assert.deepEqual(src.images.map((i) => i.label), [65, 970, 230]);
  assert.equal(src.failed.length, 1);
  assert.match(src.failed[0]!.reason, /no label for ILSVRC2012_val_00000004/);
  // Real ground truth: the kit's file labels the kit's originals like its manifest does.
  const manifest = JSON.parse(await readFile(path.join(KIT, 'manifest.json'), 'utf8')) as { images: { list: { file: string; class_index: number }[] } };
  const orig = await listImageSource({ images: path.join(KIT, 'images/val_orig'), labels: path.join(KIT, 'labels/ILSVRC2012_val_ground_truth_50k.txt'), kit: KIT });
  assert.equal(orig.images.length, 20);
  for (const img of orig.images) {
    assert.equal(img.label, manifest.images.list.find((m) => m.file.endsWith(`${img.id}.JPEG`))!.class_index, img.id);
  }
});

test('bad label files: out of range, duplicate, unknown format, nothing matching — file and line named', async () => {
  const d = await flat('flat-bad', 2);
  const bad = async (text: string, re: RegExp) => {
    const f = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.txt`);
    await writeFile(f, text);
    await assert.rejects(listImageSource({ images: d, labels: f, kit: KIT }), (err: Error) => {
      assert.match(err.message, re);
      assert.ok(err.message.includes(f), `names the file: ${err.message}`);
      return (err as { nonRetryable?: boolean }).nonRetryable === true;
    });
  };
  await bad(`${valName(1)} 5\n${valName(2)} 1000\n`, /:2: label 1000 is outside 0\.\.999/);
  await bad(`${valName(1)} 5\n${valName(2)} -1\n`, /:2: label -1 is outside 0\.\.999/);
  await bad(`${valName(1)} 5\n${valName(2)} 6\n${valName(1)} 5\n`, /:3: image ILSVRC2012_val_00000001 is labelled twice \(first at line 1\)/);
  await bad(`${valName(1)} n99999999\n`, /:1: synset n99999999 is not one of the 1000/);
  await bad('hello world this is not labels\n', /unknown label format/);
  await bad(`other_image.JPEG 3\n`, /none of the 2 images/);
});

test('devkit ground truth: ILSVRC2012_IDs mapped through the devkit synset order, never used as indices', async () => {
  const d = await flat('flat-devkit', 3);
  const gt = path.join(dir, 'ILSVRC2012_validation_ground_truth.txt');
  await writeFile(gt, '1\n2\n1000\n4\n');
  // A devkit order unlike the sorted one: reversed, so ID k is sorted[1000 - k].
  const order = path.join(dir, 'devkit-synsets.txt');
  await writeFile(order, [...sorted].reverse().map((w, i) => `${i + 1} ${w} some words`).join('\n'));
  await assert.rejects(listImageSource({ images: d, labels: gt, kit: KIT }), /ILSVRC2012_IDs .* --synsets/);
  const src = await listImageSource({ images: d, labels: gt, synsets: order, kit: KIT });
  assert.deepEqual(src.images.map((i) => i.label), [999, 998, 0]);
  assert.match(src.labelSource, /devkit/);
  // One wnid per line (no ID column) means line k is ID k.
  const plain = path.join(dir, 'devkit-plain.txt');
  await writeFile(plain, [...sorted].reverse().join('\n'));
  assert.deepEqual((await listImageSource({ images: d, labels: gt, synsets: plain, kit: KIT })).images.map((i) => i.label), [999, 998, 0]);
  await writeFile(gt, '1\n1001\n');
  await assert.rejects(listImageSource({ images: d, labels: gt, synsets: order, kit: KIT }), /:2: ILSVRC2012_ID 1001 is outside 1\.\.1000/);
});

test('Kaggle LOC_val_solution.csv, with LOC_synset_mapping.txt beside it', async () => {
  const root = path.join(dir, 'kaggle');
  const d = path.join(root, 'ILSVRC/Data/CLS-LOC/val');
  for (let k = 1; k <= 3; k++) await image(path.join(d, valName(k)));
  await writeFile(path.join(root, 'LOC_synset_mapping.txt'), sorted.map((w) => `${w} name of ${w}`).join('\n'));
  const csv = path.join(root, 'LOC_val_solution.csv');
  await writeFile(csv, `ImageId,PredictionString\nILSVRC2012_val_00000002,${sorted[5]} 1 2 3 4 ${sorted[5]} 5 6 7 8 \nILSVRC2012_val_00000001,${sorted[999]} 10 20 30 40 \nILSVRC2012_val_00000003,${sorted[0]} 0 0 1 1 \n`);
  const src = await listImageSource({ images: d, labels: csv, kit: path.join(dir, 'no-kit-here') });
  assert.deepEqual(src.images.map((i) => [i.id, i.label]), [[valName(1).slice(0, -5), 999], [valName(2).slice(0, -5), 5], [valName(3).slice(0, -5), 0]]);
  assert.match(src.labelSource, /Kaggle .*LOC_synset_mapping/);
});

test('a kit folder is read through its manifest; a flat folder without labels says what to give', async () => {
  const kit = await listImageSource({ images: KIT, set: 'val_orig' });
  assert.equal(kit.layout, 'kit');
  assert.equal(kit.images.length, 20);
  const d = await flat('flat-nolabels', 1);
  await assert.rejects(listImageSource({ images: d, kit: KIT }), /--labels FILE/);
  await assert.rejects(listImageSource({ images: path.join(dir, 'missing') }), /does not exist/);
});

test('study spec: dataset.images/labels/synsets accepted; labels without images refused', async () => {
  const { parseStudySpec } = await import('../../src/study/study-spec.js');
  const base = { models: ['mobilenetv2-12-int8'], devices: [{ queue: 'cpu-x86_64' }] };
  const spec = parseStudySpec({ ...base, dataset: { images: '/data/val', labels: '/data/LOC_val_solution.csv', resizeFilter: 'cubic' } });
  assert.equal(spec.dataset.images, '/data/val');
  assert.equal(spec.dataset.set, 'val_227');
  assert.throws(() => parseStudySpec({ ...base, dataset: { labels: '/data/gt.txt' } }), /dataset\.labels: labels describes an image folder/);
  assert.throws(() => parseStudySpec({ ...base, dataset: { images: '/x', resizeFilter: 'nearest' } }), /dataset\.resizeFilter/);
});
