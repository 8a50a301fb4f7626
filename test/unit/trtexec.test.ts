import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseTrtexecProfile, parseTrtexecTimes, runTrtexec, trtexecArgs } from '../../src/runtime/trtexec.js';
import { ROOT } from '../helpers/cli.js';

const fixtures = path.join(ROOT, 'test/fixtures/trtexec');

test('trtexec --exportTimes records: per-inference latency and compute', async () => {
  const times = parseTrtexecTimes(await readFile(path.join(fixtures, 'times.json'), 'utf8'));
  assert.deepEqual(times.map((t) => t.latencyMs), [1.296, 1.287, 1.313]);
  assert.deepEqual(times.map((t) => t.computeMs), [1.256, 1.249, 1.271]);
  assert.throws(() => parseTrtexecTimes('[{"computeMs": 1}]', 'x.json'), /x\.json: record 0 lacks latencyMs/);
  assert.throws(() => parseTrtexecTimes('{', 'x.json'), /not JSON/);
});

test('trtexec --exportProfile: the count then one record per layer', async () => {
  const p = parseTrtexecProfile(await readFile(path.join(fixtures, 'profile.json'), 'utf8'));
  assert.equal(p.count, 100);
  assert.equal(p.layers.length, 3);
  assert.equal(p.layers[1]!.name, 'conv1 + relu1');
  assert.ok(Math.abs(p.layers.reduce((a, l) => a + l.percentage, 0) - 100) < 0.1);
});

test('the command line pins the shape and precision and exports both files', () => {
  const args = trtexecArgs({ modelPath: 'm.onnx', inputName: 'data', inputDims: [8, 3, 224, 224], precision: 'fp16', warmupSeconds: 1, minRuns: 50, minSeconds: 3 }, 't.json', 'p.json');
  for (const a of ['--onnx=m.onnx', '--shapes=data:8x3x224x224', '--fp16', '--warmUp=1000', '--iterations=50', '--duration=3', '--exportTimes=t.json', '--exportProfile=p.json', '--separateProfileRun']) {
    assert.ok(args.includes(a), a);
  }
});

test('runTrtexec reads what the tool exported (a stand-in executable writes the fixtures)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-trt-'));
  const fake = path.join(dir, 'trtexec');
  await writeFile(fake, `#!/bin/sh\nfor a in "$@"; do case "$a" in --exportTimes=*) cp ${fixtures}/times.json "\${a#*=}";; --exportProfile=*) cp ${fixtures}/profile.json "\${a#*=}";; esac; done\n`);
  await chmod(fake, 0o755);
  const m = await runTrtexec({ modelPath: 'm.onnx', inputName: 'data', inputDims: [1, 3, 224, 224], precision: 'fp32', warmupSeconds: 0, minRuns: 3, minSeconds: 0, command: fake });
  assert.deepEqual(m.samples_ms, [1.296, 1.287, 1.313], 'each record\'s latencyMs, in order (fixtures/trtexec/times.json)');
  assert.equal(m.layers.length, 3);
  assert.match(m.command, /--shapes=data:1x3x224x224/);
});
