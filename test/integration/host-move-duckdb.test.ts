/**
 * The host's move within a run, as `dnnbench compare` and findings print it, against the same
 * figure computed by DuckDB straight from a committed run's latency_repetitions.parquet: the split
 * at the midpoint of the clean repetitions' starts, each cell's second-half median p50 over its
 * first-half one, the median over cells and the sign test's order statistics. An independent
 * reader and an independent implementation of docs/TIMING.md's rule.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';

/** The largest k whose lower tail P(Binomial(n, ½) < k) stays within 2.5%, summed term by term. */
function signRank(n: number): number {
  let k = 0;
  let tail = 0;
  for (let j = 0; j <= n; j++) {
    let c = 1;
    for (let i = 0; i < j; i++) c = (c * (n - i)) / (i + 1);
    tail += c / 2 ** n;
    if (tail > 0.025) break;
    k = j + 1;
  }
  return k;
}

async function duckMove(dir: string): Promise<{ change: number; low: number; high: number; cells: number }> {
  const file = path.join(dir, 'latency_repetitions.parquet').replaceAll("'", "''");
  const rows = await queryParquet<{ d: number }>(`
    WITH clean AS (SELECT model_id, batch_size, coalesce(variant, '') AS v, epoch_ms(started_at) AS t, p50_ms FROM '${file}' WHERE NOT discarded),
    mid AS (SELECT (min(t) + max(t)) / 2.0 AS m FROM clean),
    halves AS (SELECT model_id, batch_size, v,
      median(p50_ms) FILTER (WHERE t < (SELECT m FROM mid)) AS first, median(p50_ms) FILTER (WHERE t >= (SELECT m FROM mid)) AS second
      FROM clean GROUP BY ALL)
    SELECT ln(second / first) AS d FROM halves WHERE first IS NOT NULL AND second IS NOT NULL ORDER BY d`);
  const d = rows.map((r) => Number(r.d));
  const n = d.length;
  const med = n % 2 ? d[(n - 1) / 2]! : (d[n / 2 - 1]! + d[n / 2]!) / 2;
  const k = signRank(n);
  return { change: Math.expm1(med), low: Math.expm1(d[k - 1]!), high: Math.expm1(d[n - k]!), cells: n };
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
    const expected = `${side} ${pct(m.change)} from the first half of the study's repetitions to the second (median over ${m.cells} cells, 95% ${pct(m.low)} to ${pct(m.high)})`;
    assert.ok(line.includes(expected), `${line}\nlacks: ${expected}`);
    // Both runs moved by more than 2% with an interval clear of zero (DuckDB's figures): the rule calls both moves.
    assert.ok(Math.abs(m.change) >= 0.02 && (m.low > 0 || m.high < 0), `${side}: ${JSON.stringify(m)}`);
  }
  assert.equal(line.match(/a move of at least 2\.0%/g)?.length, 2, line);
});
