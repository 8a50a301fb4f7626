import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { buildSpec } from '../../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import type { ResolvedStudySpec } from '../../src/study/study-spec.js';
import type { DevServer } from '../../src/temporal/dev-server.js';
import type { StudyResult } from '../../src/workflows/index.js';
import { deviceAccuracyWorkflowId, deviceLatencyWorkflowId, latencyRoundWorkflowId, studyWorkflowId } from '../../src/workflows/ids.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { KIT, ROOT, runCli } from '../helpers/cli.js';
import { connectClient, devServer, startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/history');

async function specFile(dir: string, name: string, lines: string[]): Promise<ResolvedStudySpec> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, [`id: ${name}`, `out: ${path.join(dir, name)}`, `dataset: { kit: ${KIT}, limit: 64 }`, ...lines].join('\n'));
  return buildSpec({ config: file });
}

async function latencyRows(out: string) {
  return queryParquet<{ device: string; model_id: string; batch_size: number; status: string; worker: string }>(
    `select device, model_id, batch_size, status, worker from '${out}/latency.parquet' order by all`);
}

describe('orchestration on a real dev server with worker processes', () => {
  let work: string;
  let server: DevServer;
  const workers: WorkerProcess[] = [];
  const env = () => ({ DNNBENCH_DATA: path.join(work, 'data') });

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-orch-'));
    server = await devServer(path.join(work, 'shared.db'));
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.stop();
  });

  test('several workers: two queues, two boards on one queue: cells spread, none duplicated or lost', async () => {
    const a = startWorkerProcess(server.address, ['--queue', 'cpu-a'], env());
    const c = startWorkerProcess(server.address, ['--queue', 'cpu-a', '--no-control'], env());
    const b = startWorkerProcess(server.address, ['--queue', 'cpu-b', '--no-control'], env());
    workers.push(a, b, c);
    await Promise.all([a.ready, b.ready, c.ready]);
    const spec = await specFile(work, 'several', [
      'models: [mobilenetv2-12-int8, squeezenet1.1_zoo-weights_opset13]',
      'devices: [{ queue: cpu-a, boards: 2, accuracy: true }, { queue: cpu-b }]',
      'batchSizes: [1, 2]',
      'timing: { warmupRuns: 2, warmupSeconds: 0, minRuns: 5, minSeconds: 1, minRepetitions: 2, maxRepetitions: 2 }',
    ]);
    const { client, close } = await connectClient(server.address);
    try {
      const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
      const result = (await handle.result()) as StudyResult;
      assert.deepEqual(result.missingCells, []);
      const rows = await latencyRows(spec.out);
      assert.equal(rows.length, 8, JSON.stringify(rows));
      assert.equal(new Set(rows.map((r) => `${r.device} ${r.model_id} ${r.batch_size}`)).size, 8);
      assert.ok(rows.every((r) => r.status === 'ok'));
      const pid = (w: WorkerProcess) => `${os.hostname()}:${w.child.pid}`;
      const onA = new Set(rows.filter((r) => r.device === 'cpu-a').map((r) => r.worker));
      // A cell's row names the worker that ended it; its repetitions may have run on either board.
      const reps = await queryParquet<{ device: string; worker: string }>(`select device, worker from '${spec.out}/latency_repetitions.parquet'`);
      const repsOnA = new Set(reps.filter((r) => r.device === 'cpu-a').map((r) => r.worker));
      assert.deepEqual([...repsOnA].sort(), [pid(a), pid(c)].sort(), 'both boards of cpu-a measured repetitions');
      assert.ok([...onA].every((w) => repsOnA.has(w)));
      assert.ok(rows.filter((r) => r.device === 'cpu-b').every((r) => r.worker === pid(b)));
      assert.ok(reps.filter((r) => r.device === 'cpu-b').every((r) => r.worker === pid(b)));
      if (process.env.DNNBENCH_RECORD_HISTORY) {
        await writeFile(path.join(FIXTURES, 'study-workflow.json'), historyToJSON(await handle.fetchHistory()));
        const save = async (name: string, id: string) => writeFile(path.join(FIXTURES, `${name}.json`), historyToJSON(await client.workflow.getHandle(id).fetchHistory()));
        await save('device-accuracy-workflow', deviceAccuracyWorkflowId(spec.id, 'cpu-a', 'mobilenetv2-12-int8'));
        await save('device-latency-workflow', deviceLatencyWorkflowId(spec.id, 'cpu-a'));
        await save('latency-round-workflow', latencyRoundWorkflowId(spec.id, 'cpu-a', 0));
      }
    } finally {
      await close();
    }
  });

  test('a device whose worker never comes: the study finishes with the others and lists the missing cells', async () => {
    if (!workers.some((w) => w.child.exitCode === null)) workers.push(startWorkerProcess(server.address, ['--queue', 'cpu-a'], env()));
    const spec = await specFile(work, 'deadline', [
      'models: [mobilenetv2-12-int8]',
      'devices: [{ queue: cpu-a }, { queue: gpu-nobody }]',
      'batchSizes: [1]',
      'deviceDeadline: 3s',
      'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0 }',
    ]);
    const { client, close } = await connectClient(server.address);
    try {
      const result = (await client.workflow.execute('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] })) as StudyResult;
      assert.deepEqual(result.missingCells, ['gpu-nobody mobilenetv2-12-int8 b1']);
      assert.ok(result.failures.some((f) => f.startsWith('gpu-nobody: no worker')), result.failures.join('\n'));
      const rows = await latencyRows(spec.out);
      assert.deepEqual(rows.map((r) => r.device), ['cpu-a']);
      const study = await queryParquet<{ missing_cells: string[] }>(`select missing_cells from '${spec.out}/study.parquet'`);
      assert.deepEqual(study[0]!.missing_cells, ['gpu-nobody mobilenetv2-12-int8 b1']);
    } finally {
      await close();
    }
  });

  test('skip-model from the CLI: the running study drops that model and lists its cells as missing', async () => {
    if (!workers.some((w) => w.child.exitCode === null)) workers.push(startWorkerProcess(server.address, ['--queue', 'cpu-a'], env()));
    const spec = await specFile(work, 'skipping', [
      'models: [mobilenetv2-12-int8, resnet50_keras_opset13]',
      'devices: [{ queue: cpu-a }]',
      'batchSizes: [1, 2]',
      'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 1 }',
    ]);
    const { client, close } = await connectClient(server.address);
    try {
      const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
      await waitFor('measuring', async () => (await handle.query(progressQuery)).phase === 'measuring');
      const r = await runCli(['skip-model', spec.id, 'resnet50_keras_opset13'], { TEMPORAL_ADDRESS: server.address });
      assert.equal(r.code, 0, r.stderr);
      const result = (await handle.result()) as StudyResult;
      assert.ok(result.missingCells.some((c) => c.startsWith('cpu-a resnet50_keras_opset13')), result.missingCells.join('\n'));
      assert.ok(!result.missingCells.some((c) => c.includes('mobilenetv2')));
      assert.deepEqual((await handle.query(progressQuery)).skippedModels, ['resnet50_keras_opset13']);
    } finally {
      await close();
    }
  });
});

describe('the core promise: kill -9 a worker mid-timing, restart the dev server mid-study', () => {
  test('the study completes with exactly one result per cell', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-kill-'));
    const db = path.join(work, 'temporal.db');
    let server = await devServer(db);
    const port = Number(server.address.split(':')[1]);
    const env = { DNNBENCH_DATA: path.join(work, 'data') };
    const spec = await specFile(work, 'killed', [
      'models: [mobilenetv2-12-int8, squeezenet1.1_zoo-weights_opset13]',
      'devices: [{ queue: cpu-x86_64, accuracy: true }]',
      'batchSizes: [1, 2]',
      'heartbeatTimeout: 5s',
      'timing: { warmupRuns: 2, warmupSeconds: 0, minRuns: 5, minSeconds: 4, minRepetitions: 2, maxRepetitions: 2, noise: { discard: false } }',
    ]);
    const first = startWorkerProcess(server.address, ['--queue', 'cpu-x86_64'], env);
    let second: WorkerProcess | undefined;
    try {
      await first.ready;
      let conn = await connectClient(server.address);
      const handle = await conn.client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
      // Kill the worker a second into the latency rounds (each repetition lasts at least 4 s). The
      // accuracy passes and dataset preparation come first; once (CI, 2026-12-03, a clean clone on a
      // loaded 2-vCPU VM) the rounds had not started after the default two minutes, so this waits five.
      await waitFor('a latency round to start', async () => (await handle.query(progressQuery)).devices[0]?.current?.startsWith('latency round') || undefined, 300_000);
      await new Promise((r) => setTimeout(r, 1000));
      await first.kill('SIGKILL');
      second = startWorkerProcess(server.address, ['--queue', 'cpu-x86_64'], env);
      await second.ready;
      const doneBefore = (await handle.query(progressQuery)).done;
      await waitFor('progress after the restart', async () => (await handle.query(progressQuery)).done > doneBefore);
      // Now the server: stop it and bring it back on the same port and db file.
      await conn.close();
      await server.stop();
      server = await devServer(db, port);
      conn = await connectClient(server.address);
      const result = (await conn.client.workflow.getHandle(handle.workflowId).result()) as StudyResult;
      await conn.close();
      assert.deepEqual(result.missingCells, []);

      const rows = await latencyRows(spec.out);
      assert.equal(rows.length, 4);
      assert.equal(new Set(rows.map((r) => `${r.model_id} ${r.batch_size}`)).size, 4);
      assert.ok(rows.every((r) => r.status === 'ok'));
      const cellFiles = await readdir(path.join(spec.out, '_cells/latency/cpu-x86_64'), { recursive: true });
      assert.equal(cellFiles.filter((f) => f.endsWith('.json')).length, 4, 'no temp files or duplicates left');
      // The repetition the kill interrupted left no file; its retry wrote it: each cell's repetitions
      // are numbered 0..n-1 without a gap or a double, and the new worker measured some of them.
      const reps = await queryParquet<{ model_id: string; batch_size: number; repetition: number; worker: string }>(
        `select model_id, batch_size, repetition, worker from '${spec.out}/latency_repetitions.parquet' order by all`);
      for (const r of rows) {
        const mine = reps.filter((x) => x.model_id === r.model_id && Number(x.batch_size) === Number(r.batch_size)).map((x) => Number(x.repetition));
        assert.deepEqual(mine, mine.map((_, i) => i), `${r.model_id} b${r.batch_size}: repetitions ${mine.join(',')}`);
      }
      assert.ok(reps.some((x) => x.worker === `${os.hostname()}:${second!.child.pid}`), 'the new worker measured repetitions');
      const repFiles = await readdir(path.join(spec.out, '_cells/latency_repetitions/cpu-x86_64'), { recursive: true });
      assert.equal(repFiles.filter((f) => f.endsWith('.json')).length, reps.length, 'no temp files left beside the repetitions');
      const acc = await queryParquet<{ n_images: number }>(`select n_images from '${spec.out}/accuracy.parquet'`);
      assert.deepEqual(acc.map((r) => Number(r.n_images)), [64, 64]);
    } finally {
      await first.kill();
      await second?.kill();
      await server.stop();
    }
  });
});
