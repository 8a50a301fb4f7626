import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyStats, percentile } from '../../src/latency/latency-stats.js';
import { topK } from '../../src/accuracy/top-k.js';

test('topK: best first, ties to the lower index, NaN never wins', () => {
  assert.deepEqual(topK([0.1, 0.9, 0.3, 0.9, 0.5], 3), [1, 3, 4]);
  assert.deepEqual(topK([5, 5, 5, 5], 2), [0, 1]);
  assert.deepEqual(topK([NaN, 1, 2], 1), [2]);
});

test('topK on a row window returns indices relative to the window (background dropped)', () => {
  // Row of a 1001-way model: index 0 is background; the window starts at 1.
  const row = [0.99, 0.001, 0.5, 0.2];
  assert.deepEqual(topK(row, 2, 1, 4), [1, 2]);
});

test('topK agrees with a full sort on random data', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let t = 0; t < 50; t++) {
    const xs = Array.from({ length: 1000 }, () => Math.round(rand() * 50)); // many ties
    const sorted = xs.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 5).map(([, i]) => i);
    assert.deepEqual(topK(xs, 5), sorted);
  }
});

test('latency stats: percentiles interpolate like numpy, stdev is the sample one', () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([1, 2, 3, 4, 5], 90), 4.6);
  const s = latencyStats([4, 1, 3, 2]);
  assert.equal(s.runs, 4);
  assert.equal(s.min_ms, 1);
  assert.equal(s.max_ms, 4);
  assert.equal(s.mean_ms, 2.5);
  assert.ok(Math.abs(s.stdev_ms - Math.sqrt(5 / 3)) < 1e-12);
  assert.throws(() => latencyStats([]), /no latency samples/);
});
