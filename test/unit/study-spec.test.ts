import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { presetSpec } from '../../src/study/presets.js';
import { loadStudySpecFile, parseStudySpec, resolveSpec, specHash } from '../../src/study/study-spec.js';

const minimal = { models: ['mobilenetv2-12-int8'], devices: [{ queue: 'cpu-x86_64', accuracy: true }] };

test('a minimal spec gets the SPEC.md defaults', () => {
  const spec = parseStudySpec(minimal);
  assert.deepEqual(spec.batchSizes, [1, 2, 4, 8, 16, 32, 64]);
  const { warmupRuns, warmupSeconds, minRuns, minSeconds, minRepetitions, maxRepetitions, targetPrecision } = spec.timing;
  // SPEC.md §2 (≥10 warm-up runs and ≥1 s, ≥50 timed runs and ≥3 s) and issue 18 (3 to 10 repetitions, ±2%).
  assert.deepEqual({ warmupRuns, warmupSeconds, minRuns, minSeconds, minRepetitions, maxRepetitions, targetPrecision },
    { warmupRuns: 10, warmupSeconds: 1, minRuns: 50, minSeconds: 3, minRepetitions: 3, maxRepetitions: 10, targetPrecision: 0.02 });
  assert.equal(spec.dataset.resizeFilter, 'linear');
  assert.equal(spec.devices[0]!.provider, 'cpu');
});

test('a device\'s runtime: absent means onnxruntime and leaves the parsed spec as it was; provider trtexec is the older spelling of runtime trtexec', () => {
  // What spec_json and the study id are computed from: exactly the fields a spec had before `runtime` existed.
  assert.equal(JSON.stringify(parseStudySpec(minimal).devices[0]), '{"queue":"cpu-x86_64","accuracy":true,"provider":"cpu"}');
  const device = (d: Record<string, unknown>) => parseStudySpec({ ...minimal, devices: [{ queue: 'jetson-orin', ...d }] }).devices[0];
  assert.deepEqual(device({ provider: 'cuda', threads: 4 }), { queue: 'jetson-orin', accuracy: false, threads: 4, provider: 'cuda' });
  assert.deepEqual(device({ runtime: 'onnxruntime', provider: 'tensorrt' }), { queue: 'jetson-orin', accuracy: false, runtime: 'onnxruntime', provider: 'tensorrt' });
  const trtexec = { queue: 'jetson-orin', accuracy: false, runtime: 'trtexec', provider: 'cpu' };
  assert.deepEqual(device({ runtime: 'trtexec' }), trtexec);
  assert.deepEqual(device({ provider: 'trtexec' }), trtexec);
  assert.throws(() => device({ runtime: 'trtexec', provider: 'cuda' }), /devices\.0\.provider: trtexec has no execution providers: drop provider \(cuda\)/);
  assert.throws(() => device({ runtime: 'onnxruntime', provider: 'trtexec' }), /devices\.0\.provider: trtexec is a runtime, not an onnxruntime execution provider/);
  assert.throws(() => device({ runtime: 'tvm' }), /devices\.0\.runtime/);
});

test('the error names every bad field by its path', () => {
  const bad = { ...minimal, devices: [{ queue: 'CPU X', accuracy: 'yes' }], batchSizes: [0, 2], timing: { minRuns: -1 } };
  assert.throws(() => parseStudySpec(bad, 'study spec s.yaml'), (err: Error) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /study spec s\.yaml/);
    for (const field of ['devices.0.queue', 'devices.0.accuracy', 'batchSizes.0', 'timing.minRuns']) {
      assert.match(err.message, new RegExp(field.replace(/\./g, '\\.')), `message should name ${field}:\n${err.message}`);
    }
    return true;
  });
});

test('unknown fields, empty model lists and repeated queues are refused', () => {
  assert.throws(() => parseStudySpec({ ...minimal, batchsizes: [1] }), /batchsizes/);
  assert.throws(() => parseStudySpec({ ...minimal, models: [] }), /models: name at least one model/);
  assert.throws(() => parseStudySpec({ ...minimal, devices: [{ queue: 'a' }, { queue: 'a' }] }), /queue "a" is listed twice/);
});

test('YAML and JSON files load; a broken file is named in the error', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-spec-'));
  const yamlFile = path.join(dir, 'study.yaml');
  await writeFile(yamlFile, 'id: kit-small\nmodels: [mobilenetv2-12-int8]\ndevices:\n  - queue: cpu-x86_64\nbatchSizes: [1, 2]\n');
  const fromYaml = await loadStudySpecFile(yamlFile);
  assert.equal(fromYaml.id, 'kit-small');
  assert.deepEqual(fromYaml.batchSizes, [1, 2]);
  const jsonFile = path.join(dir, 'study.json');
  await writeFile(jsonFile, JSON.stringify(minimal));
  assert.deepEqual((await loadStudySpecFile(jsonFile)).models, minimal.models);
  const broken = path.join(dir, 'broken.yaml');
  await writeFile(broken, 'models: [a\n  devices: {');
  await assert.rejects(loadStudySpecFile(broken), (err: Error) => err instanceof InputError && err.message.includes(broken));
  await assert.rejects(loadStudySpecFile(path.join(dir, 'missing.yaml')), /cannot read study spec .*missing\.yaml: ENOENT/);
});

test('the study id is stable for the same content and changes with it', () => {
  const a = parseStudySpec(minimal);
  const b = parseStudySpec({ ...minimal, out: '/elsewhere' });
  const c = parseStudySpec({ ...minimal, batchSizes: [1] });
  assert.equal(specHash(a), specHash(b));
  assert.notEqual(specHash(a), specHash(c));
  const r = resolveSpec(a, { idPrefix: 'quick', resultsRoot: '/r' });
  assert.equal(r.id, `quick-${specHash(a)}`);
  assert.equal(r.out, `/r/${r.id}`);
  assert.equal(resolveSpec(a, { resultsRoot: '/r', outOverride: '/o' }).out, '/o');
});

test('the quick preset is a valid spec on the local queue', () => {
  const spec = parseStudySpec(presetSpec('quick', 'cpu-x86_64'));
  assert.deepEqual(spec.batchSizes, [1, 2, 4]);
  assert.equal(spec.models.length, 2);
  assert.throws(() => presetSpec('nope', 'cpu-x86_64'), /unknown preset "nope"/);
});

test('a device\'s runtime variants: each names its settings over the device\'s; names are unique; trtexec has none', async () => {
  const { variantRuntime, cellsOf, latencyCell } = await import('../../src/workflows/cells.js');
  const spec = parseStudySpec({
    ...minimal, batchSizes: [1, 4],
    devices: [{ queue: 'cpu-x86_64', accuracy: true, threads: 2, variants: [{ name: 't2' }, { name: 't1', threads: 1, spinning: false, graphOptimization: 'basic' }] }],
  });
  const device = spec.devices[0]!;
  assert.deepEqual(variantRuntime(device, device.variants![0]), { provider: 'cpu', threads: 2, session: {} });
  assert.deepEqual(variantRuntime(device, device.variants![1]), { provider: 'cpu', threads: 1, session: { spinning: false, graphOptimization: 'basic' } });
  // No variants: the device's own settings, no session overrides, and the cell names of old.
  const plain = parseStudySpec(minimal).devices[0]!;
  assert.deepEqual(variantRuntime(plain, undefined), { provider: 'cpu' });
  assert.equal(latencyCell(4), 'b4');
  const model = { id: 'm', path: '/m.onnx', preprocessing: {} as never, output: {} as never, preprocessingSource: 'catalog' as const };
  assert.deepEqual(cellsOf(device, model, [1, 4]), ['accuracy', 'b1@t2', 'b4@t2', 'b1@t1', 'b4@t1']);
  const refused = (variants: unknown[], extra: Record<string, unknown> = {}) => assert.throws(
    () => parseStudySpec({ ...minimal, devices: [{ queue: 'cpu-x86_64', variants, ...extra }] }), InputError,
  );
  refused([{ name: 't1' }, { name: 't1', threads: 1 }]);
  refused([{ name: 'has space' }]);
  refused([{ name: 't1', threads: 0 }]);
  refused([{ name: 't1' }], { runtime: 'trtexec' });
  // deviceId is a GPU provider's option: refused where the variant runs on the CPU, passed on where it does not.
  refused([{ name: 'g0', deviceId: 0 }]);
  refused([{ name: 'g0', deviceId: 0, provider: 'cpu' }], { provider: 'cuda' });
  const gpu = parseStudySpec({ ...minimal, devices: [{ queue: 'gpu-h100', provider: 'cuda', variants: [{ name: 'g1', deviceId: 1, memPattern: false }] }] }).devices[0]!;
  assert.deepEqual(variantRuntime(gpu, gpu.variants![0]), { provider: 'cuda', session: { deviceId: 1, memPattern: false } });
  // A spec without variants keeps its id: the field is absent, not defaulted.
  assert.equal(JSON.stringify(parseStudySpec(minimal).devices[0]), '{"queue":"cpu-x86_64","accuracy":true,"provider":"cpu"}');
});
