import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { DatasetRef, ResolvedScheduler, ServingActivities, ServingRunActivityRequest, ServingRunOutcome } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, SchedulerSpec, ServingSpec, TimingSpec } from '../study/study-spec.js';
import { capacityOf, nextTrialQps, searchFloorQps, type CapacityTrial } from '../stats/capacity-search.js';
import { seedOf } from '../stats/shuffle.js';
import { deviceCellOptions } from './activity-options.js';
import { skipModelSignal } from './messages.js';

export interface DeviceServingInput {
  studyId: string;
  device: DeviceSpec;
  /** The device's cores (its describeDevice cell): the threads split among instances when the device sets none. */
  cores: number;
  models: { model: ResolvedModel; dataset: DatasetRef }[];
  serving: ServingSpec;
  noise: TimingSpec['noise'];
  outDir: string;
  deviceDeadline: string;
  heartbeatTimeout: string;
}

/** One capacity search's answer, for the CLI's summary; the tables have every trial. */
export interface ServingCapacityResult {
  model: string;
  setting: string;
  search: number;
  boundMs: number;
  maxValidQps: number | null;
  minInvalidQps: number | null;
  trials: number;
}

export interface DeviceServingResult {
  device: string;
  capacities: ServingCapacityResult[];
  /** Models whose runs could not go on, and why (no SingleStream p50 to set the bound from). */
  failures: string[];
}

/** A scheduler setting's name in tables and cell paths. */
export function settingName(s: ResolvedScheduler): string {
  return `b${s.maxBatch}-d${s.maxQueueDelayMs}-i${s.instances}-t${s.threadsPerInstance}${s.spinning ? '' : '-nospin'}`;
}

export function resolveScheduler(s: SchedulerSpec, threads: number): ResolvedScheduler {
  return {
    maxBatch: s.maxBatch, maxQueueDelayMs: s.maxQueueDelayMs, instances: s.instances, spinning: s.spinning,
    threadsPerInstance: s.threadsPerInstance ?? Math.max(1, Math.floor(threads / s.instances)),
  };
}

/**
 * A device's serving runs (issue 21), one at a time on its queue, model after model: the
 * SingleStream run with batching off and one instance (which sets a relative latency bound), then
 * per scheduler setting the Offline and MultiStream runs and the Server capacity searches, each
 * trial a full run whose rate the previous trials decide (src/stats/capacity-search.ts). Every run
 * is an activity writing its own cell, so a resumed study redoes none that finished.
 */
export async function deviceServingWorkflow(input: DeviceServingInput): Promise<DeviceServingResult> {
  const skipped = new Set<string>();
  setHandler(skipModelSignal, (model) => { skipped.add(model); });
  const acts = proxyActivities<ServingActivities>(deviceCellOptions(input.device.queue, input.heartbeatTimeout, input.deviceDeadline));
  const { device, serving } = input;
  const threads = device.threads ?? input.cores;
  const wants = (s: ServingSpec['scenarios'][number]) => serving.scenarios.includes(s);
  const capacities: ServingCapacityResult[] = [];
  const failures: string[] = [];

  for (const { model, dataset } of input.models) {
    if (skipped.has(model.id)) continue;
    const run = (scheduler: ResolvedScheduler, r: Pick<ServingRunActivityRequest, 'scenario' | 'runId' | 'search' | 'trial' | 'targetQps' | 'boundMs'>): Promise<ServingRunOutcome> => {
      const setting = settingName(scheduler);
      return acts.measureServingRun({
        device: device.queue, outDir: input.outDir, model, dataset, runtime: device.runtime, provider: device.provider, threads: device.threads,
        serving, scheduler, setting, noise: input.noise, ...r,
        seed: (seedOf(`${input.studyId}/${device.queue}/${model.id}/${setting}/${r.runId}`) ^ serving.seed) >>> 0,
      });
    };
    const baseline = resolveScheduler({ maxBatch: 1, maxQueueDelayMs: 0, instances: 1, spinning: true }, threads);
    const needsSingleStream = wants('single-stream') || (wants('server') && 'singleStreamFactor' in serving.bound);
    const single = needsSingleStream
      ? await run(baseline, { scenario: 'single-stream', runId: 'single-stream', search: null, trial: null, targetQps: null, boundMs: null })
      : null;
    const bound = serving.bound;
    const boundMs = 'ms' in bound ? bound.ms : single?.p50_ms != null ? bound.singleStreamFactor * single.p50_ms : null;

    for (const spec of serving.schedulers) {
      if (skipped.has(model.id)) break;
      const scheduler = resolveScheduler(spec, threads);
      const setting = settingName(scheduler);
      const plain = { search: null, trial: null, targetQps: null, boundMs: null };
      if (wants('offline')) await run(scheduler, { ...plain, scenario: 'offline', runId: 'offline' });
      if (wants('multi-stream')) await run(scheduler, { ...plain, scenario: 'multi-stream', runId: 'multi-stream' });
      if (!wants('server')) continue;
      if (boundMs === null || single?.p50_ms == null) {
        failures.push(`${device.queue} ${model.id} ${setting}: no SingleStream p50 to set the latency bound from, so no Server search`);
        continue;
      }
      const settings = {
        startQps: serving.search.startFraction * (1000 / single.p50_ms) * scheduler.instances,
        precision: serving.search.precision, maxTrials: serving.search.maxTrials,
        minQps: searchFloorQps(serving.search.minQps, serving.minQueries.server, serving.maxDurationSeconds),
      };
      for (let search = 0; search < serving.search.searches && !skipped.has(model.id); search++) {
        const trials: CapacityTrial[] = [];
        for (let qps = nextTrialQps(trials, settings); qps !== null && !skipped.has(model.id); qps = nextTrialQps(trials, settings)) {
          const out = await run(scheduler, { scenario: 'server', runId: `server-s${search}-t${trials.length}`, search, trial: trials.length, targetQps: qps, boundMs });
          trials.push({ qps, valid: out.valid });
        }
        const c = capacityOf(trials, settings);
        capacities.push({ model: model.id, setting, search, boundMs, maxValidQps: c.maxValidQps, minInvalidQps: c.minInvalidQps, trials: trials.length });
      }
    }
  }
  return { device: device.queue, capacities, failures };
}
