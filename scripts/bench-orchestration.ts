/**
 * Orchestration overhead on the quick preset: study wall time (workflow start → close) divided by
 * the sum of the activities' own durations (started → completed, from the event histories).
 * 1.00 would mean Temporal, the workflows and the hand-offs cost nothing.
 *
 *   npm run bench:orchestration
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { buildSpec } from '../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../src/config/settings.js';
import { temporalTarget } from '../src/temporal/connection-config.js';
import { freePort, startDevServer } from '../src/temporal/dev-server.js';
import { startWorkers } from '../src/workers/start-workers.js';
import { deviceAccuracyWorkflowId, latencyRoundWorkflowId, studyWorkflowId } from '../src/workflows/ids.js';

type Event = temporal.api.history.v1.IHistoryEvent;
const seconds = (e: Event) => Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;

/** Sum of (completed − started) over the activities of one history. */
function activitySeconds(events: Event[]): number {
  const started = new Map<number, number>();
  let sum = 0;
  for (const e of events) {
    if (e.activityTaskStartedEventAttributes) started.set(Number(e.eventId), seconds(e));
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) sum += seconds(e) - (started.get(Number(done.startedEventId)) ?? seconds(e));
  }
  return sum;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-bench-orch-'));
process.env.DNNBENCH_DATA = path.join(work, 'data');
const server = await startDevServer({ port: await freePort(), uiPort: await freePort(), dbFile: path.join(work, 'temporal.db') });
const spec = await buildSpec({ preset: 'quick', id: `bench-orch-${Date.now()}`, out: path.join(work, 'out') });
const workers = await startWorkers({ target: temporalTarget(server.address, {}), deviceQueues: spec.devices.map((d) => d.queue), control: true });
const connection = await Connection.connect({ address: server.address });
try {
  const client = new Client({ connection });
  const handle = await client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
  await handle.result();
  const parent = (await handle.fetchHistory()).events ?? [];
  const wall = seconds(parent.at(-1)!) - seconds(parent[0]!);
  let busy = activitySeconds(parent);
  const historyOf = async (id: string) => (await client.workflow.getHandle(id).fetchHistory().catch(() => undefined))?.events;
  for (const d of spec.devices) {
    // Accuracy children (models the device evaluates), then the latency rounds until the first that never ran.
    for (const m of spec.models) busy += activitySeconds((await historyOf(deviceAccuracyWorkflowId(spec.id, d.queue, String(m)))) ?? []);
    for (let round = 0; ; round++) {
      const events = await historyOf(latencyRoundWorkflowId(spec.id, d.queue, round));
      if (!events) break;
      busy += activitySeconds(events);
    }
  }
  console.log(`quick preset on ${os.cpus()[0]?.model} (${os.availableParallelism()} cores)`);
  console.log(`study wall ${wall.toFixed(2)} s, activities ${busy.toFixed(2)} s, overhead ratio ${(wall / busy).toFixed(3)}`);
} finally {
  await connection.close();
  await workers.shutdown();
  await server.stop();
}
process.exit(0);
