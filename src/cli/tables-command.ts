import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeStudyTables } from '../analysis/study-tables.js';
import { InputError } from '../errors.js';
import { readResultTable } from '../report/read-tables.js';

/**
 * `dnnbench tables <resultsDir>`: rebuilds a finished study's Parquet tables from its cells with
 * this version's code, so that a study measured before an analysis improvement (a new column, a
 * new fit) gets it without measuring again. The study row's own facts (id, spec, cells expected,
 * failures) are kept from its study.parquet.
 */
export async function tablesCommand(dir: string): Promise<void> {
  const cells = path.join(dir, '_cells');
  if (!existsSync(cells)) throw new InputError(`${dir}: no _cells folder: only a study's own results folder (data/results/<id>) can be rebuilt, not a copy of its tables`);
  const [study] = await readResultTable(dir, 'study');
  if (!study) throw new InputError(`${dir}: no study.parquet: the study has not finished (dnnbench status <id>), so there is nothing to rebuild`);
  const counts = await writeStudyTables(dir, {
    study_id: study.study_id, spec_json: study.spec_json, cells_expected: study.cells_expected, failures: study.failures, missing_cells: study.missing_cells,
  });
  process.stdout.write(`${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')} rows in ${dir}\n`);
}
