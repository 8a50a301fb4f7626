/** The adaptive repetition rule: floor, precision, cap and budget, each reason reached by a cell built for it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRepetition, DEFAULT_REPETITION_SETTINGS, type RepetitionSettings } from '../../src/latency/repetition-decision.js';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';

const settings: RepetitionSettings = { ...DEFAULT_REPETITION_SETTINGS, budgetSeconds: 60 };

/** R repetitions of 30 runs around 10 ms with 1% run noise; the r-th repetition offset by offsets[r]. */
function reps(offsets: number[], seed = 1): number[][] {
  const draw = gaussian(prng(seed));
  return offsets.map((o) => Array.from({ length: 30 }, () => 10 * (1 + o) * Math.exp(0.01 * draw())));
}

test('below the minimum: another, whatever the precision', () => {
  const none = decideRepetition({ repetitions: [], discarded: 0, spentSeconds: 0 }, settings);
  assert.deepEqual(none, { another: true, reason: 'below-min', interval: null });
  const two = decideRepetition({ repetitions: reps([0, 0]), discarded: 0, spentSeconds: 10 }, settings);
  assert.equal(two.another, true);
  assert.equal(two.reason, 'below-min');
  assert.equal(two.interval?.repetitions, 2);
});

test('repetitions that agree stop at the minimum; ones 5% apart ask for more', () => {
  const agree = decideRepetition({ repetitions: reps([0, 0.001, -0.001]), discarded: 0, spentSeconds: 15 }, settings);
  assert.equal(agree.reason, 'precise');
  assert.equal(agree.another, false);
  assert.ok(agree.interval!.relative_half_width <= 0.02, JSON.stringify(agree.interval));
  const apart = decideRepetition({ repetitions: reps([0, 0.05, -0.05]), discarded: 0, spentSeconds: 15 }, settings);
  assert.equal(apart.reason, 'imprecise');
  assert.equal(apart.another, true);
  assert.ok(apart.interval!.relative_half_width > 0.02);
});

test('the cap and the budget stop an imprecise cell', () => {
  const spread = [0, 0.05, -0.05, 0.04, -0.04, 0.03, -0.03, 0.05, -0.05, 0.02];
  assert.equal(decideRepetition({ repetitions: reps(spread), discarded: 0, spentSeconds: 30 }, settings).reason, 'max-reached');
  // Spent: stop even below the minimum.
  const spent = decideRepetition({ repetitions: reps([0]), discarded: 3, spentSeconds: 61 }, settings);
  assert.deepEqual([spent.another, spent.reason], [false, 'budget-spent']);
  // 4 repetitions (one discarded) in 50 s: a fifth would end near 62.5 s, past 60.
  const wouldOverrun = { repetitions: reps([0, 0.05, -0.05]), discarded: 1, spentSeconds: 50 };
  assert.equal(decideRepetition(wouldOverrun, settings).reason, 'budget-spent');
  assert.equal(decideRepetition(wouldOverrun, { ...settings, budgetSeconds: 70 }).reason, 'imprecise');
});

test('settings that cannot work are refused in words', () => {
  const p = { repetitions: [], discarded: 0, spentSeconds: 0 };
  assert.throws(() => decideRepetition(p, { ...settings, minRepetitions: 0 }), /minRepetitions 0/);
  assert.throws(() => decideRepetition(p, { ...settings, maxRepetitions: 2 }), /maxRepetitions 2 is below minRepetitions 3/);
  assert.throws(() => decideRepetition(p, { ...settings, targetPrecision: 0 }), /targetPrecision/);
});
