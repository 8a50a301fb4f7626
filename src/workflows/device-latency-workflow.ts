import { executeChild, getExternalWorkflowHandle, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DatasetRef, DeviceActivities, LatencyRepetitionOutcome } from '../activities/index.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, RuntimeVariant, TimingSpec } from '../study/study-spec.js';
import { seedOf, shuffled } from '../stats/shuffle.js';
import { deviceCellOptions } from './activity-options.js';
import { latencyCell, variantRuntime } from './cells.js';
import { latencyRoundWorkflowId } from './ids.js';
import { reportsProgressAt } from './latency-eta.js';
import { cellDoneSignal, roundProgressSignal, roundStartedSignal, skipModelSignal, type CellEvent } from './messages.js';
import { WORKFLOW_TASK_TIMEOUT } from './timeouts.js';

/** One latency cell of a device: a model at a batch size (with one of the device's runtime variants, if it has them). */
export interface LatencyCellRef {
  model: ResolvedModel;
  dataset: DatasetRef;
  batchSize: number;
  variant?: RuntimeVariant;
}

export interface DeviceLatencyInput {
  studyId: string;
  parentWorkflowId: string;
  device: DeviceSpec;
  cells: LatencyCellRef[];
  timing: TimingSpec;
  outDir: string;
  deviceDeadline: string;
  heartbeatTimeout: string;
}

export interface LatencyCellResult {
  model: string;
  batch: number;
  /** The device's runtime variant, if it has them. */
  variant?: string;
  status: string;
  p50_ms: number | null;
  repetitions: number;
  discarded: number;
  stability: string | null;
}

export interface DeviceLatencyResult {
  device: string;
  cells: LatencyCellResult[];
  rounds: number;
}

interface RoundInput extends Omit<DeviceLatencyInput, 'cells' | 'studyId'> {
  round: number;
  /** The cells of this round, in the order to visit them. */
  cells: LatencyCellRef[];
  /** The last round: every cell ends with the repetitions it has. */
  finish: boolean;
}

/** The patch id of the rounds' progress reports (Temporal's patched(): replays of older histories skip them). */
const ROUND_PROGRESS_PATCH = 'round-progress-reports';

const cellKey = (model: string, batch: number, variant?: string) => `${model} ${latencyCell(batch, variant)}`;

/**
 * Every latency cell of one device, measured as repetitions in rounds (issue 18): each round visits
 * every unfinished cell once, in an order shuffled from the study id, the device and the round, so
 * a slow minute of the host lands on a different model each round instead of on the ones measured
 * then. A cell leaves the rounds when its repetitions are done (the activity decides: enough, precise
 * enough, or its budget spent). Each round is a child workflow, so no history grows with the number
 * of repetitions: this one holds one child per round, a round one activity per cell.
 *
 * Rounds are capped at 3 × maxRepetitions (discarded repetitions need rounds too); the round that
 * reaches the cap finishes every cell still open with what it has. A model skipped by signal leaves
 * the rounds (the current round is told too); its finished cells are kept.
 */
export async function deviceLatencyWorkflow(input: DeviceLatencyInput): Promise<DeviceLatencyResult> {
  const skipped = new Set<string>();
  let currentRound: string | null = null;
  setHandler(skipModelSignal, (model) => {
    skipped.add(model);
    if (currentRound) void getExternalWorkflowHandle(currentRound).signal(skipModelSignal, model).catch(() => undefined);
  });
  const results = new Map<string, LatencyCellResult>();
  const maxRounds = 3 * input.timing.maxRepetitions;
  let pending = input.cells;
  let round = 0;
  for (; round < maxRounds; round++) {
    pending = pending.filter((c) => !skipped.has(c.model.id) && !results.has(cellKey(c.model.id, c.batchSize, c.variant?.name)));
    if (pending.length === 0) break;
    const id = latencyRoundWorkflowId(input.studyId, input.device.queue, round);
    const order = shuffled(pending, seedOf(id));
    currentRound = id;
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(roundStartedSignal, { device: input.device.queue, round, cells: order.length });
    const done = await executeChild(latencyRoundWorkflow, {
      workflowId: id,
      workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
      args: [{
        parentWorkflowId: input.parentWorkflowId, device: input.device, timing: input.timing, outDir: input.outDir,
        deviceDeadline: input.deviceDeadline, heartbeatTimeout: input.heartbeatTimeout, round, cells: order, finish: round === maxRounds - 1,
      }],
    });
    currentRound = null;
    for (const r of done) results.set(cellKey(r.model, r.batch, r.variant), r);
  }
  const order = input.cells.map((c) => results.get(cellKey(c.model.id, c.batchSize, c.variant?.name))).filter((r): r is LatencyCellResult => r !== undefined);
  return { device: input.device.queue, cells: order, rounds: round };
}

/**
 * One round: one repetition of each cell, in the given order (as many at a time as the device has
 * boards); returns the cells that finished.
 */
export async function latencyRoundWorkflow(input: RoundInput): Promise<LatencyCellResult[]> {
  const skipped = new Set<string>();
  setHandler(skipModelSignal, (model) => { skipped.add(model); });
  const acts = proxyActivities<DeviceActivities>(deviceCellOptions(input.device.queue, input.heartbeatTimeout, input.deviceDeadline));
  const study = getExternalWorkflowHandle(input.parentWorkflowId);
  const { device } = input;
  const finished: LatencyCellResult[] = [];
  // About ten progress reports a round, for the study's ETA (latency-eta.ts): after the first visit
  // and each tenth. Versioned: histories recorded before it have no such signals to replay.
  const reportsProgress = patched(ROUND_PROGRESS_PATCH);
  let visited = 0;
  // One lane per board serving the queue (spec `boards`): each takes the next cell in the round's order.
  let next = 0;
  const lane = async () => {
    while (next < input.cells.length) {
      const c = input.cells[next++]!;
      if (skipped.has(c.model.id)) continue;
      const variant = c.variant?.name;
      const event: CellEvent = { device: device.queue, model: c.model.id, cell: latencyCell(c.batchSize, variant) };
      const out: LatencyRepetitionOutcome = await acts.measureLatencyRepetition({
        device: device.queue, outDir: input.outDir, model: c.model, dataset: c.dataset, ...variantRuntime(device, c.variant),
        ...(variant ? { variant } : {}), batchSize: c.batchSize, timing: input.timing, round: input.round, finish: input.finish,
      });
      if (out.done) {
        finished.push({ model: c.model.id, batch: c.batchSize, ...(variant ? { variant } : {}), status: out.status, p50_ms: out.p50_ms, repetitions: out.repetitions, discarded: out.discarded, stability: out.stability });
        await study.signal(cellDoneSignal, { ...event, status: out.status });
      }
      visited++;
      if (reportsProgress && reportsProgressAt(visited, input.cells.length)) {
        await study.signal(roundProgressSignal, { device: device.queue, round: input.round, visited, finished: finished.length });
      }
    }
  };
  await Promise.all(Array.from({ length: device.boards ?? 1 }, lane));
  return finished;
}
