/**
 * A finished study asked for again at another --out (its id ignores --out): the results end up
 * where the command says, or, when the first folder is gone, the command says where they were and
 * how to measure the study again, and claims no folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server.js';
import { KIT, runCli, type CliRun } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

let work: string;
let first: CliRun;
const env = () => ({ TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(work, 'data') });
const study = async (out: string) => runCli(['study', '--config', path.join(work, 'study.yaml'), '--out', out, '--port', String(await freePort())], env());

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-it-out-'));
  // One model, one batch size, a few images: this test is about where results go, not about them.
  await writeFile(path.join(work, 'study.yaml'), [
    'models: [mobilenetv2-12-int8]',
    'devices: [{ queue: cpu-x86_64 }]',
    'batchSizes: [1]',
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2 }',
    `dataset: { kit: ${KIT}, limit: 8 }`,
  ].join('\n'));
  first = await study(path.join(work, 'first'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('the study finishes in the first folder', () => {
  assert.equal(first.code, 0, `exit ${first.code}\n${first.stderr}\n${first.stdout}`);
  assert.match(first.stdout, new RegExp(`done: ${path.join(work, 'first')}`));
});

test('asked for at a second folder, the finished study copies its results there', async () => {
  const second = path.join(work, 'second');
  const run = await study(second);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /already finished/);
  assert.match(run.stderr, new RegExp(`copied to ${second}`));
  assert.match(run.stdout, new RegExp(`done: ${second}`));
  for (const table of ['study.parquet', 'latency.parquet', 'models.parquet']) {
    assert.deepEqual(await readFile(path.join(second, table)), await readFile(path.join(work, 'first', table)), table);
  }
  const [row] = await queryParquet<{ model_id: string; status: string }>(`select model_id, status from '${second}/latency.parquet'`);
  assert.deepEqual({ ...row }, { model_id: 'mobilenetv2-12-int8', status: 'ok' });
});

test('with its results folders gone, it says where they were and how to run it again, and claims no folder', async () => {
  await rm(path.join(work, 'first'), { recursive: true });
  await rm(path.join(work, 'second'), { recursive: true });
  const third = path.join(work, 'third');
  const run = await study(third);
  assert.equal(run.code, 2, `exit ${run.code}\n${run.stderr}\n${run.stdout}`);
  assert.match(run.stderr, /already finished/);
  assert.match(run.stderr, new RegExp(`results in ${path.join(work, 'first')}, but that folder no longer holds them`));
  assert.match(run.stderr, /--id NAME/);
  assert.doesNotMatch(run.stderr + run.stdout, new RegExp(`(results in|done:|copied to) ${third}`));
  const left = await stat(third).then(() => readdir(third)).catch(() => []);
  assert.deepEqual(left, []);
});
