import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('an invalid spec is refused before anything starts, naming the bad field', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-bad-'));
  const file = path.join(dir, 'bad.json');
  await writeFile(file, JSON.stringify({ models: ['mobilenetv2-12-int8'], devices: [{ queue: 'cpu-x86_64' }], batchSizes: [1, -4] }));
  const r = await runCli(['study', '--config', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /batchSizes\.1/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(r.stderr, /dev server|worker on/, 'nothing was started');
});

test('a missing kit is explained: what is missing and which setting points at it', async () => {
  const r = await runCli(['study', '--preset', 'quick', '--out', path.join(os.tmpdir(), 'dnnbench-nokit')], {
    DNNBENCH_KIT: '/nonexistent/kit', TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(os.tmpdir(), 'dnnbench-nokit-data'),
  });
  assert.doesNotMatch(r.stderr, /dev server|worker on/, 'nothing was started');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /\/nonexistent\/kit/);
  assert.match(r.stderr, /DNNBENCH_KIT/);
});

test('dnnbench profile: JSON with the issue\'s fields; a file that is not ONNX is named, exit 2', async () => {
  const model = path.resolve(process.env.DNNBENCH_KIT ?? path.join(process.cwd(), '../shared/kit'), 'models/squeezenet1.1_zoo-weights_opset13.onnx');
  const r = await runCli(['profile', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const k of ['params', 'weight_bytes', 'file_bytes', 'macs', 'flops', 'by_op_type', 'traffic_bytes', 'arithmetic_intensity', 'uncounted_ops']) assert.ok(k in p, k);
  assert.equal(p.params, 1_235_496); // torchvision's published num_params for squeezenet1_1
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-notonnx-'));
  const bad = path.join(dir, 'model.onnx');
  await writeFile(bad, 'not a model');
  const e = await runCli(['profile', bad]);
  assert.equal(e.code, 2);
  assert.ok(e.stderr.includes(bad));
  assert.doesNotMatch(e.stderr, /\n\s+at /);
});
