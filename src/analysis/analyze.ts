import { lawsByDevice } from './accuracy-basis.js';
import { accuracyFits } from './fit-accuracy.js';
import { memoryFits, powerFits } from './fit-memory-power.js';
import { opsTimeFits } from './fit-ops-time.js';
import { densityAndModelFrontiers } from './density.js';
import type { FitRow, FrontierRow } from './fit-rows.js';
import { joinPoints, type AnalysisInput } from './inputs.js';

export interface Analysis {
  fits: FitRow[];
  frontiers: FrontierRow[];
}

/**
 * Every fit of SPEC §3 from a study's models, accuracy and latency rows; pure, never throws on
 * thin data. The accuracy laws and frontiers of each device read one accuracy basis
 * (lawAccuracy): published top-1 when every model of the device has one, measured otherwise.
 */
export function analyzeStudy(input: AnalysisInput): Analysis {
  const sorted: AnalysisInput = {
    models: input.models,
    accuracy: input.accuracy,
    // Stable output whatever order the cells were read in: by device, batch, model.
    latency: [...input.latency].sort((a, b) => a.device.localeCompare(b.device) || Number(a.batch_size) - Number(b.batch_size) || a.model_id.localeCompare(b.model_id)),
  };
  const laws = lawsByDevice(sorted);
  const points = joinPoints(sorted, laws);
  const acc = accuracyFits(points, laws);
  const dens = densityAndModelFrontiers(sorted.models, laws);
  return {
    fits: [...opsTimeFits(points), ...acc.fits, ...memoryFits(points), ...powerFits(points), ...dens.fits],
    frontiers: [...acc.frontiers, ...dens.frontiers],
  };
}

export type { FitRow, FrontierRow } from './fit-rows.js';
