import { ApplicationFailure, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities, DeviceActivities } from '../activities/index.js';
import type { ResolvedStudySpec } from '../spec/study-spec.js';
import { deviceModelWorkflow, type DeviceModelResult } from './device-model-workflow.js';
import { deviceModelWorkflowId } from './ids.js';
import { cellDoneSignal, cellStartedSignal, progressQuery, type StudyProgress } from './messages.js';

export interface StudyResult {
  studyId: string;
  outDir: string;
  tables: Record<string, number>;
  results: DeviceModelResult[];
  failures: string[];
}

const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * A whole study: plan, prepare the dataset once per geometry, profile each model once, then one
 * child workflow per device × model on that device's queue, and finally the Parquet tables.
 * One model failing is recorded and the others go on.
 */
export async function studyWorkflow(spec: ResolvedStudySpec): Promise<StudyResult> {
  const startedMs = Date.now(); // workflow time: deterministic under replay
  const failures: string[] = [];
  const progress: StudyProgress = { studyId: spec.id, phase: 'planning', devices: [], done: 0, total: 0, etaSeconds: null, failures };
  setHandler(progressQuery, () => {
    const elapsed = (Date.now() - startedMs) / 1000;
    progress.etaSeconds = progress.done > 0 ? (elapsed / progress.done) * (progress.total - progress.done) : null;
    return progress;
  });
  setHandler(cellStartedSignal, (e) => {
    const d = progress.devices.find((x) => x.device === e.device);
    if (d) d.current = `${e.model} ${e.cell}`;
  });
  setHandler(cellDoneSignal, (e) => {
    const d = progress.devices.find((x) => x.device === e.device);
    if (d) { d.done++; d.current = null; }
    progress.done++;
    if (e.status && e.status !== 'ok') failures.push(`${e.device} ${e.model} ${e.cell}: ${e.status}`);
  });

  const plan = await control.planStudy(spec);
  const cellsPerModel = (d: { accuracy: boolean }) => spec.batchSizes.length + (d.accuracy ? 1 : 0);
  progress.devices = spec.devices.map((d) => ({ device: d.queue, done: 0, total: cellsPerModel(d) * plan.models.length, current: null }));
  progress.total = progress.devices.reduce((a, d) => a + d.total, 0);

  progress.phase = 'preparing';
  const geometries = [...new Map(plan.models.map((m) => [`${m.preprocessing.resize}/${m.preprocessing.crop}`, m.preprocessing])).values()];
  const datasets = new Map(await Promise.all(geometries.map(async (g) => {
    const ref = await control.prepareDataset({ spec, kit: plan.kit, geometry: { resize: g.resize, crop: g.crop } });
    return [`${g.resize}/${g.crop}`, ref] as const;
  })));

  progress.phase = 'profiling';
  const profiled = await Promise.allSettled(plan.models.map((model) => control.profileModel({ model, outDir: spec.out })));
  const models = plan.models.filter((model, i) => {
    const r = profiled[i]!;
    if (r.status === 'rejected') {
      failures.push(`${model.id}: ${messageOf(r.reason)}`);
      const skipped = spec.devices.reduce((a, d) => a + cellsPerModel(d), 0);
      progress.total -= skipped;
      for (const d of progress.devices) d.total -= cellsPerModel(spec.devices.find((s) => s.queue === d.device)!);
    }
    return r.status === 'fulfilled';
  });

  progress.phase = 'measuring';
  const parentWorkflowId = workflowInfo().workflowId;
  // Devices run in parallel; on one device, models run one after another (timings never overlap).
  const perDevice = await Promise.all(spec.devices.map(async (device) => {
    const onDevice = proxyActivities<DeviceActivities>({ taskQueue: device.queue, startToCloseTimeout: '5 minutes' });
    await onDevice.describeDevice({ device: device.queue, outDir: spec.out });
    const results: DeviceModelResult[] = [];
    for (const model of models) {
      try {
        results.push(await executeChild(deviceModelWorkflow, {
          workflowId: deviceModelWorkflowId(spec.id, device.queue, model.id),
          args: [{
            parentWorkflowId, device, model, dataset: datasets.get(`${model.preprocessing.resize}/${model.preprocessing.crop}`)!,
            batchSizes: spec.batchSizes, timing: spec.timing, accuracyBatchSize: spec.accuracyBatchSize, outDir: spec.out,
          }],
        }));
      } catch (err) {
        failures.push(`${device.queue} ${model.id}: ${messageOf(err)}`);
      }
    }
    return results;
  }));

  progress.phase = 'writing';
  const tables = await control.writeTables({
    outDir: spec.out,
    summary: { study_id: spec.id, spec_json: JSON.stringify(spec), cells_expected: progress.total, failures },
  });
  progress.phase = 'done';
  if (models.length === 0) throw ApplicationFailure.nonRetryable(`no model of study ${spec.id} could be profiled: ${failures.join('; ')}`);
  return { studyId: spec.id, outDir: spec.out, tables, results: perDevice.flat(), failures };
}

/** The innermost message of a Temporal failure chain: what actually went wrong. */
function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
