import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { createDeviceActivities, type DatasetRef, type DeviceActivities, type LatencyRepetitionOutcome } from '../../src/activities/index.js';
import { DeviceLock } from '../../src/host/device-lock.js';
import { probeHost } from '../../src/host/probe-host.js';
import { resolveModel, TORCHVISION_PREPROCESSING, type ResolvedModel } from '../../src/study/catalog.js';
import { prepareDataset } from '../../src/prepare/prepare.js';
import { kitImages } from '../../src/prepare/kit.js';
import { buildModel } from '../../src/onnx/build-model.js';
import { cellPath, readCell } from '../../src/results/cells.js';
import type { LatencyCell, RepetitionCell } from '../../src/results/cell-types.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { locationOf } from '../../src/results/location.js';
import { timingSpec } from '../../src/study/study-spec.js';
import { KIT, ROOT } from '../helpers/cli.js';
import { measureLatencyCell } from '../helpers/latency-cell.js';

// The real sweep activity (onnxruntime sessions, real crops, cell files) run outside a worker.
let work: string;
let dataset: DatasetRef;
let activities: DeviceActivities;
// Two repetitions each; other test files run beside this one, so the host is busy by design: not discarded.
const timing = timingSpec({ warmupRuns: 3, warmupSeconds: 0.1, minRuns: 8, minSeconds: 0.3, minRepetitions: 2, maxRepetitions: 2, noise: { discard: false } });

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-sweep-'));
  process.env.DNNBENCH_DATA = path.join(work, 'data');
  const geometry = { resize: 256, crop: 224 };
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(KIT, 'val_227', 8), geometry, resizeFilter: 'linear', labelSource: 'kit', cacheRoot: path.join(work, 'ds'),
  });
  dataset = { uri: locationOf(dir), n: manifest.n, failed: 0, geometry, name: 'kit[:8]' };
  activities = createDeviceActivities({ dataDir: path.join(work, 'data'), lock: new DeviceLock(), host: await probeHost() });
});

function run(model: ResolvedModel, batchSize: number, runtime: 'onnxruntime' | 'trtexec' = 'onnxruntime', isolation?: 'process' | 'worker'): Promise<LatencyCell> {
  return measureLatencyCell(activities, {
    device: runtime === 'onnxruntime' ? 'cpu-test' : 'jetson-test', outDir: path.join(work, 'out'), model, dataset, runtime, provider: 'cpu' as const, threads: 1, batchSize,
    timing: { ...timing, isolation },
  });
}

test('a batch that cannot run is a recorded cell, and the sweep goes on', async () => {
  // Fixed batch 1 with the batch baked into a Slice: batch 1 runs, batch 2 cannot be re-batched.
  const file = path.join(work, 'sliced.onnx');
  await writeFile(file, buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 224, 224] }],
    outputs: [{ name: 'y', dims: [1, 3, 224, 224] }],
    initializers: [
      { name: 'starts', dtype: 'int64', dims: [1], values: [0] },
      { name: 'ends', dtype: 'int64', dims: [1], values: [1] },
      { name: 'axes', dtype: 'int64', dims: [1], values: [0] },
    ],
    nodes: [{ op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['y'] }],
  }));
  const model: ResolvedModel = { id: 'sliced', path: file, preprocessing: TORCHVISION_PREPROCESSING, output: { classes: 1000, backgroundOffset: 0, kind: 'logits' }, preprocessingSource: 'spec' };
  const b1 = await run(model, 1);
  const b2 = await run(model, 2);
  assert.equal(b1.status, 'ok');
  assert.equal(b2.status, 'error');
  assert.match(b2.error!, /batch 2/);
  const cell = await readCell<LatencyCell>(cellPath(path.join(work, 'out'), 'latency', 'cpu-test', 'sliced', 'b2'));
  assert.equal(cell?.status, 'error', 'the failed batch is written as a cell too');
});

test('a real kit model at batch 2: timing rules honoured, memory and derived figures consistent', async () => {
  const model = await resolveModel('mobilenetv2-12-int8', KIT);
  const r = await run(model, 2);
  assert.equal(r.status, 'ok');
  assert.equal(r.isolation, 'process', 'timed in a process of its own by default');
  assert.ok(r.runs! >= 2 * timing.minRuns, 'runs are pooled over both repetitions');
  assert.deepEqual([r.repetitions, r.repetitions_discarded], [2, 0]);
  assert.ok(r.p50_ci_low_ms! <= r.p50_ms! && r.p50_ms! <= r.p50_ci_high_ms!, 'the interval holds the p50');
  assert.ok(['stable', 'noisy', 'drifting'].includes(r.stability!), r.stability_reason ?? '');
  assert.deepEqual(new Set(r.samples_repetition), new Set([0, 1]));
  assert.ok(r.min_ms! <= r.p50_ms! && r.p50_ms! <= r.p90_ms! && r.p90_ms! <= r.p99_ms! && r.p99_ms! <= r.max_ms!);
  assert.ok(Math.abs(r.per_image_ms! - r.p50_ms! / 2) < 1e-12);
  assert.ok(r.rss_static_bytes! >= r.rss_before_bytes! * 0.9 && r.rss_peak_bytes! >= r.rss_static_bytes! * 0.9);
  assert.equal(r.power_avg_w, null);
  assert.match(r.power_note!, /no power source/);
  const file = cellPath(path.join(work, 'out'), 'latency', 'cpu-test', model.id, 'b2');
  assert.equal(r.samples_ms?.length, r.runs);
  const reps = await readdir(path.join(work, 'out', '_cells', 'latency_repetitions', 'cpu-test', model.id, 'b2'));
  assert.deepEqual(reps.sort(), ['r0.json', 'r1.json']);
  // Run again: the finished cell is returned, not measured again.
  const before = (await stat(file)).mtimeMs;
  const again = await run(model, 2);
  assert.equal(again.p50_ms, r.p50_ms);
  assert.equal((await stat(file)).mtimeMs, before);
  // In the worker process when the spec says so: same rules, and the column says where.
  const inWorker = await run(model, 1, 'onnxruntime', 'worker');
  assert.deepEqual([inWorker.status, inWorker.isolation], ['ok', 'worker']);
  assert.ok(inWorker.runs! >= timing.minRuns);
});

test('runtime trtexec: the cell is timed by TensorRT\'s tool and its provider column says so; what it cannot observe stays null', async () => {
  // A stand-in trtexec on PATH that exports the documented formats (test/fixtures/trtexec/README.md).
  const bin = path.join(work, 'bin');
  const fixtures = path.join(ROOT, 'test/fixtures/trtexec');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(bin, 'trtexec'), `#!/bin/sh\necho "$@" > ${bin}/args\nfor a in "$@"; do case "$a" in --exportTimes=*) cp ${fixtures}/times.json "\${a#*=}";; --exportProfile=*) cp ${fixtures}/profile.json "\${a#*=}";; esac; done\n`);
  await chmod(path.join(bin, 'trtexec'), 0o755);
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  try {
    const model = await resolveModel('squeezenet1.1_caffe2_fp16_winml', KIT);
    const r = await run(model, 4, 'trtexec');
    assert.equal(r.isolation, 'process', 'trtexec runs in a process of its own');
    assert.equal(r.status, 'ok', r.error ?? '');
    assert.equal(r.provider, 'trtexec');
    assert.equal(r.p50_ms, 1.296);
    assert.equal(r.rebatched, true);
    assert.equal(r.rss_peak_bytes, undefined);
    const args = await readFile(path.join(bin, 'args'), 'utf8');
    assert.match(args, /--shapes=data_0:4x3x224x224/);
    assert.match(args, /--fp16/);
  } finally {
    process.env.PATH = savedPath;
  }
});

test('a repetition kept before the device\'s round-trip reference settled is discarded on a second look, and the cell measures another', async () => {
  const model = await resolveModel('squeezenet1.1_zoo-weights_opset13', KIT);
  // Only the cores' round trip may discard here (not the host's other readings, nor the two-thread ratio).
  const linkTiming = timingSpec({
    warmupRuns: 3, warmupSeconds: 0.1, minRuns: 8, minSeconds: 0.3, minRepetitions: 2, maxRepetitions: 2,
    noise: { maxStealFraction: 1, maxOtherCores: 100, maxCoreLinkFactor: 2, maxCoreShareFactor: null },
  });
  const outDir = path.join(work, 'out-link');
  const req = { device: 'cpu-link', outDir, model, dataset, runtime: 'onnxruntime' as const, provider: 'cpu' as const, threads: 1, batchSize: 1, timing: linkTiming };
  const first: LatencyRepetitionOutcome = await new MockActivityEnvironment().run(activities.measureLatencyRepetition, { ...req, round: 0 });
  assert.equal(first.done, false);
  const repDir = path.dirname(cellPath(outDir, 'latency_repetitions', 'cpu-link', model.id, 'b1', 'r0'));
  const r0 = JSON.parse(await readFile(path.join(repDir, 'r0.json'), 'utf8')) as RepetitionCell;
  assert.equal(r0.discarded, false);
  // As if r0 had been read in a slow state while the device had too few readings to judge it, and
  // the device's other cells had since read 1000 ns: the reference is now 1000 ns, r0 is 50× it.
  await writeFile(path.join(repDir, 'r0.json'), JSON.stringify({ ...r0, host_core_link_ns: 50_000 }));
  for (let k = 0; k < 6; k++) {
    const file = cellPath(outDir, 'latency_repetitions', 'cpu-link', `other-${k}`, 'b1', 'r0');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ ...r0, model_id: `other-${k}`, host_core_link_ns: 1000 }));
  }
  const cell = await measureLatencyCell(activities, req);
  const again = JSON.parse(await readFile(path.join(repDir, 'r0.json'), 'utf8')) as RepetitionCell;
  assert.equal(again.discarded, true);
  assert.match(again.discard_reasons.join('; '), /round trip between two cores took 50000 ns, above 2× the device's usual 1000 ns/);
  // The cell did not count it: two clean repetitions besides it.
  assert.equal(cell.repetitions, 2);
  assert.ok(cell.repetitions_discarded! >= 1, `discarded ${cell.repetitions_discarded}`);
});
