import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { DatasetRef, DeviceActivities } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, TimingSpec } from '../study/study-spec.js';
import { deviceCellOptions } from './activity-options.js';
import { evaluatesAccuracy, latencyCell } from './cells.js';
import { cellDoneSignal, cellStartedSignal, type CellEvent } from './messages.js';

export interface DeviceModelInput {
  parentWorkflowId: string;
  device: DeviceSpec;
  model: ResolvedModel;
  dataset: DatasetRef;
  batchSizes: number[];
  timing: TimingSpec;
  accuracyBatchSize: number;
  outDir: string;
  /** How long a task may wait for a worker on the device's queue (each attempt). */
  deviceDeadline: string;
  heartbeatTimeout: string;
}

export interface DeviceModelResult {
  device: string;
  model: string;
  top1: number | null;
  latency: { batch: number; status: string; p50_ms: number | null }[];
}

/**
 * Every cell of one model on one device, in sequence on that device's queue: accuracy first (if
 * the device evaluates it), then each batch size. Cells already on disk return at once.
 */
export async function deviceModelWorkflow(input: DeviceModelInput): Promise<DeviceModelResult> {
  const { device, model } = input;
  const acts = proxyActivities<DeviceActivities>(deviceCellOptions(device.queue, input.heartbeatTimeout, input.deviceDeadline));
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  const notify = async (signal: typeof cellStartedSignal, cell: string, status?: string) => {
    const event: CellEvent = { device: device.queue, model: model.id, cell, status };
    await parent.signal(signal, event);
  };
  const common = { device: device.queue, outDir: input.outDir, model, dataset: input.dataset, runtime: device.runtime, provider: device.provider, threads: device.threads };

  let top1: number | null = null;
  if (evaluatesAccuracy(device, model)) {
    await notify(cellStartedSignal, 'accuracy');
    const acc = await acts.evaluateAccuracy({ ...common, batchSize: input.accuracyBatchSize });
    top1 = acc.top1;
    await notify(cellDoneSignal, 'accuracy', 'ok');
  }
  const latency: DeviceModelResult['latency'] = [];
  for (const b of input.batchSizes) {
    await notify(cellStartedSignal, latencyCell(b));
    const cell = await acts.measureLatency({ ...common, batchSize: b, timing: input.timing });
    latency.push({ batch: b, status: cell.status, p50_ms: cell.p50_ms ?? null });
    await notify(cellDoneSignal, latencyCell(b), cell.status);
  }
  return { device: device.queue, model: model.id, top1, latency };
}
