/**
 * bench:repetitions' "Host readings" line (can the host-noise rules see what spread the
 * repetitions?) against the same figures computed by DuckDB from the committed tables of a pair: the
 * median and 90th percentile of the stolen CPU share and of the other processes' cores over each
 * run's clean repetitions, the root mean square of ln(p50 / the cell's median), and the Pearson r
 * of that deviation with each reading. An independent reader and an independent implementation.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, runProcess } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

const PAIR = 'docs/benchmarks/repetitions-xeon-2026-12-07-morning';

interface Readings { st50: number; st90: number; oc50: number; oc90: number; rms: number; rst: number; roc: number }

async function duckReadings(run: string): Promise<Readings> {
  const file = path.join(ROOT, PAIR, run, 'latency_repetitions.parquet').replaceAll("'", "''");
  const [r] = await queryParquet<Readings>(`
    WITH clean AS (SELECT * FROM '${file}' WHERE NOT discarded),
    dev AS (SELECT steal_fraction, other_cores, ln(p50_ms) - median(ln(p50_ms)) OVER (PARTITION BY model_id, batch_size) AS d FROM clean)
    SELECT median(steal_fraction) AS st50, quantile_cont(steal_fraction, 0.9) AS st90, median(other_cores) AS oc50, quantile_cont(other_cores, 0.9) AS oc90,
      sqrt(avg(d * d)) AS rms, corr(d, steal_fraction) AS rst, corr(d, other_cores) AS roc FROM dev`);
  return r!;
}

test('bench:repetitions prints the host readings of each run as DuckDB computes them from the repetitions', async () => {
  const run = await runProcess(process.execPath, ['--import', 'tsx', 'scripts/bench-repetitions.ts', '--dir', PAIR]);
  assert.equal(run.code, 0, run.stderr);
  const line = run.stdout.split('\n').find((l) => l.startsWith('- Host readings'));
  assert.ok(line, 'no "Host readings" line');
  for (const [side, name] of [['A', 'a'], ['B', 'b']] as const) {
    const d = await duckReadings(name);
    const expected = `${side}: the hypervisor took a median ${(d.st50 * 100).toFixed(2)}% of the CPU time (90th percentile ${(d.st90 * 100).toFixed(2)}%), ` +
      `other processes used a median ${d.oc50.toFixed(3)} cores (90th percentile ${d.oc90.toFixed(3)}); ` +
      `the repetitions' p50s spread ±${(d.rms * 100).toFixed(1)}% about their cells' medians (root mean square of ln(p50 / the cell's median)), ` +
      `Pearson r ${d.rst.toFixed(2)} with the stolen time, ${d.roc.toFixed(2)} with the other processes`;
    assert.ok(line.includes(expected), `${line}\nlacks: ${expected}`);
  }
});
