import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { PROJECT_ROOT, readSettings } from '../../src/config/settings.js';
import { runCli } from '../helpers/cli.js';

test('settings: defaults, relative paths resolved, flags read', async () => {
  const s = readSettings({});
  assert.equal(s.kitDir, path.join(PROJECT_ROOT, '../shared/kit'));
  assert.equal(s.dataDir, path.join(PROJECT_ROOT, 'data'));
  assert.equal(s.cacheDir, path.join(os.homedir(), '.cache', 'dnnbench'));
  assert.deepEqual([s.temporalCli, s.debug], [null, false]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-settings-'));
  const cli = path.join(dir, 'temporal');
  await writeFile(cli, '#!/bin/sh\n');
  await chmod(cli, 0o755);
  const set = readSettings({ DNNBENCH_DATA: path.relative(process.cwd(), path.join(dir, 'new-data')), DNNBENCH_KIT: dir, TEMPORAL_CLI: cli, DNNBENCH_DEBUG: 'Yes' });
  assert.equal(set.dataDir, path.join(dir, 'new-data'), 'a data folder that does not exist yet is fine: it is created on use');
  assert.deepEqual([set.kitDir, set.temporalCli, set.debug], [dir, cli, true]);
  assert.equal(readSettings({ DNNBENCH_DEBUG: '0' }).debug, false);
});

test('a bad setting is an input error naming the variable and what is wrong', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-settings-bad-'));
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a folder');
  const bad = (env: NodeJS.ProcessEnv, re: RegExp) => assert.throws(() => readSettings(env), (err: Error) => err instanceof InputError && re.test(err.message), JSON.stringify(env));
  bad({ DNNBENCH_DATA: file }, new RegExp(`DNNBENCH_DATA is ${file}, which is a file, not a folder`));
  bad({ DNNBENCH_KIT: path.join(dir, 'missing') }, /DNNBENCH_KIT is .*missing, which does not exist/);
  bad({ DNNBENCH_CACHE: file }, /DNNBENCH_CACHE is .*, which is a file, not a folder/);
  bad({ TEMPORAL_CLI: file }, /TEMPORAL_CLI is .*a-file, which is not executable/);
  bad({ TEMPORAL_CLI: dir }, /TEMPORAL_CLI is .*, which is a folder, not an executable/);
  bad({ DNNBENCH_DATA: '  ' }, /DNNBENCH_DATA is set but empty/);
  bad({ DNNBENCH_DEBUG: 'maybe' }, /DNNBENCH_DEBUG is "maybe", not one of/);
  // Every bad value at once, so one run shows them all.
  bad({ DNNBENCH_DATA: file, DNNBENCH_DEBUG: 'maybe' }, /DNNBENCH_DATA.*; DNNBENCH_DEBUG/);
});

test('the CLI checks settings before any command: exit 2, the message, no stack', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-settings-cli-'));
  const file = path.join(dir, 'data-is-a-file');
  await writeFile(file, '');
  const r = await runCli(['status', 'some-study'], { DNNBENCH_DATA: file, TEMPORAL_ADDRESS: '127.0.0.1:1' }, 60_000);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`dnnbench: bad setting: DNNBENCH_DATA is ${file}, which is a file, not a folder`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
