/**
 * The accuracy activity's resume promise, on a real dev server with real worker processes: a
 * worker killed with SIGKILL after the first shard's heartbeat reached the server; a new worker
 * retries the activity, which starts at shard 1 and ends with exactly the numbers and per-image
 * predictions of an uninterrupted run (evaluated afterwards in-process on the same shards).
 *
 * Sizing: `set: all` is 1,320 images = 2 shards (660 each). squeezenet1.0_tflite on one thread
 * at batch 8 takes well over ten seconds for shard 1, longer than the heartbeat throttle
 * (0.8 × heartbeatTimeout = 2.4 s) plus our polling, so the kill lands mid-shard 1.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { resolveModel } from '../../src/study/catalog.js';
import { buildSpec } from '../../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import type { DatasetManifest } from '../../src/prepare/prepare.js';
import { evaluateAccuracy, type AccuracyProgress } from '../../src/accuracy/evaluate-accuracy.js';
import { onnxruntime } from '../../src/runtime/onnxruntime.js';
import { predictionsDir } from '../../src/accuracy/predictions.js';
import type { AccuracyCell } from '../../src/results/cell-types.js';
import { cellPath } from '../../src/results/cells.js';
import { deviceAccuracyWorkflowId, studyWorkflowId } from '../../src/workflows/ids.js';
import { KIT } from '../helpers/cli.js';
import { connectClient, devServer, startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';

const MODEL = 'squeezenet1.0_tflite2018_opset13';
const QUEUE = 'cpu-resume';

test('kill -9 mid-accuracy: the retry resumes at shard 1 and equals an uninterrupted run', async () => {
  const started = performance.now();
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-acc-resume-'));
  const server = await devServer(path.join(work, 'temporal.db'));
  const env = { DNNBENCH_DATA: path.join(work, 'data') };
  const specPath = path.join(work, 'spec.yaml');
  await writeFile(specPath, [
    'id: acc-resume', `out: ${path.join(work, 'out')}`, `models: [${MODEL}]`,
    `devices: [{ queue: ${QUEUE}, accuracy: true, threads: 1 }]`, 'batchSizes: [1]',
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 2, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2 }',
    `dataset: { kit: ${KIT}, set: all }`, 'accuracyBatchSize: 8', 'heartbeatTimeout: 3s',
  ].join('\n'));
  const spec = await buildSpec({ config: specPath });
  const first = startWorkerProcess(server.address, ['--queue', QUEUE], env);
  let second: WorkerProcess | undefined;
  const { client, close } = await connectClient(server.address);
  try {
    await first.ready;
    const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
    const child = client.workflow.getHandle(deviceAccuracyWorkflowId(spec.id, QUEUE, MODEL));
    // What the server holds for the running accuracy activity: the last heartbeat that arrived.
    const beat = await waitFor('the first shard\'s heartbeat on the server', async () => {
      const pending = (await child.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'evaluateAccuracy');
      const payload = pending?.heartbeatDetails?.payloads?.[0];
      const details = payload ? defaultPayloadConverter.fromPayload<AccuracyProgress>(payload) : undefined;
      return details && details.nextShard >= 1 ? details : undefined;
    }, 240_000, 100);
    await first.kill('SIGKILL');
    assert.equal(beat.nextShard, 1, 'killed during shard 1 (of 2)');
    second = startWorkerProcess(server.address, ['--queue', QUEUE], env);
    await second.ready;
    await handle.result();

    const cell = JSON.parse(await readFile(cellPath(spec.out, 'accuracy', QUEUE, MODEL), 'utf8')) as AccuracyCell;
    assert.ok((cell.attempt ?? 0) >= 2, `finished by a retry, attempt ${cell.attempt}`);
    assert.equal(cell.resumed_from_shard, 1, 'the retry skipped the shard the heartbeat covered');
    assert.equal(cell.n_images, 1320);
    const table = await queryParquet<{ top1: number; resumed_from_shard: number }>(`select top1, resumed_from_shard from '${spec.out}/accuracy.parquet'`);
    assert.deepEqual(table.map((r) => [r.top1, r.resumed_from_shard]), [[cell.top1, 1]]);

    // The same evaluation uninterrupted, in this process, on the shards the study prepared.
    const datasets = path.join(env.DNNBENCH_DATA, 'cache', 'datasets');
    const [datasetDir] = (await readdir(datasets)).map((d) => path.join(datasets, d));
    const manifest = JSON.parse(await readFile(path.join(datasetDir!, 'manifest.json'), 'utf8')) as DatasetManifest;
    assert.equal(manifest.shards.length, 2);
    assert.equal(beat.n, manifest.shards[0]!.n, 'the heartbeat counted exactly shard 0');
    const baselineDir = path.join(work, 'baseline');
    const baseline = await evaluateAccuracy({
      model: await resolveModel(MODEL, KIT), datasetDir: datasetDir!, manifest, batchSize: 8,
      runtime: onnxruntime, session: { provider: 'cpu', threads: 1 }, predictions: { dir: baselineDir, device: QUEUE },
    });
    assert.deepEqual(
      { n: cell.n_images, top1: cell.top1, top5: cell.top5, nonFinite: cell.n_non_finite },
      { n: baseline.n, top1: baseline.top1, top5: baseline.top5, nonFinite: baseline.nonFinite },
    );
    const cols = 'image_id, label, top5_ids, top5_probs, correct_at_1, correct_at_5';
    const resumed = await queryParquet(`select ${cols} from '${predictionsDir(spec.out, MODEL, QUEUE)}/*.parquet' order by image_id`);
    const uninterrupted = await queryParquet(`select ${cols} from '${baselineDir}/*.parquet' order by image_id`);
    assert.equal(resumed.length, 1320);
    assert.deepEqual(resumed, uninterrupted, 'per-image predictions identical');
  } finally {
    await close();
    await first.kill();
    await second?.kill();
    await server.stop();
    await rm(work, { recursive: true, force: true });
    process.stderr.write(`accuracy resume test took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
});
