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
