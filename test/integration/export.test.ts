/**
 * tools/export end to end: the cached export venv exports two small torchvision architectures with
 * random weights into the model cache; dnnbench resolves them from the catalog, profiles them
 * against torchvision's published figures, and sweeps them at batch 1 and 2.
 *
 * The venv (torch, ~5.6 GB) is created once by scripts/export-venv.sh (CI does it in .ci/run); if it
 * cannot be created here, these tests are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import { createDeviceActivities, type DatasetRef } from '../../src/activities/index.js';
import { DeviceLock } from '../../src/host/device-lock.js';
import { probeHost } from '../../src/host/probe-host.js';
import { resolveModel } from '../../src/study/catalog.js';
import { checkExport } from '../../src/profile/export-check.js';
import { exportedFiles, modelCacheDir, readExportSidecar } from '../../src/study/export-sidecar.js';
import { prepareDataset } from '../../src/prepare/prepare.js';
import { presetSpec } from '../../src/study/presets.js';
import { parseStudySpec, timingSpec } from '../../src/study/study-spec.js';
import { kitImages } from '../../src/prepare/kit.js';
import { loadOnnxModel } from '../../src/onnx/onnx-proto.js';
import { profileLoadedModel } from '../../src/profile/profile.js';
import { locationOf } from '../../src/results/location.js';
import { KIT, ROOT } from '../helpers/cli.js';
import { measureLatencyCell } from '../helpers/latency-cell.js';

const run = promisify(execFile);
const EXPORTER = path.join(ROOT, 'tools/export/export_torchvision.py');
const ARCHS = ['resnet18', 'mobilenet_v3_small'];

/** The export venv's python, or why there is none (then every test here is skipped). */
async function exportPython(): Promise<{ python?: string; skip?: string }> {
  try {
    // A first run installs torch (minutes); later runs only print the path.
    const { stdout } = await run('bash', [path.join(ROOT, 'scripts/export-venv.sh')], { maxBuffer: 1 << 22, timeout: 20 * 60_000 });
    return { python: stdout.trim().split('\n').pop()! };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { skip: `the torchvision export venv could not be created (scripts/export-venv.sh): ${(e.stderr || e.message).trim().split('\n').slice(-2).join(' ')}` };
  }
}

const venv = await exportPython();
if (venv.skip) console.log(`# SKIP export tests: ${venv.skip}`);
const skip = venv.skip ?? false;

function exporter(args: string[]) {
  return run(venv.python!, [EXPORTER, ...args], { maxBuffer: 1 << 22, timeout: 10 * 60_000 });
}

before(async () => {
  if (skip) return;
  // Into the real model cache (DNNBENCH_DATA or data/): CI exported them already, so this is quick.
  await exporter(['--random-weights', '--out', modelCacheDir(), ...ARCHS.flatMap((a) => ['--arch', a])]);
});

test('the exporter writes a complete sidecar and is idempotent', { skip }, async () => {
  const sidecar = (await readExportSidecar('tv_resnet18'))!;
  assert.ok(sidecar, 'tv_resnet18 exported with its sidecar');
  // Weights: random here, or pretrained where a machine had them (a pretrained file is kept).
  assert.ok(['random', 'pretrained'].includes(sidecar.weights));
  assert.equal(sidecar.source.torchvision, 'resnet18');
  assert.equal(sidecar.source.weights, 'ResNet18_Weights.IMAGENET1K_V1');
  assert.deepEqual(sidecar.preprocessing, {
    resize: 256, crop: 224, channelOrder: 'RGB', scale: 'unit', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW',
  });
  assert.equal(sidecar.exporter.opset, 17);
  assert.equal(sidecar.exporter.dynamo, false);
  assert.equal(sidecar.published.params, 11_689_512);
  assert.equal(sidecar.published.gmacs, 1.814);
  assert.equal(sidecar.shared_initializers, 0, 'no initializer stored once for several uses');
  assert.match(sidecar.versions.torch, /^2\.15\.0/);
  const before = (await stat(exportedFiles('tv_resnet18').onnx)).mtimeMs;
  const again = await exporter(['--random-weights', '--arch', 'resnet18', '--out', modelCacheDir()]);
  assert.match(again.stderr, /tv_resnet18: up to date/);
  assert.equal((await stat(exportedFiles('tv_resnet18').onnx)).mtimeMs, before, 'an up-to-date export is not redone');
});

test('pretrained weights that cannot be downloaded fail clearly and write nothing', { skip }, async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-export-'));
  try {
    await exporter(['--arch', 'squeezenet1_1', '--out', out]);
    // A machine with the network (or the weights in torch's cache) exports them: that is fine too.
    assert.equal((await readExportSidecarIn(out, 'tv_squeezenet1_1'))?.weights, 'pretrained');
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr ?? '', /pretrained weights for squeezenet1_1 .* could not be loaded.*--random-weights/s);
    await assert.rejects(stat(path.join(out, 'tv_squeezenet1_1.onnx')), 'no partial file is left');
  }
});

async function readExportSidecarIn(dir: string, id: string): Promise<{ weights: string } | undefined> {
  return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as { weights: string };
}

test('our MACs match torchvision\'s published figures within 2%, and params reconcile exactly', { skip }, async () => {
  for (const arch of ARCHS) {
    const id = `tv_${arch}`;
    const model = await loadOnnxModel(exportedFiles(id).onnx);
    const c = checkExport((await readExportSidecar(id))!, await profileLoadedModel(model), model.proto.graph!);
    assert.deepEqual(c.uncountedOps, [], `${id}: every op counted`);
    assert.ok(Math.abs(c.macsDiff) <= 0.02, `${id}: MACs ${c.macs} vs published ${c.publishedGmacs} G`);
    assert.ok(c.macsEqualWhenRounded, `${id}: MACs rounded to 3 decimals equal torchvision's`);
    // Published num_params less the BN scale/shift pairs the exporter folds into conv biases.
    assert.equal(c.params, c.expectedParams, `${id}: params`);
    assert.ok(c.moduleMatchesPublished);
  }
  // The exact figures (docs/PROFILE.md): ResNet-18 20 folded BNs, 4,800 channels.
  const r18 = await profileLoadedModel(await loadOnnxModel(exportedFiles('tv_resnet18').onnx));
  assert.equal(r18.macs, 1_814_073_344);
  assert.equal(r18.params, 11_689_512 - 4_800);
});

test('the catalog resolves exported models, marked random with their published top-1', { skip }, async () => {
  const m = await resolveModel('tv_mobilenet_v3_small', KIT);
  assert.equal(m.path, exportedFiles('tv_mobilenet_v3_small').onnx);
  assert.equal(m.preprocessing.crop, 224);
  assert.equal(m.publishedTop1, 67.668);
  assert.equal(m.weights, (await readExportSidecar('tv_mobilenet_v3_small'))!.weights);
});

test('a catalog architecture that was never exported is an input error naming the export command', async () => {
  const saved = process.env.DNNBENCH_DATA;
  process.env.DNNBENCH_DATA = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-nodata-'));
  try {
    await assert.rejects(resolveModel('tv_convnext_tiny', KIT), (err: Error) => {
      assert.equal(err.name, 'InputError');
      assert.match(err.message, /tv_convnext_tiny \(torchvision convnext_tiny\) has not been exported/);
      assert.match(err.message, /npm run export:models -- --arch convnext_tiny --random-weights/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.DNNBENCH_DATA;
    else process.env.DNNBENCH_DATA = saved;
  }
});

test('a short latency sweep (batch 1 and 2) on both exported models', { skip }, async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-export-sweep-'));
  const geometry = { resize: 256, crop: 224 };
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(KIT, 'val_227', 4), geometry, resizeFilter: 'linear', labelSource: 'kit', cacheRoot: path.join(work, 'ds'),
  });
  const dataset: DatasetRef = { uri: locationOf(dir), n: manifest.n, failed: 0, geometry, name: 'kit[:4]' };
  const timing = timingSpec({ warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0.1, minRepetitions: 1, maxRepetitions: 1, noise: { discard: false } });
  const activities = createDeviceActivities({ dataDir: path.join(work, 'data'), lock: new DeviceLock(), host: await probeHost() });
  for (const arch of ARCHS) {
    const model = await resolveModel(`tv_${arch}`, KIT);
    for (const batchSize of [1, 2]) {
      const cell = await measureLatencyCell(activities, {
        device: 'cpu-test', outDir: path.join(work, 'out'), model, dataset, provider: 'cpu' as const, threads: 1, batchSize, timing,
      });
      assert.equal(cell.status, 'ok', `${model.id} b${batchSize}: ${cell.error}`);
      assert.equal(cell.rebatched, false, 'the batch axis is dynamic: no re-batched copy');
      assert.ok(cell.runs! >= 3 && cell.p50_ms! > 0);
    }
  }
});

test('the papers preset: the catalog\'s torchvision architectures and the kit\'s five models, batch 1..64', () => {
  const spec = parseStudySpec(presetSpec('papers', 'cpu-x86_64'));
  const tv = spec.models.filter((m) => typeof m === 'string' && m.startsWith('tv_'));
  assert.ok(tv.length >= 25, `${tv.length} architectures`);
  for (const id of ['tv_alexnet', 'tv_vgg16', 'tv_vgg19', 'tv_googlenet', 'tv_inception_v3', 'tv_resnet152', 'tv_squeezenet1_0', 'tv_densenet169', 'tv_mobilenet_v3_large', 'tv_shufflenet_v2_x1_0', 'tv_mnasnet1_0', 'tv_resnext50_32x4d', 'tv_wide_resnet50_2', 'tv_efficientnet_b3', 'tv_regnet_y_400mf', 'tv_convnext_tiny']) {
    assert.ok(tv.includes(id), id);
  }
  assert.equal(spec.models.length - tv.length, 5);
  assert.deepEqual(spec.batchSizes, [1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(spec.devices, [{ queue: 'cpu-x86_64', accuracy: true, provider: 'cpu' }]);
});
