/**
 * The production-shaped path of docs/OPERATIONS.md, all real processes: scripts/temporal-cluster.sh
 * runs the Temporal server's four services as four processes on PostgreSQL, two `dnnbench worker`
 * processes serve two queues (two hosts, each with its own data folder). Mid-study the server is
 * killed with -9 and restarted, then PostgreSQL itself is stopped and started. The study completes
 * with every cell once and the accuracy of a clean run, and after a full restart of both the
 * finished study is still there to query.
 *
 * Needs the server built (Go) and PostgreSQL installed: where either cannot be had, the test skips
 * saying why; in CI (CI set) it fails instead, since .ci/run provides both.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { buildSpec } from '../../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import type { ResolvedStudySpec } from '../../src/study/study-spec.js';
import type { StudyResult } from '../../src/workflows/index.js';
import { studyWorkflowId } from '../../src/workflows/ids.js';
import { progressQuery } from '../../src/workflows/messages.js';
import { KIT, runCli } from '../helpers/cli.js';
import { connectClient, startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';
import { clusterScript, PostgresCluster } from '../helpers/postgres-cluster.js';

const MODELS = ['mobilenetv2-12-int8', 'squeezenet1.1_zoo-weights_opset13'];
const DEVICES = ['cpu-a', 'cpu-b'];
const BATCHES = [1, 2, 4];
const TIMING = 'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 1, minRepetitions: 2, maxRepetitions: 2 }';

/** Why this machine cannot run the cluster, or undefined when it can. */
async function missingPrerequisite(): Promise<string | undefined> {
  const build = await clusterScript(['build']);
  if (build.code !== 0) return `the Temporal server could not be found or built: ${build.stderr.trim().split('\n').pop()}`;
  const pg = [...(existsSync('/usr/lib/postgresql') ? await readdir('/usr/lib/postgresql') : [])]
    .some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  if (!pg && !process.env.PG_BIN) return 'no PostgreSQL server installed (Debian: apt-get install postgresql-15, or set PG_BIN)';
  return undefined;
}

let work: string;
let cluster: PostgresCluster | undefined;
const workers: WorkerProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let passed = false;
after(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await cluster?.stop().catch(() => undefined);
  // The database folder is 75 MB: kept only when something failed, to read its logs.
  if (passed) await rm(work, { recursive: true, force: true });
});

async function specFile(name: string, lines: string[]): Promise<ResolvedStudySpec> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(file, [`id: ${name}`, `out: ${path.join(work, 'shared', name)}`, `dataset: { kit: ${KIT}, limit: 48 }`, ...lines].join('\n'));
  return buildSpec({ config: file });
}

/** A client for one stretch of the test: the server it talks to is killed in between. */
async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(cluster!.address);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const progressOf = (spec: ResolvedStudySpec) => withClient((c) => c.workflow.getHandle(studyWorkflowId(spec.id)).query(progressQuery));

const accuracyOf = (out: string) => queryParquet<{ device: string; model_id: string; n_images: number; top1: number; top5: number }>(
  `select device, model_id, n_images, top1, top5 from '${out}/accuracy.parquet' order by all`);
const predictionsOf = (out: string, device: string) => queryParquet(
  `select model_id, image_id, label, top5_ids, correct_at_1, correct_at_5 from '${out}/predictions/*/${device}/*.parquet' order by model_id, image_id`);

/** Every cell file of a study, by kind (latency, accuracy, models, devices, ...). */
async function cellFiles(out: string): Promise<Record<string, string[]>> {
  const root = path.join(out, '_cells');
  const kinds: Record<string, string[]> = {};
  for (const kind of await readdir(root)) kinds[kind] = (await readdir(path.join(root, kind), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(path.relative(root, e.parentPath), e.name));
  return kinds;
}

test('Temporal on PostgreSQL: server killed -9 and PostgreSQL restarted mid-study; every cell once, accuracy as a clean run, queryable after a full restart', { timeout: 600_000 }, async (t) => {
  const missing = await missingPrerequisite();
  if (missing) {
    if (process.env.CI) throw new Error(`CI must run this test, but ${missing}`);
    t.skip(missing);
    return;
  }
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-pg-'));
  await chmod(work, 0o755);   // PostgreSQL runs as the postgres user when we are root: it must reach its folder
  const started = Date.now();
  cluster = new PostgresCluster(path.join(work, 'cluster'), ['--separate-services', '--port', 'auto', '--pg-port', 'auto']);
  await cluster.start();
  assert.equal((await cluster.serverPids()).length, 4, 'history, matching, frontend and worker as four processes');
  t.diagnostic(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cluster.address}`);

  const hostA = startWorkerProcess(cluster.address, ['--queue', 'cpu-a'], { DNNBENCH_DATA: path.join(work, 'host-a') });
  const hostB = startWorkerProcess(cluster.address, ['--queue', 'cpu-b', '--no-control'], { DNNBENCH_DATA: path.join(work, 'host-b') });
  workers.push(hostA, hostB);
  await Promise.all([hostA.ready, hostB.ready]);

  // The reference: the same models and images, one device, nothing going wrong.
  const clean = await specFile('clean', [`models: [${MODELS.join(', ')}]`, 'devices: [{ queue: cpu-a, accuracy: true }]', 'batchSizes: [1]', TIMING]);
  const cleanResult = await withClient((c) => c.workflow.execute('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(clean.id), args: [clean] })) as StudyResult;
  assert.deepEqual(cleanResult.missingCells, []);

  const spec = await specFile('outages', [
    `models: [${MODELS.join(', ')}]`,
    `devices: [${DEVICES.map((q) => `{ queue: ${q}, accuracy: true }`).join(', ')}]`,
    `batchSizes: [${BATCHES.join(', ')}]`,
    'heartbeatTimeout: 5s',
    TIMING,
  ]);
  await withClient((c) => c.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] }));

  // 1. The server's four processes killed with -9 once cells are being measured, restarted 2 s later.
  const beforeKill = await waitFor('the first measured cells', async () => {
    const p = await progressOf(spec);
    return p.done >= 2 ? p : undefined;
  });
  assert.ok(beforeKill.done < beforeKill.total, 'the kill lands mid-study');
  t.diagnostic(`server killed -9 at ${beforeKill.done}/${beforeKill.total} cells`);
  await cluster.killServer();
  await sleep(2000);
  await cluster.start();
  const afterKill = await waitFor('progress after the server restart', async () => {
    const p = await progressOf(spec);
    return p.done > beforeKill.done ? p : undefined;
  });

  // 2. PostgreSQL stopped under the running server, started 3 s later.
  assert.ok(afterKill.done < afterKill.total, 'the database outage lands mid-study');
  t.diagnostic(`PostgreSQL stopped at ${afterKill.done}/${afterKill.total} cells`);
  await cluster.stop('postgres');
  await sleep(3000);
  await cluster.start();

  const result = await withClient((c) => c.workflow.getHandle(studyWorkflowId(spec.id)).result()) as StudyResult;
  assert.deepEqual(result.missingCells, []);
  assert.deepEqual(result.failures, []);
  for (const w of workers) assert.equal(w.child.exitCode, null, `a worker survived both outages:\n${w.output()}`);

  // Every cell exactly once: one file per cell and kind, nothing half-written, one row per latency cell.
  const files = await cellFiles(spec.out);
  for (const [kind, list] of Object.entries(files)) assert.ok(list.every((f) => f.endsWith('.json')), `${kind}: ${list.join(', ')}`);
  assert.equal(files.latency?.length, DEVICES.length * MODELS.length * BATCHES.length, files.latency?.join('\n'));
  assert.equal(files.accuracy?.length, DEVICES.length * MODELS.length);
  const latency = await queryParquet<{ device: string; model_id: string; batch_size: number; status: string }>(
    `select device, model_id, batch_size, status from '${spec.out}/latency.parquet' order by all`);
  const keys = latency.map((r) => `${r.device} ${r.model_id} b${r.batch_size}`);
  assert.equal(new Set(keys).size, DEVICES.length * MODELS.length * BATCHES.length, keys.join('\n'));
  assert.ok(latency.every((r) => r.status === 'ok'), JSON.stringify(latency));

  // Accuracy on both hosts equals the clean run's, image by image.
  const reference = await accuracyOf(clean.out);
  const accuracy = await accuracyOf(spec.out);
  assert.equal(accuracy.length, DEVICES.length * MODELS.length);
  for (const row of accuracy) {
    const ref = reference.find((r) => r.model_id === row.model_id)!;
    assert.deepEqual({ n: row.n_images, top1: row.top1, top5: row.top5 }, { n: ref.n_images, top1: ref.top1, top5: ref.top5 }, `${row.device} ${row.model_id}`);
  }
  const refPredictions = await predictionsOf(clean.out, 'cpu-a');
  assert.equal(refPredictions.length, 48 * MODELS.length);
  for (const device of DEVICES) assert.deepEqual(await predictionsOf(spec.out, device), refPredictions, device);

  // 3. A full restart of both, no worker anywhere: the finished study is still there.
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await cluster.stop();
  await cluster.start();
  const status = await runCli(['status', spec.id], { TEMPORAL_ADDRESS: cluster.address });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`study ${spec.id}: completed`));
  await withClient(async (c) => {
    const handle = c.workflow.getHandle(studyWorkflowId(spec.id));
    assert.deepEqual(await handle.result(), result, 'the stored result, read back from PostgreSQL');
    const listed: string[] = [];
    for await (const w of c.workflow.list({ query: `WorkflowType = 'studyWorkflow' AND ExecutionStatus = 'Completed'` })) listed.push(w.workflowId);
    assert.deepEqual(listed.sort(), [studyWorkflowId(clean.id), studyWorkflowId(spec.id)].sort(), 'the visibility store lists both studies');
  });
  t.diagnostic(`whole test ${((Date.now() - started) / 1000).toFixed(1)} s`);
  passed = true;
});
