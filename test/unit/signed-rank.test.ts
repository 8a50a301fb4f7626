/**
 * The signed-rank interval (src/stats/signed-rank.ts) against the published table of the Wilcoxon
 * signed-rank test's two-sided 5% critical values, and the Hodges–Lehmann centre against values
 * worked by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centreWithInterval, signedRankK } from '../../src/stats/signed-rank.js';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';

test('k is one more than the table\'s critical value of T (two-sided 5%), and 0 below 6 values', () => {
  // Critical values of T, two-sided α = 0.05 (e.g. Siegel & Castellan, Table H; any statistics text).
  const table: Record<number, number> = { 6: 0, 7: 2, 8: 3, 9: 5, 10: 8, 11: 10, 12: 13, 13: 17, 14: 21, 15: 25, 20: 52, 25: 89, 30: 137 };
  for (const [n, t] of Object.entries(table)) assert.equal(signedRankK(Number(n)), t + 1, `n = ${n}`);
  for (const n of [0, 1, 5]) assert.equal(signedRankK(n), 0, `n = ${n}`);
});

test('the centre is the median of the Walsh averages, bounded by the k-th smallest and largest', () => {
  // Walsh averages of 1, 2, 3, 4, 5, 6, 100 (28 of them), k = 3: the smallest are 1, 1.5, 2 (1+1,
  // 1+2, 2+2 or 1+3, halved), the largest 100, 53, 52.5 (100+100, 6+100, 5+100). The 21 averages
  // within 1..6 come before the 7 with 100; their sums 2..12 occur 1,1,2,2,3,3,3,… times, so the
  // 14th and 15th averages are both 8/2: the centre is 4, where the outlier drags the mean to 17.3.
  const values = [1, 2, 3, 4, 5, 6, 100];
  const { centre, low, high } = centreWithInterval(values);
  assert.equal(low, 2);
  assert.equal(high, 52.5);
  assert.equal(centre, 4);
  assert.deepEqual(centreWithInterval([1, 2, 3]), { centre: 2, low: null, high: null });
});

test('over many symmetric samples with no shift, the interval excludes zero about 5% of the time', () => {
  const draw = gaussian(prng(7));
  let excluded = 0;
  const trials = 2000;
  for (let i = 0; i < trials; i++) {
    const { low, high } = centreWithInterval(Array.from({ length: 9 }, draw));
    if (low! > 0 || high! < 0) excluded++;
  }
  // Exact coverage at n = 9 with k = 6 is 1 − 2·P(T ≤ 5) = 1 − 2·10/512 = 96.1%: 3.9% outside, ±1.3 points at 3 sd.
  assert.ok(excluded / trials > 0.026 && excluded / trials < 0.052, `${excluded} of ${trials}`);
});
