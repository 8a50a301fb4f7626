import { analyzeStudy, type FitRow, type FrontierRow } from '../analysis/analyze.js';
import type { ReadRow } from '../results/schema.js';
import { assertResultsDir, readResultTable } from './read-tables.js';

export interface StudyData {
  dir: string;
  study: ReadRow<'study'> | null;
  models: ReadRow<'models'>[];
  devices: ReadRow<'devices'>[];
  accuracy: ReadRow<'accuracy'>[];
  latency: ReadRow<'latency'>[];
  fits: FitRow[];
  frontiers: FrontierRow[];
}

/**
 * A study's tables read from its Parquet files (what an analyst sees, not the cells). Results
 * written before fits.parquet existed get their fits computed here, by the same code.
 */
export async function loadStudy(dir: string): Promise<StudyData> {
  assertResultsDir(dir);
  const [study, models, devices, accuracy, latency, fits, frontiers] = await Promise.all([
    readResultTable(dir, 'study'), readResultTable(dir, 'models'), readResultTable(dir, 'devices'), readResultTable(dir, 'accuracy'),
    readResultTable(dir, 'latency'), readResultTable(dir, 'fits'), readResultTable(dir, 'frontiers'),
  ]);
  const data = { dir, study: study[0] ?? null, models, devices, accuracy, latency, fits, frontiers };
  if (fits.length === 0 && frontiers.length === 0) Object.assign(data, analyzeStudy(data));
  return data;
}
