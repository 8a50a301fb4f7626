import { analyzeStudy, type FitRow, type FrontierRow } from '../analysis/analyze.js';
import type { AccuracyInput, LatencyInput, ModelInput } from '../analysis/inputs.js';
import { assertResultsDir, readResultTable, type Row } from './read-tables.js';

export interface StudyData {
  dir: string;
  study: Row | null;
  models: (ModelInput & Row)[];
  devices: Row[];
  accuracy: (AccuracyInput & Row)[];
  latency: (LatencyInput & Row)[];
  fits: FitRow[];
  frontiers: FrontierRow[];
}

/**
 * A study's tables read from its Parquet files (what an analyst sees, not the cells). Results
 * written before fits.parquet existed get their fits computed here, by the same code.
 */
export async function loadStudy(dir: string): Promise<StudyData> {
  assertResultsDir(dir);
  const [study, models, devices, accuracy, latency, fits, frontiers] = await Promise.all(
    ['study', 'models', 'devices', 'accuracy', 'latency', 'fits', 'frontiers'].map((t) => readResultTable(dir, t)),
  );
  const data = {
    dir, study: study![0] ?? null, models: models as StudyData['models'], devices: devices!,
    accuracy: accuracy as StudyData['accuracy'], latency: latency as StudyData['latency'],
    fits: fits as unknown as FitRow[], frontiers: frontiers as unknown as FrontierRow[],
  };
  if (data.fits.length === 0 && data.frontiers.length === 0) Object.assign(data, analyzeStudy(data));
  return data;
}
