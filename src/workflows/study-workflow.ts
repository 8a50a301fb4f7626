import {
  ApplicationFailure, CancellationScope, executeChild, getExternalWorkflowHandle, isCancellation,
  proxyActivities, setHandler, TimeoutFailure, workflowInfo,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { ControlActivities, DatasetRef, DeviceActivities } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, ResolvedStudySpec } from '../study/study-spec.js';
import { CONTROL_ACTIVITY_OPTIONS, deviceProbeOptions } from './activity-options.js';
import { cellsOf, evaluatesAccuracy, variantsOf } from './cells.js';
import { deviceAccuracyWorkflow } from './device-accuracy-workflow.js';
import { deviceLatencyWorkflow, type LatencyCellResult } from './device-latency-workflow.js';
import { deviceServingWorkflow, type DeviceServingResult } from './device-serving-workflow.js';
import { deviceAccuracyWorkflowId, deviceLatencyWorkflowId, deviceServingWorkflowId } from './ids.js';
import { WORKFLOW_TASK_TIMEOUT } from './timeouts.js';
import { latencyEta, type LatencyEta, type RoundProgress } from './latency-eta.js';
import {
  cellDoneSignal, cellStartedSignal, dropDeviceSignal, progressQuery, roundProgressSignal, roundStartedSignal, skipModelSignal, type DeviceProgress, type StudyProgress,
} from './messages.js';

/** What one model gave on one device, for the CLI's summary; the figures themselves are in the tables. */
export interface DeviceModelResult {
  device: string;
  model: string;
  top1: number | null;
  latency: Omit<LatencyCellResult, 'model'>[];
}

export interface StudyResult {
  studyId: string;
  outDir: string;
  tables: Record<string, number>;
  results: DeviceModelResult[];
  /** Each device's capacity searches (serving section), for the CLI's summary. */
  serving: DeviceServingResult[];
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
 * A whole study: plan, prepare the dataset once per geometry, profile each model once, then per
 * device one accuracy child per model and one latency child for all its timing cells (repetitions
 * in interleaved rounds: device-latency-workflow.ts), on that device's queue, and finally the
 * Parquet tables.
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
    studyId: spec.id, phase: 'planning', devices: [], done: 0, total: 0, etaSeconds: null, etaHighSeconds: null, failures, skippedModels: [],
  };
  /** Per device, its latency rounds as reported so far (for the ETA). */
  const rounds = new Map<string, RoundProgress[]>();
  const deviceOf = (queue: string): DeviceProgress | undefined => progress.devices.find((d) => d.device === queue);
  /** Running children, by device and model, so signals can cancel them. */
  const scopes: { device: string; model: string; scope: CancellationScope }[] = [];
  const cancelWhere = (pred: (s: { device: string; model: string }) => boolean) => scopes.filter(pred).forEach((s) => s.scope.cancel());
  /** Ids of the devices' latency and serving children started so far (each measures every model: a skip is signalled to them). */
  const latencyChildren: string[] = [];
  const servingResults: DeviceServingResult[] = [];

  setHandler(progressQuery, () => {
    const now = Date.now();
    const etas = [...rounds.entries()]
      .filter(([device]) => deviceOf(device)?.state === 'active')
      .map(([, rs]) => latencyEta(rs, now, spec.timing.minRepetitions, spec.timing.maxRepetitions))
      .filter((e): e is LatencyEta => e !== null);
    if (etas.length) {
      // Devices measure side by side: the study waits for the slowest.
      progress.etaSeconds = Math.max(...etas.map((e) => e.lowSeconds));
      progress.etaHighSeconds = Math.max(...etas.map((e) => e.highSeconds));
    } else {
      const elapsed = (now - startedMs) / 1000;
      progress.etaSeconds = progress.done > 0 ? (elapsed / progress.done) * (progress.total - progress.done) : null;
      progress.etaHighSeconds = null;
    }
    progress.skippedModels = [...skippedModels];
    return progress;
  });
  setHandler(cellStartedSignal, (e) => {
    const d = deviceOf(e.device);
    if (d) d.current = `${e.model} ${e.cell}`;
  });
  setHandler(roundStartedSignal, (e) => {
    const d = deviceOf(e.device);
    if (d) d.current = `latency round ${e.round + 1}: ${e.cells} cells open`;
    const now = Date.now();
    rounds.set(e.device, [...(rounds.get(e.device) ?? []), { round: e.round, cells: e.cells, visited: 0, finished: 0, startedMs: now, reportedMs: now }]);
  });
  setHandler(roundProgressSignal, (e) => {
    const r = rounds.get(e.device)?.find((x) => x.round === e.round);
    if (r && e.visited > r.visited) Object.assign(r, { visited: e.visited, finished: e.finished, reportedMs: Date.now() });
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
    // A device's latency child measures every model: it drops this one, keeping the others.
    for (const id of latencyChildren) void getExternalWorkflowHandle(id).signal(skipModelSignal, model).catch(() => undefined);
  });
  setHandler(dropDeviceSignal, (queue) => {
    const d = deviceOf(queue);
    if (d && d.state === 'active') d.state = 'dropped';
    cancelWhere((s) => s.device === queue);
  });

  const plan = await control.planStudy(spec);
  const unknownServed = (spec.serving?.models ?? []).filter((id) => !plan.models.some((m) => m.id === id));
  if (unknownServed.length) {
    throw ApplicationFailure.nonRetryable(`serving.models names ${unknownServed.join(', ')}, not among the study's models (${plan.models.map((m) => m.id).join(', ')})`);
  }
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
  /** Children's failures that mean the device has no worker mark it gone; others are the model's. */
  const childFailed = (device: DeviceSpec, what: string, err: unknown) => {
    if (isCancellation(err)) return; // skipped or dropped by signal: its cells are listed as missing
    const progressOf = deviceOf(device.queue)!;
    if (isDeviceAbsent(err)) {
      if (progressOf.state === 'active') {
        progressOf.state = 'gone';
        failures.push(`${device.queue}: no worker took its tasks within ${spec.deviceDeadline}`);
      }
      return;
    }
    failures.push(`${device.queue} ${what}: ${messageOf(err)}`);
  };
  const inScope = async <T>(device: string, model: string, fn: () => Promise<T>): Promise<T> => {
    const scope = new CancellationScope();
    scopes.push({ device, model, scope });
    return scope.run(fn);
  };
  /**
   * A device: its accuracy cells (one child per model) and its latency cells (one child for all of
   * them, in interleaved rounds) start together; the device's worker takes their activities one at
   * a time (one timing at a time on a host), so several boards polling one queue share the cells.
   */
  const runDevice = async (device: DeviceSpec): Promise<DeviceModelResult[]> => {
    const progressOf = deviceOf(device.queue)!;
    const onDevice = proxyActivities<DeviceActivities>(deviceProbeOptions(device.queue, spec.deviceDeadline));
    let cores = 1;
    try {
      ({ cpu_cores: cores } = await onDevice.describeDevice({
        device: device.queue, outDir: spec.out, runtime: device.runtime, provider: device.provider, threads: device.threads,
      }));
    } catch (err) {
      if (!isDeviceAbsent(err)) throw err;
      progressOf.state = 'gone';
      failures.push(`${device.queue}: no worker took its tasks within ${spec.deviceDeadline}`);
      return [];
    }
    const common = { parentWorkflowId, device, outDir: spec.out, deviceDeadline: spec.deviceDeadline, heartbeatTimeout: spec.heartbeatTimeout };
    const accuracy = Promise.all(models.filter((m) => evaluatesAccuracy(device, m)).map(async (model) => {
      if (skippedModels.has(model.id) || progressOf.state !== 'active') return undefined;
      try {
        return await inScope(device.queue, model.id, () => executeChild(deviceAccuracyWorkflow, {
          workflowId: deviceAccuracyWorkflowId(spec.id, device.queue, model.id),
          workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
          args: [{ ...common, model, dataset: datasets.get(geometryKey(model))!, accuracyBatchSize: spec.accuracyBatchSize }],
        }));
      } catch (err) {
        childFailed(device, model.id, err);
        return undefined;
      }
    }));
    const latencyId = deviceLatencyWorkflowId(spec.id, device.queue);
    latencyChildren.push(latencyId);
    const latency = (async () => {
      const cells = models.filter((m) => !skippedModels.has(m.id))
        .flatMap((model) => variantsOf(device).flatMap((variant) => spec.batchSizes.map((batchSize) => ({
          model, dataset: datasets.get(geometryKey(model))!, batchSize, ...(variant ? { variant } : {}),
        }))));
      if (cells.length === 0 || progressOf.state !== 'active') return undefined;
      try {
        return await inScope(device.queue, '*', () => executeChild(deviceLatencyWorkflow, {
          workflowId: latencyId,
          workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
          args: [{ ...common, studyId: spec.id, cells, timing: spec.timing }],
        }));
      } catch (err) {
        childFailed(device, 'latency', err);
        return undefined;
      } finally {
        rounds.delete(device.queue); // its rounds are over: the ETA falls back to the cells left
      }
    })();
    const serving = (async () => {
      const section = spec.serving;
      if (!section || (section.devices && !section.devices.includes(device.queue))) return undefined;
      const served = models.filter((m) => !section.models || section.models.includes(m.id)).filter((m) => !skippedModels.has(m.id));
      if (served.length === 0 || progressOf.state !== 'active') return undefined;
      const servingId = deviceServingWorkflowId(spec.id, device.queue);
      latencyChildren.push(servingId);
      try {
        const result = await inScope(device.queue, '*', () => executeChild(deviceServingWorkflow, {
          workflowId: servingId,
          workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
          args: [{
            studyId: spec.id, device, cores, models: served.map((model) => ({ model, dataset: datasets.get(geometryKey(model))! })),
            serving: section, noise: spec.timing.noise, outDir: spec.out, deviceDeadline: spec.deviceDeadline, heartbeatTimeout: spec.heartbeatTimeout,
          }],
        }));
        failures.push(...result.failures);
        return result;
      } catch (err) {
        childFailed(device, 'serving', err);
        return undefined;
      }
    })();
    const [acc, lat, srv] = await Promise.all([accuracy, latency, serving]);
    if (srv) servingResults.push(srv);
    return models.flatMap((model) => {
      const top1 = acc.find((a) => a?.model === model.id)?.top1 ?? null;
      const cells = (lat?.cells ?? []).filter((c) => c.model === model.id).map(({ model: _m, ...c }) => c);
      return top1 === null && cells.length === 0 ? [] : [{ device: device.queue, model: model.id, top1, latency: cells }];
    });
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
  return { studyId: spec.id, outDir: spec.out, tables, results: perDevice.flat(), serving: servingResults, failures, missingCells };
}
