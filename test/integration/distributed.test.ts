/**
 * The deployment of docs/OPERATIONS.md on one machine, all real processes: a dev server standing
 * in for the cluster and three `dnnbench worker` processes, each with its own data folder (three
 * hosts) and its own queue; host A also runs the control queue and prepares the dataset, hosts B
 * and C fetch its shards into their caches (verified by sha256). Host C is killed with -9 in the
 * middle of a timing cell and a replacement board (a new, empty data folder) takes over: every
 * cell exactly once, and the accuracy results equal those of a clean single-worker run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildSpec } from '../../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import type { DatasetManifest } from '../../src/prepare/prepare.js';
import type { ResolvedStudySpec } from '../../src/study/study-spec.js';
import { readDatasetManifest } from '../../src/prepare/shard-cache.js';
import { sha256File } from '../../src/prepare/sha256-file.js';
import type { DevServer } from '../../src/temporal/dev-server.js';
import type { StudyResult } from '../../src/workflows/index.js';
import { studyWorkflowId } from '../../src/workflows/ids.js';
import { progressQuery, type StudyProgress } from '../../src/workflows/messages.js';
import { KIT } from '../helpers/cli.js';
import { connectClient, devServer, startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';

const MODELS = 'models: [mobilenetv2-12-int8, squeezenet1.1_zoo-weights_opset13]';
let work: string;
let server: DevServer;
const workers: WorkerProcess[] = [];

async function specFile(name: string, lines: string[]): Promise<ResolvedStudySpec> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(file, [`id: ${name}`, `out: ${path.join(work, 'shared', name)}`, `dataset: { kit: ${KIT}, limit: 48 }`, ...lines].join('\n'));
  return buildSpec({ config: file });
}

function worker(host: string, queue: string, control: boolean): WorkerProcess {
  const w = startWorkerProcess(server.address, ['--queue', queue, ...(control ? [] : ['--no-control'])], { DNNBENCH_DATA: path.join(work, host) });
  workers.push(w);
  return w;
}

async function runStudy(spec: ResolvedStudySpec, during?: (progress: () => Promise<StudyProgress>) => Promise<void>): Promise<StudyResult> {
  const { client, close } = await connectClient(server.address);
  try {
    const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
    if (during) await during(() => handle.query(progressQuery));
    return (await handle.result()) as StudyResult;
  } finally {
    await close();
  }
}

const accuracyOf = (out: string) => queryParquet<{ device: string; model_id: string; n_images: number; top1: number; top5: number }>(
  `select device, model_id, n_images, top1, top5 from '${out}/accuracy.parquet' order by all`);
const predictionsOf = (out: string, device: string) => queryParquet(
  `select model_id, image_id, label, top5_ids, correct_at_1, correct_at_5 from '${out}/predictions/*/${device}/*.parquet' order by model_id, image_id`);

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-hosts-'));
  server = await devServer(path.join(work, 'cluster.db'));
});
after(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await server?.stop();
});

test('three hosts, three queues, one killed mid-study and replaced: every cell once, accuracy as a clean run', async () => {
  const a = worker('host-a', 'cpu-a', true);
  const b = worker('host-b', 'cpu-b', false);
  const c = worker('host-c', 'cpu-c', false);
  await Promise.all([a.ready, b.ready, c.ready]);

  const clean = await specFile('clean', [MODELS, 'devices: [{ queue: cpu-a, accuracy: true }]', 'batchSizes: [1]', 'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 2, minSeconds: 0, minRepetitions: 1, maxRepetitions: 1 }']);
  assert.deepEqual((await runStudy(clean)).missingCells, []);

  const spec = await specFile('three-hosts', [
    MODELS,
    'devices: [{ queue: cpu-a, accuracy: true }, { queue: cpu-b, accuracy: true }, { queue: cpu-c, accuracy: true }]',
    'batchSizes: [1, 2]',
    'heartbeatTimeout: 5s',
    // Three hosts time side by side on this one machine: host noise is the test's design, not a disturbance.
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 3, minRepetitions: 2, maxRepetitions: 2, noise: { discard: false } }',
  ]);
  let replacement: WorkerProcess | undefined;
  const result = await runStudy(spec, async (progress) => {
    await waitFor('host C in its latency rounds', async () => {
      const current = (await progress()).devices.find((d) => d.device === 'cpu-c')?.current;
      return current?.startsWith('latency round') || undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    await c.kill('SIGKILL');
    replacement = worker('host-c2', 'cpu-c', false);
    await replacement.ready;
  });
  assert.deepEqual(result.missingCells, []);
  assert.deepEqual(result.failures, []);

  // Every cell exactly once, all measured; the replacement measured repetitions of host C's cells.
  const latency = await queryParquet<{ device: string; model_id: string; batch_size: number; status: string; worker: string }>(
    `select device, model_id, batch_size, status, worker from '${spec.out}/latency.parquet' order by all`);
  assert.equal(latency.length, 12, JSON.stringify(latency));
  assert.equal(new Set(latency.map((r) => `${r.device} ${r.model_id} b${r.batch_size}`)).size, 12);
  assert.ok(latency.every((r) => r.status === 'ok'));
  const reps = await queryParquet<{ device: string; model_id: string; batch_size: number; repetition: number; worker: string }>(
    `select device, model_id, batch_size, repetition, worker from '${spec.out}/latency_repetitions.parquet' order by all`);
  assert.equal(reps.length, 24, 'two repetitions per cell, none lost or doubled by the kill');
  assert.ok(reps.some((r) => r.device === 'cpu-c' && r.worker === `${os.hostname()}:${replacement!.child.pid}`), 'the replacement measured on cpu-c');
  for (const device of ['cpu-a', 'cpu-b', 'cpu-c']) {
    const files = await readdir(path.join(spec.out, '_cells/latency', device), { recursive: true });
    assert.equal(files.filter((f) => f.endsWith('.json')).length, 4, `${device}: no duplicates or temporary files`);
  }

  // Accuracy on every host equals the clean run's, image by image.
  const reference = await accuracyOf(clean.out);
  const accuracy = await accuracyOf(spec.out);
  assert.equal(accuracy.length, 6);
  for (const row of accuracy) {
    const ref = reference.find((r) => r.model_id === row.model_id)!;
    assert.deepEqual({ n: row.n_images, top1: row.top1, top5: row.top5 }, { n: ref.n_images, top1: ref.top1, top5: ref.top5 }, `${row.device} ${row.model_id}`);
  }
  const refPredictions = await predictionsOf(clean.out, 'cpu-a');
  assert.equal(refPredictions.length, 96);
  for (const device of ['cpu-a', 'cpu-b', 'cpu-c']) assert.deepEqual(await predictionsOf(spec.out, device), refPredictions, device);

  // Host A prepared the dataset and read it in place; the others hold verified, content-named copies.
  const prepared = await readdir(path.join(work, 'host-a', 'cache', 'datasets'));
  assert.equal(prepared.length, 1);
  const manifest: DatasetManifest = await readDatasetManifest(path.join(work, 'host-a', 'cache', 'datasets', prepared[0]!));
  assert.ok(!(await readdir(path.join(work, 'host-a', 'cache')).catch((): string[] => [])).includes('shards'));
  for (const host of ['host-b', 'host-c2']) {
    const cached = (await readdir(path.join(work, host, 'cache', 'shards'))).sort();
    assert.deepEqual(cached, manifest.shards.map((s) => `${s.sha256}.arrow`).sort(), host);
    for (const s of manifest.shards) assert.equal(await sha256File(path.join(work, host, 'cache', 'shards', `${s.sha256}.arrow`)), s.sha256);
  }
});
