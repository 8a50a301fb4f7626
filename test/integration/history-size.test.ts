import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ControlActivities, DeviceActivities } from '../../src/activities/index.js';
import { TORCHVISION_PREPROCESSING, type ResolvedModel } from '../../src/study/catalog.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import { parseStudySpec, resolveSpec } from '../../src/study/study-spec.js';
import type { StudyResult } from '../../src/workflows/index.js';
import { deviceAccuracyWorkflowId, deviceLatencyWorkflowId, latencyRoundWorkflowId } from '../../src/workflows/ids.js';
import { connectClient, devServer } from '../helpers/cluster.js';

// The papers' scale (40 models x 4 devices x 7 batch sizes, accuracy on one device) with cells that
// cost nothing: the real workflows on a real server, with activities that return at once. What is
// measured is the event history the plan produces, which must stay far below Temporal's limits
// (51,200 events and 50 MB per history; the server warns from 10,240 events).
const MODELS = 40;
const DEVICES = ['cpu-x86_64', 'gpu-h100', 'jetson-tx1', 'jetson-orin'];
const BATCHES = [1, 2, 4, 8, 16, 32, 64];

const fakeModel = (i: number): ResolvedModel => ({
  id: `model-${String(i).padStart(2, '0')}`, path: `/models/m${i}.onnx`, preprocessing: TORCHVISION_PREPROCESSING,
  output: { classes: 1000, backgroundOffset: 0, kind: 'logits' }, preprocessingSource: 'default-torchvision',
});

const control = {
  planStudy: async () => ({ models: Array.from({ length: MODELS }, (_, i) => fakeModel(i)), kit: '/kit' }),
  prepareDataset: async (req: { geometry: { resize: number; crop: number } }) => ({ dir: '/ds', n: 50000, failed: 0, geometry: req.geometry, name: 'imagenet-val' }),
  profileModel: async () => ({}),
  writeTables: async () => ({}),
} as unknown as ControlActivities;

/** Each latency cell is done at its third repetition, as with the default minRepetitions on a quiet host. */
const REPETITIONS = 3;
const calls = new Map<string, number>();
const device = {
  describeDevice: async () => ({}),
  evaluateAccuracy: async () => ({ top1: 0.7 }),
  measureLatencyRepetition: async (req: { device: string; model: { id: string }; batchSize: number }) => {
    const key = `${req.device} ${req.model.id} ${req.batchSize}`;
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    return { done: n >= REPETITIONS, status: 'ok', p50_ms: 1, repetitions: n, discarded: 0, stability: n >= REPETITIONS ? 'stable' : null };
  },
} as unknown as DeviceActivities;

test('a 40 x 4 x 7 study keeps every event history bounded', { timeout: 900_000 }, async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-hist-'));
  const server = await devServer(path.join(work, 'temporal.db'));
  const connection = await NativeConnection.connect({ address: server.address });
  const { client, close } = await connectClient(server.address);
  try {
    const workers = [
      await Worker.create({
        connection, taskQueue: CONTROL_QUEUE, activities: control,
        workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
        maxConcurrentWorkflowTaskExecutions: 50,
      }),
      ...await Promise.all(DEVICES.map((q) => Worker.create({ connection, taskQueue: q, activities: device, maxConcurrentActivityTaskExecutions: 20 }))),
    ];
    const spec = resolveSpec(parseStudySpec({
      id: 'papers-scale', models: Array.from({ length: MODELS }, (_, i) => `/models/m${i}.onnx`),
      devices: DEVICES.map((queue, i) => ({ queue, accuracy: i === 0 })), batchSizes: BATCHES,
    }), { resultsRoot: work });
    const run = Promise.all(workers.map((w) => w.run()));
    const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: 'history-size', args: [spec] });
    const result = (await handle.result()) as StudyResult;
    workers.forEach((w) => w.shutdown());
    await run;

    assert.equal(result.results.length, MODELS * DEVICES.length);
    assert.deepEqual(result.missingCells, []);
    const parent = await handle.fetchHistory();
    const parentEvents = parent.events?.length ?? 0;
    const parentBytes = Buffer.byteLength(historyToJSON(parent));
    const events = async (id: string) => (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    const accuracyChild = await events(deviceAccuracyWorkflowId(spec.id, 'cpu-x86_64', 'model-00'));
    const latencyChild = await events(deviceLatencyWorkflowId(spec.id, 'cpu-x86_64'));
    const round = await events(latencyRoundWorkflowId(spec.id, 'cpu-x86_64', 0));
    process.stderr.write(`history: parent ${parentEvents} events, ${(parentBytes / 1e6).toFixed(2)} MB (JSON); accuracy child ${accuracyChild}, latency child ${latencyChild}, a round ${round} events\n`);
    assert.equal(calls.size, MODELS * BATCHES.length * DEVICES.length);
    assert.ok([...calls.values()].every((n) => n === REPETITIONS), 'every cell measured in three rounds, once per round');
    assert.ok(parentEvents < 10_240, `parent history has ${parentEvents} events`);
    assert.ok(parentBytes < 10e6, `parent history is ${parentBytes} bytes`);
    assert.ok(accuracyChild < 200);
    assert.ok(latencyChild < 200, `the latency child holds one child per round: ${latencyChild} events`);
    assert.ok(round < 10_240, `a round holds one activity per cell: ${round} events`);
  } finally {
    await close();
    await connection.close();
    await server.stop();
  }
});
