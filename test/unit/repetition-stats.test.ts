/**
 * The p50 interval over repetitions: it covers the true p50 about 95% of the time on simulated
 * cells with a between-repetition offset, and it widens with the run-to-run variance, which the
 * old bootstrap of the pooled runs (one repetition's worth of noise) does not see.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../src/stats/prng.js';
import { gaussian } from '../helpers/gaussian.js';
import { median, studentT975, twoSidedNormalP } from '../../src/stats/quantiles.js';
import { p50Interval, pooledMedian, smallSampleWidening, type RepetitionRuns } from '../../src/stats/repetition-stats.js';

const TRUE_P50 = 10;

/**
 * A cell whose runs are TRUE_P50 · exp(u_r + e), u_r ~ N(0, between²) per repetition and
 * e ~ N(0, within²) per run: symmetric on the log scale, so the median of all its runs, over
 * infinitely many repetitions, is exactly TRUE_P50.
 */
function simulatedCell(draw: () => number, R: number, runs: number, between: number, within: number): number[][] {
  return Array.from({ length: R }, () => {
    const u = between * draw();
    return Array.from({ length: runs }, () => TRUE_P50 * Math.exp(u + within * draw()));
  });
}

function coverage(R: number, cells: number, between: number, within: number, seed: number): number {
  const draw = gaussian(prng(seed));
  let covered = 0;
  for (let c = 0; c < cells; c++) {
    const iv = p50Interval(simulatedCell(draw, R, 30, between, within), { resamples: 500, seed: c + 1 });
    if (iv.ci_low_ms <= TRUE_P50 && TRUE_P50 <= iv.ci_high_ms) covered++;
  }
  return covered / cells;
}

test('the 95% interval covers the true p50 88–99% of the time over 200 simulated cells', () => {
  for (const [R, between, within, seed] of [[3, 0.03, 0.02, 7], [5, 0.03, 0.02, 8], [5, 0, 0.03, 9], [10, 0.05, 0.01, 10]] as const) {
    const c = coverage(R, 200, between, within, seed);
    assert.ok(c >= 0.88 && c <= 0.99, `R=${R} between σ ${between} within σ ${within}: coverage ${c}`);
  }
});

test('the interval widens with the between-repetition variance; a bootstrap of the pooled runs does not', () => {
  const draw = gaussian(prng(21));
  // The same within-run noise every time; only the repetitions' offsets (a fixed pattern) grow.
  const noise = Array.from({ length: 5 }, () => Array.from({ length: 40 }, () => 0.02 * draw()));
  const pattern = [-1.2, -0.5, 0, 0.6, 1.1];
  const widths = [0, 0.02, 0.05].map((between) => {
    const reps = noise.map((e, r) => e.map((x) => TRUE_P50 * Math.exp(between * pattern[r]! + x)));
    return { hierarchical: p50Interval(reps).relative_half_width, pooledRuns: p50Interval([reps.flat()]).relative_half_width };
  });
  assert.ok(widths[1]!.hierarchical > 1.5 * widths[0]!.hierarchical && widths[2]!.hierarchical > 2 * widths[1]!.hierarchical, JSON.stringify(widths));
  assert.ok(widths[2]!.hierarchical > 0.02, `5% offsets between repetitions: ±${widths[2]!.hierarchical}`);
  // The old band sees the offsets only as a slightly wider spread of runs.
  assert.ok(widths[2]!.pooledRuns < 0.5 * widths[2]!.hierarchical, JSON.stringify(widths));
});

test('p50 is the median of the pooled runs, inside its interval; same runs and seed, same interval', () => {
  const reps = [[3, 1, 2], [10, 11], [4]];
  assert.equal(pooledMedian(reps), 3.5);
  const draw = gaussian(prng(5));
  const cell = simulatedCell(draw, 4, 25, 0.02, 0.03);
  const iv = p50Interval(cell, { seed: 3 });
  assert.equal(iv.p50_ms, median(cell.flat()));
  assert.equal(iv.repetitions, 4);
  assert.ok(iv.ci_low_ms < iv.p50_ms && iv.p50_ms < iv.ci_high_ms, JSON.stringify(iv));
  assert.deepEqual(p50Interval(cell, { seed: 3 }), iv);
});

test('the small-sample widening follows Student t; quantiles match the tables', () => {
  assert.equal(smallSampleWidening(1), 1);
  assert.ok(Math.abs(smallSampleWidening(3) - (4.3027 / 1.96) * Math.sqrt(1.5)) < 1e-3);
  assert.ok(smallSampleWidening(3) > smallSampleWidening(10) && smallSampleWidening(10) > smallSampleWidening(100));
  assert.ok(Math.abs(studentT975(40) - 2.0211) < 2e-4, `t(40) ${studentT975(40)}`);
  assert.ok(Math.abs(studentT975(120) - 1.9799) < 2e-4, `t(120) ${studentT975(120)}`);
  assert.ok(Math.abs(twoSidedNormalP(1.959964) - 0.05) < 1e-6);
  assert.ok(Math.abs(twoSidedNormalP(-2.575829) - 0.01) < 1e-6);
  assert.throws(() => studentT975(0), /degrees of freedom/);
});

test('bad repetitions are refused in words', () => {
  assert.throws(() => p50Interval([]), /no repetitions/);
  assert.throws(() => p50Interval([[1, 2], []]), /repetition 1 has no timed runs/);
  assert.throws(() => p50Interval([[1, Number.NaN]]), /repetition 0, run 1: latency NaN ms/);
  assert.throws(() => pooledMedian([[0]] as RepetitionRuns[]), /not a positive finite number/);
});
