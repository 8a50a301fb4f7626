import {
  ApplicationFailure, CancellationScope, executeChild, isCancellation,
  proxyActivities, setHandler, TimeoutFailure, workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { ControlActivities, DatasetRef, DeviceActivities } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, ResolvedStudySpec } from '../study/study-spec.js';
import { CONTROL_ACTIVITY_OPTIONS, deviceProbeOptions } from './activity-options.js';
import { cellsOf } from './cells.js';
import { deviceModelWorkflow, type DeviceModelResult } from './device-model-workflow.js';
import { deviceModelWorkflowId } from './ids.js';
import { WORKFLOW_TASK_TIMEOUT } from './timeouts.js';
import {
  cellDoneSignal, cellStartedSignal, dropDeviceSignal, progressQuery, skipModelSignal, type DeviceProgress, type StudyProgress,
} from './messages.js';

export interface StudyResult {
  studyId: string;
  outDir: string;
  tables: Record<string, number>;
  results: DeviceModelResult[];
  failures: string[];
  /** Cells that were expected but have no result: device gone, model skipped or failed. */
  missingCells: string[];
}

const control = proxyActivities<ControlActivities>(CONTROL_ACTIVITY_OPTIONS);

/** True when a child or activity failed because no worker picked its task up before the deadline. */
function isDeviceAbsent(err: unknown): boolean {
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof TimeoutFailure && e.timeoutType === TimeoutType.SCHEDULE_TO_START) return true;
  }
  return false;
}

/** The innermost message of a Temporal failure chain: what actually went wrong. */
function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/**
 * A whole study: plan, prepare the dataset once per geometry, profile each model once, then one
 * child workflow per device × model on that device's queue, and finally the Parquet tables.
 *
 * All children of a device start together: the device's workers take their activities one at a
 * time (one slot each), so several boards polling one queue share the cells. A device whose
 * worker does not pick a task up within `deviceDeadline` is given up; the study finishes with the
 * others and lists the missing cells. One model failing never sinks the others.
 */
export async function studyWorkflow(spec: ResolvedStudySpec): Promise<StudyResult> {
  const startedMs = Date.now(); // workflow time: deterministic under replay
  const failures: string[] = [];
  const skippedModels = new Set<string>();
  const doneCells = new Set<string>();
  const progress: StudyProgress = {
    studyId: spec.id, phase: 'planning', devices: [], done: 0, total: 0, etaSeconds: null, failures, skippedModels: [],
  };
  const deviceOf = (queue: string): DeviceProgress | undefined => progress.devices.find((d) => d.device === queue);
  /** Running children, by device and model, so signals can cancel them. */
  const scopes: { device: string; model: string; scope: CancellationScope }[] = [];
  const cancelWhere = (pred: (s: { device: string; model: string }) => boolean) => scopes.filter(pred).forEach((s) => s.scope.cancel());

  setHandler(progressQuery, () => {
    const elapsed = (Date.now() - startedMs) / 1000;
    progress.etaSeconds = progress.done > 0 ? (elapsed / progress.done) * (progress.total - progress.done) : null;
    progress.skippedModels = [...skippedModels];
    return progress;
  });
  setHandler(cellStartedSignal, (e) => {
    const d = deviceOf(e.device);
    if (d) d.current = `${e.model} ${e.cell}`;
  });
  setHandler(cellDoneSignal, (e) => {
    const key = `${e.device} ${e.model} ${e.cell}`;
    if (doneCells.has(key)) return; // a retried child may report a cell twice
    doneCells.add(key);
    const d = deviceOf(e.device);
    if (d) { d.done++; d.current = null; }
    progress.done++;
    if (e.status && e.status !== 'ok') failures.push(`${key}: ${e.status}`);
  });
  setHandler(skipModelSignal, (model) => {
    skippedModels.add(model);
    cancelWhere((s) => s.model === model);
  });
  setHandler(dropDeviceSignal, (queue) => {
    const d = deviceOf(queue);
    if (d && d.state === 'active') d.state = 'dropped';
    cancelWhere((s) => s.device === queue);
  });

  const plan = await control.planStudy(spec);
  progress.devices = spec.devices.map((d) => ({ device: d.queue, done: 0, total: plan.models.reduce((n, m) => n + cellsOf(d, m, spec.batchSizes).length, 0), current: null, state: 'active' }));
  progress.total = progress.devices.reduce((a, d) => a + d.total, 0);

  progress.phase = 'preparing';
  const geometryKey = (m: ResolvedModel) => `${m.preprocessing.resize}/${m.preprocessing.crop}`;
  const geometries = [...new Map(plan.models.map((m) => [geometryKey(m), m.preprocessing])).values()];
  const datasets = new Map<string, DatasetRef>(await Promise.all(geometries.map(async (g) => {
    const ref = await control.prepareDataset({ spec, kit: plan.kit, geometry: { resize: g.resize, crop: g.crop } });
    return [`${g.resize}/${g.crop}`, ref] as const;
  })));

  progress.phase = 'profiling';
  const profiled = await Promise.allSettled(plan.models.map((model) => control.profileModel({ model, outDir: spec.out })));
  const models = plan.models.filter((model, i) => {
    const r = profiled[i]!;
    if (r.status === 'rejected') failures.push(`${model.id}: ${messageOf(r.reason)}`);
    return r.status === 'fulfilled';
  });

  progress.phase = 'measuring';
  const parentWorkflowId = workflowInfo().workflowId;
  const runDevice = async (device: DeviceSpec): Promise<DeviceModelResult[]> => {
    const progressOf = deviceOf(device.queue)!;
    const onDevice = proxyActivities<DeviceActivities>(deviceProbeOptions(device.queue, spec.deviceDeadline));
    try {
      await onDevice.describeDevice({ device: device.queue, outDir: spec.out });
    } catch (err) {
      if (!isDeviceAbsent(err)) throw err;
      progressOf.state = 'gone';
      failures.push(`${device.queue}: no worker took its tasks within ${spec.deviceDeadline}`);
      return [];
    }
    const results = await Promise.all(models.map(async (model) => {
      if (skippedModels.has(model.id) || progressOf.state !== 'active') return undefined;
      const scope = new CancellationScope();
      scopes.push({ device: device.queue, model: model.id, scope });
      try {
        return await scope.run(() => executeChild(deviceModelWorkflow, {
          workflowId: deviceModelWorkflowId(spec.id, device.queue, model.id),
          workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
          args: [{
            parentWorkflowId, device, model, dataset: datasets.get(geometryKey(model))!, deviceDeadline: spec.deviceDeadline, heartbeatTimeout: spec.heartbeatTimeout,
            batchSizes: spec.batchSizes, timing: spec.timing, accuracyBatchSize: spec.accuracyBatchSize, outDir: spec.out,
          }],
        }));
      } catch (err) {
        if (isCancellation(err)) return undefined; // skipped or dropped by signal: its cells are listed as missing
        if (isDeviceAbsent(err)) {
          if (progressOf.state === 'active') {
            progressOf.state = 'gone';
            failures.push(`${device.queue}: no worker took its tasks within ${spec.deviceDeadline}`);
          }
          return undefined;
        }
        failures.push(`${device.queue} ${model.id}: ${messageOf(err)}`);
        return undefined;
      }
    }));
    return results.filter((r): r is DeviceModelResult => r !== undefined);
  };
  const perDevice = await Promise.all(spec.devices.map(runDevice));

  const missingCells = spec.devices.flatMap((d) => plan.models.flatMap((m) => cellsOf(d, m, spec.batchSizes)
    .map((cell) => `${d.queue} ${m.id} ${cell}`).filter((key) => !doneCells.has(key))));

  progress.phase = 'writing';
  const tables = await control.writeTables({
    outDir: spec.out,
    summary: { study_id: spec.id, spec_json: JSON.stringify(spec), cells_expected: progress.total, failures, missing_cells: missingCells },
  });
  progress.phase = 'done';
  if (models.length === 0) throw ApplicationFailure.nonRetryable(`no model of study ${spec.id} could be profiled: ${failures.join('; ')}`);
  return { studyId: spec.id, outDir: spec.out, tables, results: perDevice.flat(), failures, missingCells };
}
