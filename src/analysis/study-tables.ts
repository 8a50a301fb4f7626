import path from 'node:path';
import { readAllCells } from '../results/cells.js';
import type { LatencyCell, ModelCell } from '../results/cell-types.js';
import { loadCatalog } from '../study/catalog.js';
import { SCHEMA_VERSION, STUDY_TABLE_NAMES, type StudyTableName, type TableRow } from '../results/schema.js';
import { writeTable } from '../results/write-table.js';
import { studyProvenance } from '../results/study-provenance.js';
import { codeVersion } from '../host/code-version.js';
import { timingBelowSpec } from '../study/timing-minimums.js';
import type { ServingSpec, TimingSpec } from '../study/study-spec.js';
import { accuracyProvenance } from './accuracy-provenance.js';
import { analyzeStudy } from './analyze.js';
import { servingTables } from './serving-tables.js';
import { lawInputs, lawOptionsOf, runtimeVariantsOf } from './law-inputs.js';
import { variantTables } from './variant-tables.js';
import { readImageOutcomes } from '../accuracy/predictions.js';
import { DEFAULT_STABILITY_SETTINGS } from '../latency/stability.js';
import { adjustForRounds } from '../latency/round-adjusted-cells.js';
import { flagHostMoves } from '../latency/host-move.js';

export type StudySummary = Pick<TableRow<'study'>, 'study_id' | 'spec_json' | 'cells_expected' | 'failures' | 'missing_cells'>;

/** Rebuilds every Parquet table of a study from its cells; returns row counts per table. */
export async function writeStudyTables(outDir: string, summary: StudySummary): Promise<Record<StudyTableName, number>> {
  const models = await readAllCells(outDir, 'models');
  const devices = await readAllCells(outDir, 'devices');
  const accuracy = await readAllCells(outDir, 'accuracy');
  const repetitions = await readAllCells(outDir, 'latency_repetitions');
  const timing = timingOf(summary.spec_json);
  const stability = { ...DEFAULT_STABILITY_SETTINGS, ...timing?.stability };
  // Every figure below, laws and variants included, at the host's average speed over the study's
  // rounds; and every verdict saying whether that speed moved while the study ran.
  const latency = flagHostMoves(adjustForRounds(await readAllCells(outDir, 'latency'), repetitions), repetitions, stability.hostMoveMinChange);
  const servingCells = await readAllCells(outDir, 'serving');
  const serving = servingTables(servingCells, latency, servingSpecOf(summary.spec_json), stability);
  const runtimeVariants = runtimeVariantsOf(summary.spec_json);
  // The papers' laws keep one point per model and cell: parents only (unless the spec asks), at each device's reference runtime variant.
  const { fits, frontiers } = analyzeStudy(lawInputs({ models, accuracy, latency }, runtimeVariants, lawOptionsOf(summary.spec_json)));
  const variants = await variantTables({
    models, devices, latency, repetitions, runtimeVariants, outcomes: (model, device) => readImageOutcomes(outDir, model, device),
  });
  // What a cell holds beyond its table's columns goes to a table of its own.
  const rows: { [N in StudyTableName]: TableRow<N>[] } = {
    models: models.map(({ by_op_type: _ops, calibration_image_ids: _calibration, ...m }) => (m.published_source != null ? m : { ...m, published_source: catalogSource(m) })),
    model_ops: models.flatMap((m) => Object.entries(m.by_op_type).map(([op_type, c]) => ({ model_id: m.model_id, op_type, ...c }))),
    devices,
    // Cells written before accuracy provenance get it here, from their own counts.
    accuracy: accuracy.map((a) => (a.basis ? a : { ...a, ...accuracyProvenance(a) })),
    latency: latency.map(({ samples_ms: _samples, samples_repetition: _reps, ...l }) => l),
    latency_repetitions: repetitions.map(({ samples_ms: _samples, measurement: _m, ...r }) => r),
    latency_samples: latency.flatMap(sampleRows),
    study: [{
      ...summary, schema_version: SCHEMA_VERSION, models: models.length, devices: devices.length,
      cells_done: accuracy.length + latency.length,
      ...(timing ? { timing_below_spec: timingBelowSpec(timing), timing_reason: timing.reason ?? null } : {}),
      ...studyProvenance(devices, repetitions, codeVersion()),
    }],
    variants,
    fits,
    frontiers,
    ...serving,
  };
  const counts = {} as Record<StudyTableName, number>;
  const write = async <N extends StudyTableName>(name: N) => {
    await writeTable(path.join(outDir, `${name}.parquet`), name, rows[name]);
    counts[name] = rows[name].length;
  };
  for (const name of STUDY_TABLE_NAMES) await write(name);
  return counts;
}

/**
 * A cell's timed runs; with repetitions, run_index counts within each repetition (the order the
 * runs of one process ran in) and `repetition` says which.
 */
function sampleRows(c: LatencyCell): TableRow<'latency_samples'>[] {
  const reps = c.samples_repetition;
  let run = 0;
  return (c.samples_ms ?? []).map((ms, i) => {
    if (reps && i > 0 && reps[i] !== reps[i - 1]) run = 0;
    return {
      model_id: c.model_id, device: c.device, batch_size: c.batch_size, run_index: reps ? run++ : i, latency_ms: ms,
      ...(reps ? { repetition: reps[i]! } : {}), ...(c.variant != null ? { variant: c.variant } : {}),
    };
  });
}

/** The study's timing, when its spec has one (a spec written before timing had repetitions has not all of it). */
function timingOf(specJson: string): TimingSpec | undefined {
  const timing = (JSON.parse(specJson) as { timing?: TimingSpec }).timing;
  return timing && typeof timing.minRepetitions === 'number' ? timing : undefined;
}

/** The study's serving section, when it has one. */
function servingSpecOf(specJson: string): ServingSpec | undefined {
  return (JSON.parse(specJson) as { serving?: ServingSpec }).serving;
}

/**
 * Model cells profiled before `published_source` existed lack it: the catalog that gave their
 * published top-1 names the source, taken when its figure is the cell's (a catalog edited since
 * could name another figure's source).
 */
function catalogSource(m: Pick<ModelCell, 'model_id' | 'published_top1'>): string | null {
  const published = loadCatalog().find((c) => c.id === m.model_id)?.published;
  if (published?.top1 == null || m.published_top1 == null || Math.abs(published.top1 / 100 - m.published_top1) > 1e-9) return null;
  return published.source ?? null;
}
