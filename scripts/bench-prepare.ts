/**
 * Dataset preparation speed: `prepareDataset` (the code the study and `dnnbench prepare` run) in a
 * fresh node process (default processes, and one process alone), and the `dnnbench prepare`
 * command, side by side with PIL in one run:
 *   - PIL full pipeline (open, convert RGB, resize shorter side BILINEAR, centre crop, bytes),
 *     one process per core (scripts/python/bench_prepare_pil.py);
 *   - PIL decode only (open, convert RGB), one process per core: the floor.
 * On (i) the kit's labelled sample and (ii) N generated ~500x375 quality-90 JPEGs made from the
 * kit's full-size originals (generated once into ~/.cache/dnnbench/bench-images), files in page
 * cache (every pipeline reads them once before timing). Rounds alternate the pipelines. Every
 * command is timed whole (start-up included) by /usr/bin/time: wall images/s, and CPU ms per image
 * (user + sys of the command and its children), which other jobs on a shared machine disturb less.
 *
 *   npm run bench:prepare [-- --rounds 3 --generated 6000 --geometry 256/224 --filter linear]
 *
 * With --fidelity, instead: our crops against PIL's (scripts/python/pil_crops.py) as mean absolute
 * difference per filter, beside libvips' own resize (the former pipeline); then top-1/top-5 of each
 * kit model on the kit's val_227 with our shards, with the former libvips crops, and with the
 * independent reference (scripts/python/reference_accuracy.py: Python onnxruntime + PIL).
 *
 *   npm run bench:prepare -- --fidelity [--models id,id]
 */
import { prng } from '../src/stats/prng.js';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { dataDir, kitDir } from '../src/config/settings.js';
import { cropImage, type ResizeFilter } from '../src/prepare/crop-image.js';
import { centerCropOffsets, resizedSize, type Geometry } from '../src/prepare/geometry.js';
import { prepareDataset, type DatasetManifest } from '../src/prepare/prepare.js';
import { kitImages, type LabelledImage } from '../src/prepare/kit.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' },
  generated: { type: 'string', default: '6000' },
  geometry: { type: 'string', default: '256/224' },
  filter: { type: 'string', default: 'linear' },
  'generate-only': { type: 'boolean', default: false },
  fidelity: { type: 'boolean', default: false },
  'prepare-only': { type: 'string' },
  models: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13,squeezenet1.1_caffe2_fp16_winml,squeezenet1.0_tflite2018_opset13,mobilenetv2-12-int8,resnet50_keras_opset13' },
  sets: { type: 'string', default: 'kit,generated' },
} });

const GEN_VERSION = 'v1';
const SIZES: [number, number, number][] = [[500, 375, 50], [375, 500, 20], [500, 333, 15], [500, 400, 10], [333, 500, 5]];


/**
 * N realistic JPEGs: for image i, a random window (70-100% of the largest window of the target
 * aspect ratio) of kit original i mod 20, randomly mirrored, resized (lanczos3) to an ImageNet-like
 * size around 500x375, JPEG quality 90 4:2:0. Named like flat ILSVRC2012 val files, labelled with
 * the original's class in labels.txt (the kit's 50k ground-truth format).
 */
export async function generatedImages(kit: string, n: number): Promise<{ dir: string; images: LabelledImage[] }> {
  const dir = path.join(os.homedir(), '.cache', 'dnnbench', 'bench-images', `${GEN_VERSION}-${n}`);
  const labelsFile = path.join(dir, 'labels.txt');
  const toImages = (text: string) => text.trim().split('\n').map((line) => {
    const [file, label] = line.split(' ');
    return { id: file!.replace(/\.JPEG$/, ''), file: path.join(dir, file!), label: Number(label) };
  });
  const done = await readFile(labelsFile, 'utf8').catch(() => undefined);
  if (done) return { dir, images: toImages(done) };
  const originals = await kitImages(kit, 'val_orig');
  const decoded = await Promise.all(originals.map(async (o) => ({ ...o, ...(await sharp(o.file).raw().toBuffer({ resolveWithObject: true })) })));
  await mkdir(dir, { recursive: true });
  const lines: string[] = new Array(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < n) {
      const i = next++;
      const r = prng(i + 1);
      const o = decoded[i % decoded.length]!;
      const pick = r() * 100;
      let acc = 0;
      const [tw, th] = SIZES.find(([, , w]) => (acc += w) > pick) ?? SIZES[0]!;
      const W = o.info.width;
      const H = o.info.height;
      const maxW = Math.min(W, (H * tw) / th);
      const f = 0.7 + 0.3 * r();
      const cw = Math.max(8, Math.floor(maxW * f));
      const ch = Math.max(8, Math.floor((cw * th) / tw));
      const left = Math.floor(r() * (W - cw + 1));
      const top = Math.floor(r() * (H - ch + 1));
      let img = sharp(o.data, { raw: { width: W, height: H, channels: 3 } }).extract({ left, top, width: cw, height: ch });
      if (r() < 0.5) img = img.flop();
      const file = `ILSVRC2012_val_${String(i + 1).padStart(8, '0')}.JPEG`;
      await img.resize(tw, th, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(path.join(dir, file));
      lines[i] = `${file} ${o.label}`;
    }
  }));
  await writeFile(labelsFile, `${lines.join('\n')}\n`);
  process.stderr.write(`generated ${n} JPEGs in ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return { dir, images: toImages(lines.join('\n')) };
}

if (args.fidelity) {
  await fidelity();
  process.exit(0);
}
if (args['generate-only']) {
  const { dir } = await generatedImages(kitDir(), Number(args.generated));
  console.log(dir);
  process.exit(0);
}

const [S, C] = args.geometry!.split('/').map(Number) as [number, number];
const geometry = { resize: S, crop: C };
const filter = args.filter as ResizeFilter;

if (args['prepare-only']) {
  // One prepareDataset call in a fresh process, for the parent to time with /usr/bin/time.
  const [list, outDir, processes] = args['prepare-only'].split(',') as [string, string, string?];
  const images = JSON.parse(await readFile(list, 'utf8')) as LabelledImage[];
  const { manifest, stats } = await prepareDataset({
    images, geometry, resizeFilter: filter, labelSource: 'bench', outDir, processes: processes ? Number(processes) : undefined,
  });
  console.log(JSON.stringify({ n: manifest.n, built: stats.built, failed: manifest.failed[0]?.reason }));
  process.exit(0);
}

const rounds = Number(args.rounds);
const cores = os.availableParallelism();
const python = (await run('bash', ['scripts/python-venv.sh'])).stdout.trim().split('\n').pop()!;
const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-bench-prepare-'));

/** Wall seconds and CPU seconds (user + sys, the command and its children) of a whole command. */
async function timed(cmd: string, cmdArgs: string[]): Promise<{ wall: number; cpu: number; stdout: string }> {
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'TIMED %e %U %S', cmd, ...cmdArgs], { maxBuffer: 1 << 24 });
  const m = /TIMED ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${stderr.slice(-300)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stdout };
}

interface Measure { rate: number[]; cpuMs: number[] }
interface Row { set: string; n: number; ours: Measure; one: Measure; cli: Measure; pil: Measure; decode: Measure; cached: number }
const measure = (): Measure => ({ rate: [], cpuMs: [] });
const record = (m: Measure, n: number, t: { wall: number; cpu: number }) => { m.rate.push(n / t.wall); m.cpuMs.push((1000 * t.cpu) / n); };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const kit = kitDir();
const sets: { name: string; images: LabelledImage[]; cli: string[] }[] = [];
for (const name of args.sets!.split(',')) {
  if (name === 'kit') sets.push({ name: 'kit val_227 (227x227, upscaled)', images: await kitImages(kit, 'val_227'), cli: ['--images', kit, '--set', 'val_227'] });
  else if (name === 'generated') {
    const g = await generatedImages(kit, Number(args.generated));
    sets.push({ name: 'generated ~500x375 q90', images: g.images, cli: ['--images', g.dir, '--labels', path.join(g.dir, 'labels.txt')] });
  }
}

const rows: Row[] = [];
for (const set of sets) {
  const list = path.join(work, 'files.txt');
  const json = path.join(work, 'images.json');
  await writeFile(list, set.images.map((i) => i.file).join('\n'));
  await writeFile(json, JSON.stringify(set.images));
  // Page cache: every pipeline then reads the same warm files.
  for (const img of set.images) await readFile(img.file);
  const row: Row = { set: set.name, n: set.images.length, ours: measure(), one: measure(), cli: measure(), pil: measure(), decode: measure(), cached: 0 };
  const pilRun = async (mode: 'full' | 'decode') => {
    const t = await timed(python, ['scripts/python/bench_prepare_pil.py', list, mode, String(S), String(C), String(cores)]);
    const out = JSON.parse(t.stdout) as { n: number };
    if (out.n !== set.images.length) throw new Error(`PIL ${mode} did ${out.n} of ${set.images.length} images`);
    return t;
  };
  for (let r = 0; r < rounds; r++) {
    const outDir = path.join(work, `ds-${r}`);
    const prepareArgs = ['--import', 'tsx', 'scripts/bench-prepare.ts', '--prepare-only', `${json},${outDir}`, '--geometry', `${S}/${C}`, '--filter', filter];
    const t = await timed(process.execPath, prepareArgs);
    const out = JSON.parse(t.stdout.trim().split('\n').pop()!) as { n: number; failed?: string };
    if (out.n !== set.images.length) throw new Error(`prepareDataset stored ${out.n} of ${set.images.length} images: ${out.failed}`);
    record(row.ours, set.images.length, t);
    if (r === 0) {
      const again = await timed(process.execPath, prepareArgs);
      if ((JSON.parse(again.stdout.trim().split('\n').pop()!) as { built: number }).built !== 0) throw new Error('the second run rebuilt shards');
      row.cached = again.wall;
    }
    await rm(outDir, { recursive: true, force: true });
    // One process alone (decodes still run on libuv's threads), against the default (two from 2,000 images on 2 cores).
    const one = await timed(process.execPath, ['--import', 'tsx', 'scripts/bench-prepare.ts', '--prepare-only', `${json},${outDir},1`, '--geometry', `${S}/${C}`, '--filter', filter]);
    record(row.one, set.images.length, one);
    await rm(outDir, { recursive: true, force: true });
    // The CLI as a user runs it: its start-up (imports of the Temporal SDK) included.
    record(row.cli, set.images.length, await timed(process.execPath, ['bin/dnnbench.js', 'prepare', ...set.cli, '--geometry', `${S}/${C}`, '--filter', filter, '--out', outDir]));
    await rm(outDir, { recursive: true, force: true });
    record(row.pil, set.images.length, await pilRun('full'));
    record(row.decode, set.images.length, await pilRun('decode'));
    process.stderr.write(`${set.name} round ${r + 1}: images/s ours ${row.ours.rate.at(-1)!.toFixed(0)}, 1 process ${row.one.rate.at(-1)!.toFixed(0)}, CLI ${row.cli.rate.at(-1)!.toFixed(0)}, ` +
      `PIL ${row.pil.rate.at(-1)!.toFixed(0)}, PIL decode ${row.decode.rate.at(-1)!.toFixed(0)}; load ${os.loadavg()[0]!.toFixed(1)}\n`);
  }
  rows.push(row);
}
await rm(work, { recursive: true, force: true });

const fmt = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const ratio = (a: number[], b: number[]) => fmt(a.map((x, i) => x / b[i]!), 2);
const pil = (await run(python, ['-c', 'import PIL; print(PIL.__version__)'])).stdout.trim();
console.log(`${os.cpus()[0]?.model}, ${cores} cores, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
  `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, Pillow ${pil}; geometry ${S}/${C}, filter ${filter}; ` +
  `${rounds} rounds alternating, median (min–max); every command timed whole by /usr/bin/time, CPU = user + sys of it and its children`);
console.log('\nimages/s (wall):\n');
console.log(`| set | images | dnnbench (prepareDataset, default processes) | same, 1 process | \`dnnbench prepare\` CLI | PIL full, ${cores} processes | PIL decode only | dnnbench / PIL | CLI / PIL | dnnbench / decode-only | cached re-run (s) |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.set} | ${r.n} | ${fmt(r.ours.rate)} | ${fmt(r.one.rate)} | ${fmt(r.cli.rate)} | ${fmt(r.pil.rate)} | ${fmt(r.decode.rate)} | ` +
    `${ratio(r.ours.rate, r.pil.rate)} | ${ratio(r.cli.rate, r.pil.rate)} | ${ratio(r.ours.rate, r.decode.rate)} | ${r.cached.toFixed(2)} |`);
}
console.log('\nCPU ms per image (user + sys; robust to other jobs on the machine):\n');
console.log('| set | dnnbench (prepareDataset) | same, 1 process | `dnnbench prepare` CLI | PIL full | PIL decode only | PIL / dnnbench |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.set} | ${fmt(r.ours.cpuMs, 2)} | ${fmt(r.one.cpuMs, 2)} | ${fmt(r.cli.cpuMs, 2)} | ${fmt(r.pil.cpuMs, 2)} | ${fmt(r.decode.cpuMs, 2)} | ${ratio(r.pil.cpuMs, r.ours.cpuMs)} |`);
}
process.exit(0);

/** The former pipeline (before issue 4): libvips' own resize, kernel linear, sharp's colour handling. */
async function vipsCrop(input: Buffer, geometry: Geometry): Promise<Uint8Array> {
  const meta = await sharp(input).metadata();
  const size = resizedSize(meta.width!, meta.height!, geometry.resize);
  const { left, top } = centerCropOffsets(size.width, size.height, geometry.crop);
  const data = await sharp(input).toColourspace('srgb').removeAlpha().resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
    .extract({ left, top, width: geometry.crop, height: geometry.crop }).raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function difference(a: Uint8Array, b: Uint8Array): { mad: number; max: number; identical: number } {
  if (a.length !== b.length) throw new Error(`crops differ in size: ${a.length} vs ${b.length}`);
  let sum = 0;
  let max = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
    if (d === 0) same++;
  }
  return { mad: sum / a.length, max, identical: same / a.length };
}

async function fidelity(): Promise<void> {
  // Loaded here only: the timed --prepare-only processes must not pay for onnxruntime.
  const { resolveModel } = await import('../src/study/catalog.js');
  const { evaluateAccuracy } = await import('../src/accuracy/evaluate-accuracy.js');
  const { writeShard } = await import('../src/prepare/arrow-shards.js');
  const kit = kitDir();
  const python = (await run('bash', ['scripts/python-venv.sh'])).stdout.trim().split('\n').pop()!;
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-fidelity-'));
  const geometry = { resize: 256, crop: 224 };
  const kit227 = await kitImages(kit, 'val_227');
  const sets = [
    { name: 'kit val_227 (227x227, upscaled)', images: kit227 },
    { name: 'kit val_orig (full-size originals)', images: await kitImages(kit, 'val_orig') },
    { name: 'generated ~500x375 q90 (first 500)', images: (await generatedImages(kit, Number(args.generated))).images.slice(0, 500) },
  ];
  const pilCrops = async (images: LabelledImage[], filter: string) => {
    const list = path.join(work, 'list.txt');
    const out = path.join(work, 'pil.raw');
    await writeFile(list, images.map((i) => i.file).join('\n'));
    await run(python, ['scripts/python/pil_crops.py', list, out, String(geometry.resize), String(geometry.crop), filter], { maxBuffer: 1 << 20 });
    return new Uint8Array(await readFile(out));
  };
  const ours = async (images: LabelledImage[], crop: (b: Buffer) => Promise<Uint8Array>) => {
    const per = geometry.crop * geometry.crop * 3;
    const all = new Uint8Array(images.length * per);
    for (let i = 0; i < images.length; i++) all.set(await crop(await readFile(images[i]!.file)), i * per);
    return all;
  };
  console.log(`## Crops against PIL (${geometry.resize}/${geometry.crop}; sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, Pillow ${(await run(python, ['-c', 'import PIL; print(PIL.__version__)'])).stdout.trim()})`);
  console.log('| images | n | pipeline | PIL filter | mean abs. diff (of 255) | max | identical values |');
  console.log('|---|---|---|---|---|---|---|');
  const pipelines: [string, string, (b: Buffer) => Promise<Uint8Array>][] = [
    ['dnnbench linear', 'BILINEAR', (b) => cropImage(b, geometry, 'linear')],
    ['dnnbench cubic', 'BICUBIC', (b) => cropImage(b, geometry, 'cubic')],
    ['dnnbench lanczos3', 'LANCZOS', (b) => cropImage(b, geometry, 'lanczos3')],
    ['former: libvips resize, kernel linear', 'BILINEAR', (b) => vipsCrop(b, geometry)],
  ];
  for (const set of sets) {
    for (const [name, pilFilter, crop] of pipelines) {
      const d = difference(await ours(set.images, crop), await pilCrops(set.images, pilFilter));
      console.log(`| ${set.name} | ${set.images.length} | ${name} | ${pilFilter} | ${d.mad.toFixed(4)} | ${d.max} | ${(100 * d.identical).toFixed(2)}% |`);
    }
  }

  // Top-1 on val_227: our shards, the former libvips crops, and the independent reference.
  const { dir: oursDir, manifest: oursManifest } = await prepareDataset({
    images: kit227, geometry, resizeFilter: 'linear', labelSource: 'kit', outDir: path.join(work, 'ours'),
  });
  const vipsDir = path.join(work, 'vips');
  const vipsShards: DatasetManifest['shards'] = [];
  for (let s = 0; s * 1000 < kit227.length; s++) {
    const part = kit227.slice(s * 1000, (s + 1) * 1000);
    const file = `shard-${s}.arrow`;
    await writeShard(path.join(vipsDir, file), {
      ids: part.map((i) => i.id), labels: Int16Array.from(part.map((i) => i.label)), pixels: await ours(part, (b) => vipsCrop(b, geometry)), crop: geometry.crop,
    });
    vipsShards.push({ file, n: part.length, sha256: '' });
  }
  const vipsManifest: DatasetManifest = {
    key: 'vips', geometry, resizeFilter: 'linear', labelSource: 'kit', n: kit227.length, failed: [], shards: vipsShards,
    versions: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips ?? '' },
  };
  const { onnxruntime: runtime } = await import('../src/runtime/onnxruntime.js');
  const session = { provider: 'cpu' as const, threads: os.availableParallelism() };
  const rebatchCacheDir = path.join(dataDir(), 'cache', 'rebatched');
  console.log(`\n## Top-1 on the kit's val_227 (N = ${kit227.length}), ${os.cpus()[0]?.model}`);
  console.log('| model | dnnbench top-1 | reference top-1 (onnxruntime + PIL) | difference (points) | former libvips crops top-1 | dnnbench top-5 | reference top-5 |');
  console.log('|---|---|---|---|---|---|---|');
  for (const id of args.models!.split(',')) {
    const model = await resolveModel(id, kit);
    const a = await evaluateAccuracy({ model, datasetDir: oursDir, manifest: oursManifest, batchSize: 32, runtime, session, rebatchCacheDir });
    const v = await evaluateAccuracy({ model, datasetDir: vipsDir, manifest: vipsManifest, batchSize: 32, runtime, session, rebatchCacheDir });
    const ref = JSON.parse((await run(python, [
      'scripts/python/reference_accuracy.py', '--kit', kit, '--model', model.path,
      '--preprocessing', JSON.stringify(model.preprocessing), '--output', JSON.stringify(model.output),
    ], { maxBuffer: 1 << 20 })).stdout.trim().split('\n').pop()!) as { n: number; top1: number; top5: number };
    if (ref.n !== a.n) throw new Error(`${id}: reference evaluated ${ref.n} images, we ${a.n}`);
    const pct = (x: number) => (100 * x).toFixed(2);
    console.log(`| ${id} | ${pct(a.top1)} | ${pct(ref.top1)} | ${(100 * (a.top1 - ref.top1)).toFixed(2)} | ${pct(v.top1)} | ${pct(a.top5)} | ${pct(ref.top5)} |`);
  }
  await rm(work, { recursive: true, force: true });
}
