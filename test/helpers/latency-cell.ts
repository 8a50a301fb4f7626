import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DeviceActivities, LatencyRepetitionOutcome, LatencyRepetitionRequest } from '../../src/activities/index.js';
import { cellPath, readCell } from '../../src/results/cells.js';
import type { LatencyCell } from '../../src/results/cell-types.js';
import { localPathOf } from '../../src/results/location.js';

/**
 * A latency cell measured as the workflow would, outside a worker: the repetition activity called
 * round after round until it says the cell is done; returns the cell file's content.
 */
export async function measureLatencyCell(activities: DeviceActivities, req: Omit<LatencyRepetitionRequest, 'round'>): Promise<LatencyCell> {
  for (let round = 0; ; round++) {
    const out: LatencyRepetitionOutcome = await new MockActivityEnvironment().run(activities.measureLatencyRepetition, { ...req, round });
    if (out.done) break;
    if (round > 3 * req.timing.maxRepetitions) throw new Error(`${req.model.id} b${req.batchSize}: not done after ${round} rounds`);
  }
  const file = cellPath(localPathOf(req.outDir, 'results'), 'latency', req.device, req.model.id, `b${req.batchSize}`);
  return (await readCell<LatencyCell>(file))!;
}
