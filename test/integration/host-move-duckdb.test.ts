/**
 * The host's move within a run, as `dnnbench compare` and findings print it, against the same
 * figure computed by DuckDB straight from a committed run's latency_repetitions.parquet: the split
 * at the midpoint of the clean repetitions' starts, each cell's second-half median p50 over its
 * first-half one, the Walsh averages of those moves, their median (Hodges–Lehmann) and the
 * signed-rank test's order statistics. An independent reader and an independent implementation of
 * docs/TIMING.md's rule.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

/**
 * The largest k with P(T < k) ≤ 2.5% for the signed-rank statistic T of n values: subsets of the
 * ranks 1..n counted by their sum in exact integers, against 2^n (the module works in probabilities).
 */
function signedRankK(n: number): number {
  const max = (n * (n + 1)) / 2;
  const count: bigint[] = new Array(max + 1).fill(0n);
  count[0] = 1n;
  for (let rank = 1; rank <= n; rank++) for (let t = max; t >= rank; t--) count[t]! += count[t - rank]!;
  let k = 0;
  let below = 0n;
  for (let t = 0; t <= max; t++) {
    below += count[t]!;
    if (below * 40n > 2n ** BigInt(n)) break;
    k = t + 1;
  }
  return k;
}

/** Each cell's ln(second-half median / first-half median) by DuckDB, then their Walsh averages by DuckDB too. */
async function duckMove(dir: string): Promise<{ change: number; low: number; high: number; cells: number }> {
  const file = path.join(dir, 'latency_repetitions.parquet').replaceAll("'", "''");
  const rows = await queryParquet<{ w: number; n: number }>(`
    WITH clean AS (SELECT model_id, batch_size, coalesce(variant, '') AS v, epoch_ms(started_at) AS t, p50_ms FROM '${file}' WHERE NOT discarded),
    mid AS (SELECT (min(t) + max(t)) / 2.0 AS m FROM clean),
    halves AS (SELECT model_id, batch_size, v,
      median(p50_ms) FILTER (WHERE t < (SELECT m FROM mid)) AS first, median(p50_ms) FILTER (WHERE t >= (SELECT m FROM mid)) AS second
      FROM clean GROUP BY ALL),
    d AS (SELECT row_number() OVER () AS i, ln(second / first) AS d FROM halves WHERE first IS NOT NULL AND second IS NOT NULL)
    SELECT (x.d + y.d) / 2 AS w, (SELECT count(*) FROM d) AS n FROM d x JOIN d y ON x.i <= y.i ORDER BY w`);
  const w = rows.map((r) => Number(r.w));
  const n = Number(rows[0]!.n);
  const m = w.length;
  const centre = m % 2 ? w[(m - 1) / 2]! : (w[m / 2 - 1]! + w[m / 2]!) / 2;
  const k = signedRankK(n);
  return { change: Math.expm1(centre), low: Math.expm1(w[k - 1]!), high: Math.expm1(w[m - k]!), cells: n };
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

test('compare prints each run\'s host move as DuckDB computes it from the repetitions, and calls a move one', async () => {
  const a = path.join(ROOT, 'docs/studies/xeon-2vcpu-avx512-amx');
  const b = path.join(a, 'calibration');
  const [ma, mb] = [await duckMove(a), await duckMove(b)];
  const r = await runCli(['compare', a, b]);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith("The host's speed within each run"));
  assert.ok(line, 'compare printed no host-move line');
  for (const [side, m] of [['A', ma], ['B', mb]] as const) {
    const expected = `${side} ${pct(m.change)} from the first half of the study's repetitions to the second (Hodges–Lehmann centre of ${m.cells} cells, 95% ${pct(m.low)} to ${pct(m.high)})`;
    assert.ok(line.includes(expected), `${line}\nlacks: ${expected}`);
    // Both runs moved by more than 2% with an interval clear of zero (DuckDB's figures): the rule calls both moves.
    assert.ok(Math.abs(m.change) >= 0.02 && (m.low > 0 || m.high < 0), `${side}: ${JSON.stringify(m)}`);
  }
  assert.equal(line.match(/a move of at least 2\.0%/g)?.length, 2, line);
});
