import { analyzeStudy, type FitRow, type FrontierRow } from '../analysis/analyze.js';
import { lawInputs, lawOptionsOf, runtimeVariantsOf } from '../analysis/law-inputs.js';
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
  /** Every row of these tables, variants included, for the report's numbers; the fields above keep one point per model (law-inputs.ts). */
  all: { models: ReadRow<'models'>[]; accuracy: ReadRow<'accuracy'>[]; latency: ReadRow<'latency'>[]; variants: ReadRow<'variants'>[] };
}

/**
 * A study's tables read from its Parquet files (what an analyst sees, not the cells). Results
 * written before fits.parquet existed get their fits computed here, by the same code.
 */
export async function loadStudy(dir: string): Promise<StudyData> {
  assertResultsDir(dir);
  const [study, models, devices, accuracy, latency, fits, frontiers, variants] = await Promise.all([
    readResultTable(dir, 'study'), readResultTable(dir, 'models'), readResultTable(dir, 'devices'), readResultTable(dir, 'accuracy'),
    readResultTable(dir, 'latency'), readResultTable(dir, 'fits'), readResultTable(dir, 'frontiers'), readResultTable(dir, 'variants'),
  ]);
  // The papers' figures keep one point per model: parents only (unless the spec asks), at each device's reference runtime variant.
  const runtimeVariants = study[0]?.spec_json ? runtimeVariantsOf(study[0].spec_json) : new Map();
  const laws = lawInputs({ models, accuracy, latency }, runtimeVariants, lawOptionsOf(study[0]?.spec_json));
  const data = { dir, study: study[0] ?? null, ...laws, devices, fits, frontiers, all: { models, accuracy, latency, variants } };
  if (fits.length === 0 && frontiers.length === 0) Object.assign(data, analyzeStudy(data));
  return data;
}
