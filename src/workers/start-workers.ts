import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { createControlActivities, createDeviceActivities } from '../activities/index.js';
import { CONTROL_QUEUE } from '../config/settings.js';
import { checkQueueMatchesHost, probeHost } from '../host/queue-check.js';
import { explainConnectionError, type TemporalTarget } from '../temporal/connection-config.js';

export interface WorkerSetOptions {
  target: TemporalTarget;
  /** Device queues this process serves (its hardware). */
  deviceQueues: string[];
  /** Also serve the control queue: workflows and hardware-independent activities. */
  control: boolean;
}

export interface WorkerSet {
  /** Resolves when every worker has stopped (after shutdown(), or when one fails). */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;
/**
 * The SDK's own logs at WARN: its INFO lines would bury our progress display. Device workers run
 * activities only by design, so the SDK's warning that they poll no workflows is dropped too.
 */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (entry.message.startsWith('No workflows registered')) return;
      process.stderr.write(`${entry.level} ${entry.message} ${entry.meta ? JSON.stringify(entry.meta) : ''}\n`);
    }),
  });
}

/**
 * Starts the workers of one process. Device queues get one activity slot each: timings on one
 * device never overlap (docs/ARCHITECTURE.md). The control worker runs the workflows, so a Temporal
 * server plus `dnnbench worker` processes is a complete deployment.
 */
export async function startWorkers(opts: WorkerSetOptions): Promise<WorkerSet> {
  if (opts.deviceQueues.length) {
    const host = await probeHost();
    for (const q of opts.deviceQueues) checkQueueMatchesHost(q, host);
  }
  quietRuntime();
  const connection = await NativeConnection.connect(opts.target.connectionOptions).catch((err: unknown) => {
    throw explainConnectionError(opts.target, err);
  });
  const namespace = opts.target.namespace;
  const workers: Worker[] = [];
  if (opts.control) {
    workers.push(await Worker.create({
      connection, namespace, taskQueue: CONTROL_QUEUE,
      workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
      activities: createControlActivities(),
      maxConcurrentActivityTaskExecutions: 2,
    }));
  }
  for (const queue of new Set(opts.deviceQueues)) {
    workers.push(await Worker.create({
      connection, namespace, taskQueue: queue,
      activities: createDeviceActivities(),
      maxConcurrentActivityTaskExecutions: 1,
    }));
  }
  const run = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    run: run.finally(() => connection.close()),
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await run.catch(() => undefined);
    },
  };
}
