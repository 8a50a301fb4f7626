import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { DatasetRef, DeviceActivities } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec } from '../study/study-spec.js';
import { deviceCellOptions } from './activity-options.js';
import { cellDoneSignal, cellStartedSignal, type CellEvent } from './messages.js';

export interface DeviceAccuracyInput {
  parentWorkflowId: string;
  device: DeviceSpec;
  model: ResolvedModel;
  dataset: DatasetRef;
  accuracyBatchSize: number;
  outDir: string;
  /** How long a task may wait for a worker on the device's queue (each attempt). */
  deviceDeadline: string;
  heartbeatTimeout: string;
}

export interface DeviceAccuracyResult {
  device: string;
  model: string;
  top1: number;
}

/** The accuracy cell of one model on one device, on that device's queue. A cell already on disk returns at once. */
export async function deviceAccuracyWorkflow(input: DeviceAccuracyInput): Promise<DeviceAccuracyResult> {
  const { device, model } = input;
  const acts = proxyActivities<DeviceActivities>(deviceCellOptions(device.queue, input.heartbeatTimeout, input.deviceDeadline));
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  const event: CellEvent = { device: device.queue, model: model.id, cell: 'accuracy' };
  await parent.signal(cellStartedSignal, event);
  const acc = await acts.evaluateAccuracy({
    device: device.queue, outDir: input.outDir, model, dataset: input.dataset, runtime: device.runtime, provider: device.provider,
    threads: device.threads, batchSize: input.accuracyBatchSize,
  });
  await parent.signal(cellDoneSignal, { ...event, status: 'ok' });
  return { device: device.queue, model: model.id, top1: acc.top1 };
}
