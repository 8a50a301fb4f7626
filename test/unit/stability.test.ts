/** Stability verdicts: drift found in runs that trend (and not in flat or tiny trends), and each verdict reached by a cell built for it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { p50Interval } from '../../src/stats/repetition-stats.js';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';
import { DEFAULT_STABILITY_SETTINGS, runTrend, stabilityVerdict } from '../../src/latency/stability.js';

/** n runs around 10 ms with 1% noise, rising linearly by `rise` (a fraction) from the first to the last. */
function runs(n: number, rise: number, seed: number): number[] {
  const draw = gaussian(prng(seed));
  return Array.from({ length: n }, (_, i) => 10 * (1 + (rise * i) / (n - 1)) * Math.exp(0.01 * draw()));
}

test('a 10% rise over 50 runs drifts; flat runs and a 2% rise do not; 9 runs are not tested', () => {
  const rising = runTrend(runs(50, 0.1, 1))!;
  assert.equal(rising.drifting, true);
  assert.ok(rising.rho > 0.8 && rising.p < 1e-6, JSON.stringify(rising));
  // The thirds' centres are 2/3 of the way apart: about 6.7% of a 10% rise.
  assert.ok(Math.abs(rising.change - 0.067) < 0.01, `change ${rising.change}`);
  const falling = runTrend(runs(50, -0.1, 2))!;
  assert.equal(falling.drifting, true);
  assert.ok(falling.change < -0.05);
  const flat = runTrend(runs(50, 0, 3))!;
  assert.equal(flat.drifting, false);
  assert.ok(flat.p > 0.01, JSON.stringify(flat));
  // Significant (1% noise cannot hide it over 200 runs) but too small to matter.
  const small = runTrend(runs(200, 0.02, 4))!;
  assert.ok(small.p < 0.01 && !small.drifting, JSON.stringify(small));
  assert.equal(runTrend(runs(9, 0.5, 5)), null);
});

test('verdicts: host-disturbed, drifting, noisy (wide or too few), stable', () => {
  const clean = [runs(40, 0, 1), runs(40, 0, 2), runs(40, 0, 3)];
  const verdict = (repetitions: number[][], discarded = 0) =>
    stabilityVerdict({ repetitions, discarded, interval: repetitions.length ? p50Interval(repetitions) : null });

  const stable = verdict(clean);
  assert.equal(stable.stability, 'stable', stable.reason);
  const disturbed = verdict(clean.slice(0, 2), 4);
  assert.equal(disturbed.stability, 'host-disturbed');
  assert.match(disturbed.reason, /2 clean repetitions of 3 needed: 4 discarded/);
  assert.equal(verdict([], 5).stability, 'host-disturbed');
  // Enough clean repetitions: discarded ones do not matter.
  assert.equal(verdict(clean, 2).stability, 'stable');
  // Two of three repetitions rise 15%.
  const drifting = verdict([runs(40, 0.15, 4), runs(40, 0.15, 5), runs(40, 0, 6)]);
  assert.equal(drifting.stability, 'drifting');
  assert.equal(drifting.drifting_repetitions, 2);
  // One of three is not half.
  assert.notEqual(verdict([runs(40, 0.15, 4), runs(40, 0, 5), runs(40, 0, 6)]).stability, 'drifting');
  // Two trend, but opposite ways: a host wandering over seconds, not a drift.
  assert.notEqual(verdict([runs(40, 0.15, 4), runs(40, -0.15, 5), runs(40, 0, 6)]).stability, 'drifting');
  const apart = verdict([runs(40, 0, 1).map((x) => x * 1.06), runs(40, 0, 2), runs(40, 0, 3).map((x) => x * 0.95)]);
  assert.equal(apart.stability, 'noisy');
  assert.match(apart.reason, /wider than the ±2\.0% target/);
  const few = verdict(clean.slice(0, 2));
  assert.equal(few.stability, 'noisy');
  assert.match(few.reason, /only 2 repetitions of 3/);
  assert.throws(() => stabilityVerdict({ repetitions: [], discarded: 0, interval: null }, DEFAULT_STABILITY_SETTINGS), /no repetitions/);
});
