import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, waitHealthy } from '../../src/temporal/dev-server.js';
import { KIT, ROOT, runCli } from '../helpers/cli.js';
import { startWorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';

// A complete deployment from the CLI alone: `dnnbench dev-server`, a `dnnbench worker`, and
// `dnnbench study` with TEMPORAL_ADDRESS, which only submits and follows.
test('dev-server + worker + study --config with TEMPORAL_ADDRESS', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-deploy-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = spawn(process.execPath, [path.join(ROOT, 'bin/dnnbench.js'), 'dev-server', '--port', String(port), '--ui-port', String(await freePort()), '--db-filename', path.join(work, 'dev.db')], { cwd: ROOT });
  let serverOut = '';
  server.stderr.on('data', (d: Buffer) => { serverOut += d; });
  const env = { DNNBENCH_DATA: path.join(work, 'data') };
  let worker: ReturnType<typeof startWorkerProcess> | undefined;
  try {
    await waitHealthy(address, 120_000);
    worker = startWorkerProcess(address, ['--queue', 'cpu-x86_64'], env);
    await worker.ready;
    const spec = path.join(work, 'study.yaml');
    await writeFile(spec, [
      'id: deploy', 'models: [mobilenetv2-12-int8]', 'devices: [{ queue: cpu-x86_64, accuracy: true }]', 'batchSizes: [1]',
      'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2 }', `dataset: { kit: ${KIT}, limit: 32 }`,
    ].join('\n'));
    const out = path.join(work, 'out');
    const study = await runCli(['study', '--config', spec, '--out', out], { TEMPORAL_ADDRESS: address, ...env });
    assert.equal(study.code, 0, study.stderr);
    assert.doesNotMatch(study.stderr, /in-process worker|dev server on/, 'submits and follows only');
    assert.match(study.stdout, /study deploy done/);
    const acc = await queryParquet<{ n_images: number }>(`select n_images from '${out}/accuracy.parquet'`);
    assert.equal(Number(acc[0]!.n_images), 32);

    const status = await runCli(['status', 'deploy'], { TEMPORAL_ADDRESS: address });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /study deploy: completed/);
    const unknown = await runCli(['status', 'nope'], { TEMPORAL_ADDRESS: address });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no study "nope"/);
  } finally {
    await worker?.kill('SIGTERM');
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
  assert.match(serverOut, /temporal dev server on/);
});
