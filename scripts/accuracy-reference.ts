/**
 * docs/ACCURACY.md's table: each kit model's top-1/top-5 by dnnbench (the activity's code path:
 * src/prepare shards + src/accuracy) next to the independent reference (Python onnxruntime + PIL,
 * scripts/python/reference_accuracy.py) on the same kit images. Prints the table; with --write it
 * replaces the table between the markers in docs/ACCURACY.md, so it can be regenerated whenever
 * the dataset pipeline changes.
 *
 *   node --import tsx scripts/accuracy-reference.ts [--write] [--set val_227] [--models id,id] [--batch 32]
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { resolveModel } from '../src/study/catalog.js';
import { dataDir, kitDir, PROJECT_ROOT } from '../src/config/settings.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { codeVersion } from '../src/host/code-version.js';
import { describeDevice } from '../src/host/describe-device.js';
import { probeHost } from '../src/host/probe-host.js';
import { runtimeFacts } from '../src/runtime/registry.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { evaluateAccuracy } from '../src/accuracy/evaluate-accuracy.js';
import { kitImages } from '../src/prepare/kit.js';
import { referencePython } from '../test/helpers/reference.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: {
  write: { type: 'boolean', default: false },
  set: { type: 'string', default: 'val_227' },
  models: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13,squeezenet1.1_caffe2_fp16_winml,squeezenet1.0_tflite2018_opset13,mobilenetv2-12-int8,resnet50_keras_opset13' },
  batch: { type: 'string', default: '32' },
} });
const set = args.set as 'val_227' | 'val_orig' | 'all';
const BEGIN = '<!-- accuracy-table:begin (scripts/accuracy-reference.ts --write) -->';
const END = '<!-- accuracy-table:end -->';

const git = async (...a: string[]) => (await run('git', a, { cwd: PROJECT_ROOT })).stdout.trim();
const kit = kitDir();
const { dir: datasetDir, manifest } = await prepareDataset({
  images: await kitImages(kit, set), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear',
  labelSource: `${kit}/manifest.json`, cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
});
const device = describeDevice('cpu', await probeHost(), runtimeFacts().onnxruntime, {}, codeVersion());
const vnni = device.cpu_simd_flags.some((f) => /vnni/i.test(f));
const python = await referencePython();

/** scripts/python/reference_accuracy.py: PIL + Python onnxruntime, no dnnbench code. */
async function referenceAccuracy(model: { path: string; preprocessing: unknown; output: unknown }): Promise<{ n: number; top1: number; top5: number }> {
  const { stdout } = await run(python, [
    path.join(PROJECT_ROOT, 'scripts/python/reference_accuracy.py'), '--kit', kit, '--model', model.path, '--set', set,
    '--preprocessing', JSON.stringify(model.preprocessing), '--output', JSON.stringify(model.output),
  ], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { n: number; top1: number; top5: number };
}
const pct = (x: number) => (100 * x).toFixed(2);
const rows: string[] = [];
for (const id of args.models!.split(',')) {
  const model = await resolveModel(id, kit);
  const ours = await evaluateAccuracy({
    model, datasetDir, manifest, batchSize: Number(args.batch), runtime: onnxruntime, session: { provider: 'cpu' },
    rebatchCacheDir: path.join(dataDir(), 'cache', 'rebatched'),
  });
  const ref = await referenceAccuracy(model);
  if (ref.n !== ours.n) throw new Error(`${id}: we evaluated ${ours.n} images, the reference ${ref.n}`);
  const d1 = 100 * (ours.top1 - ref.top1);
  const d5 = 100 * (ours.top5 - ref.top5);
  rows.push(`| ${id} | ${ours.n} | ${pct(ours.top1)} | ${pct(ref.top1)} | ${d1.toFixed(2)} | ${pct(ours.top5)} | ${pct(ref.top5)} | ${d5.toFixed(2)} | ${Math.abs(d1) <= 0.5 ? 'yes' : '**no**'} |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}

const dirty = await git('status', '--porcelain', '--', 'src/prepare', 'src/accuracy', 'src/inputs');
const v = manifest.versions;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on commit ${await git('rev-parse', '--short', 'HEAD')}` +
    `${dirty ? ' with uncommitted changes in src/prepare, src/accuracy or src/inputs' : ''}; dataset pipeline ` +
    `${v.pipeline ?? 1}, resampler ${v.resampler ?? `sharp ${v.sharp} / libvips ${v.libvips}`}${manifest.pilFilter ? `, PIL filter ${manifest.pilFilter}` : ''}; ` +
    `kit set ${set}, ${manifest.n} images (${manifest.failed.length} failed); onnxruntime-node ${runtimeFacts().onnxruntime.version}, CPU ${device.cpu_model} ` +
    `(${vnni ? 'with' : 'without'} VNNI), batch ${args.batch}.`,
  '',
  '| model | n | top-1 dnnbench | top-1 reference | Δ top-1 (points) | top-5 dnnbench | top-5 reference | Δ top-5 | within 0.5 |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
if (args.write) {
  const file = path.join(PROJECT_ROOT, 'docs/ACCURACY.md');
  const doc = await readFile(file, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file} lacks the table markers`);
  await writeFile(file, `${doc.slice(0, a + BEGIN.length)}\n${table}\n${doc.slice(b)}`);
  console.error(`updated ${file}`);
}
