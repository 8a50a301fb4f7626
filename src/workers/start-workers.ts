import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { createControlActivities, createDeviceActivities, createServingActivities } from '../activities/index.js';
import { CONTROL_QUEUE, readSettings } from '../config/settings.js';
import { DeviceLock } from '../host/device-lock.js';
import { probeHost } from '../host/probe-host.js';
import { checkQueueMatchesHost } from '../host/queue-check.js';
import { explainConnectionError, type TemporalTarget } from '../temporal/connection-config.js';
import { OutageNotice, sdkLogSink, watchConnection } from '../temporal/outage-notice.js';

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

let runtimeNotice: OutageNotice | undefined;
/**
 * The SDK's own logs at WARN, the Rust core's forwarded to the same logger (else the core prints
 * them itself, with colour codes): its INFO lines would bury our progress display. Its retry
 * warnings while Temporal is unreachable become one line of ours (src/temporal/outage-notice.ts)
 * and are printed as well only with DNNBENCH_DEBUG. Device workers run activities only by design,
 * so the SDK's warning that they poll no workflows is dropped too. One runtime per process: the
 * first target's address names the outages.
 */
function quietRuntime(address: string): OutageNotice {
  if (runtimeNotice) return runtimeNotice;
  const notice = new OutageNotice({ address });
  runtimeNotice = notice;
  const sink = sdkLogSink(notice, { debug: readSettings().debug });
  Runtime.install({
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    logger: new DefaultLogger('WARN', (entry) => {
      if (entry.message.startsWith('No workflows registered')) return;
      sink(entry);
    }),
  });
  return notice;
}

/**
 * Starts the workers of one process. Device queues get one activity slot each: timings on one
 * device never overlap (docs/ARCHITECTURE.md). The control worker runs the workflows, so a Temporal
 * server plus `dnnbench worker` processes is a complete deployment. Settings are read and the host
 * probed here, once; the activities get them as explicit dependencies, and the device workers
 * share one lock.
 */
export async function startWorkers(opts: WorkerSetOptions): Promise<WorkerSet> {
  const settings = readSettings();
  const deviceQueues = [...new Set(opts.deviceQueues)];
  const host = deviceQueues.length ? await probeHost() : null;
  if (host) for (const q of deviceQueues) checkQueueMatchesHost(q, host);
  const notice = quietRuntime(opts.target.address);
  const connection = await NativeConnection.connect(opts.target.connectionOptions).catch((err: unknown) => {
    throw explainConnectionError(opts.target, err);
  });
  // The SDK logs only failures: this probe is what notices that Temporal is back.
  const watch = watchConnection(() => connection.workflowService.getSystemInfo({}), notice);
  const namespace = opts.target.namespace;
  const workers: Worker[] = [];
  if (opts.control) {
    workers.push(await Worker.create({
      connection, namespace, taskQueue: CONTROL_QUEUE,
      workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
      activities: createControlActivities({ dataDir: settings.dataDir, kitDir: settings.kitDir }),
      maxConcurrentActivityTaskExecutions: 2,
    }));
  }
  if (host) {
    const lock = new DeviceLock();
    for (const queue of deviceQueues) {
      workers.push(await Worker.create({
        connection, namespace, taskQueue: queue,
        activities: { ...createDeviceActivities({ dataDir: settings.dataDir, lock, host }), ...createServingActivities({ dataDir: settings.dataDir, lock, host }) },
        maxConcurrentActivityTaskExecutions: 1,
      }));
    }
  }
  const run = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    run: run.finally(() => {
      watch.stop();
      return connection.close();
    }),
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await run.catch(() => undefined);
    },
  };
}
