import { writeReport } from '../report/write-report.js';

/** `dnnbench report <resultsDir> [--out file]`: the static HTML report of a study's Parquet tables. */
export async function reportCommand(resultsDir: string, opts: { out?: string }): Promise<void> {
  const { file, charts } = await writeReport(resultsDir, opts.out);
  process.stdout.write(`${file} (${charts} charts)\n`);
}
