/**
 * The capacity search's decisions (src/stats/capacity-search.ts) against a device whose runs are
 * valid below a true capacity: bracketing, bisection, and how it ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacityOf, nextTrialQps, searchFloorQps, type CapacityTrial } from '../../src/stats/capacity-search.js';
import { poissonArrivals } from '../../src/stats/poisson-arrivals.js';

const settings = { startQps: 40, precision: 0.1, maxTrials: 12, minQps: 1 };

function search(valid: (qps: number) => boolean, s = settings): CapacityTrial[] {
  const trials: CapacityTrial[] = [];
  for (let q = nextTrialQps(trials, s); q !== null; q = nextTrialQps(trials, s)) trials.push({ qps: q, valid: valid(q) });
  return trials;
}

test('doubling up to the first invalid rate, then bisection to within the precision', () => {
  const trials = search((q) => q <= 137);
  assert.deepEqual(trials.slice(0, 4).map((t) => t.qps), [40, 80, 160, 120]);
  const c = capacityOf(trials, settings);
  assert.equal(c.ended, 'converged');
  assert.ok(c.maxValidQps! <= 137 && c.minInvalidQps! > 137);
  assert.ok(c.minInvalidQps! <= c.maxValidQps! * 1.1);
});

test('halving down from an invalid start; nothing valid above the floor ends the search', () => {
  const trials = search((q) => q <= 7);
  assert.deepEqual(trials.slice(0, 4).map((t) => t.qps), [40, 20, 10, 5]);
  assert.equal(capacityOf(trials, settings).ended, 'converged');
  const none = search(() => false);
  assert.equal(capacityOf(none, settings).ended, 'below_min_qps');
  assert.equal(capacityOf(none, settings).maxValidQps, null);
});

test('a failure below a pass is flagged non-monotonic, and the trial cap ends a search', () => {
  const c = capacityOf([{ qps: 40, valid: true }, { qps: 80, valid: false }, { qps: 30, valid: false }], settings);
  assert.equal(c.nonMonotonic, true);
  assert.equal(c.maxValidQps, 40);
  assert.equal(c.minInvalidQps, 80);
  const capped = search((q) => q <= 1000, { ...settings, maxTrials: 3 });
  assert.equal(capped.length, 3);
  assert.equal(capacityOf(capped, { ...settings, maxTrials: 3 }).ended, 'max_trials');
});

test('Poisson arrivals: both minimums met, mean gap near 1000/qps, the same seed the same schedule', () => {
  const a = poissonArrivals(100, 20_000, 1000, 7);
  assert.ok(a.length >= 1000 && a.at(-1)! >= 20_000 && a.at(-2)! < 20_000 || a.length === 1000);
  const meanGap = a.at(-1)! / a.length;
  // 2,000 exponential gaps of mean 10 ms: the mean's standard error is ~0.22 ms.
  assert.ok(Math.abs(meanGap - 10) < 1.2, `mean gap ${meanGap}`);
  assert.deepEqual(poissonArrivals(100, 20_000, 1000, 7), a);
  assert.notDeepEqual(poissonArrivals(100, 20_000, 1000, 8), a);
  assert.equal(poissonArrivals(1, 100, 1000, 1).length, 1000);
});

test('the floor: a rate whose 1,000 queries cannot fit in the maximum duration is never tried', () => {
  // 1,000 queries in 120 s need 8.3 QPS; with 10% to spare, 9.2.
  assert.ok(Math.abs(searchFloorQps(0.5, 1000, 120) - 1100 / 120) < 1e-12);
  assert.equal(searchFloorQps(20, 1000, 120), 20);
  const floor = { ...settings, minQps: searchFloorQps(0.5, 1000, 120) };
  assert.deepEqual(search(() => false, floor).map((t) => t.qps), [40, 20, 10]);
});
