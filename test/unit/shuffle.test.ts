/**
 * The seeded order of a round's cells: the same seed gives the same order (a workflow replays it),
 * every order is a permutation of the items, and over many seeds each item lands in each position
 * about equally often, which a Fisher–Yates with an off-by-one does not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../src/stats/prng.js';
import { seedOf, shuffled } from '../../src/stats/shuffle.js';

const items = Array.from({ length: 20 }, (_, i) => `model-${i}`);

test('seedOf is 32-bit FNV-1a: the published test vectors, and different texts give different seeds', () => {
  // From the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/): the offset basis for "", and two known hashes.
  assert.equal(seedOf(''), 0x811c9dc5);
  assert.equal(seedOf('a'), 0xe40c292c);
  assert.equal(seedOf('foobar'), 0xbf9cf968);
  const seeds = Array.from({ length: 1000 }, (_, k) => seedOf(`study-1/cpu-a/round-${k}`));
  assert.equal(new Set(seeds).size, seeds.length);
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32, `seed ${s}`);
});

test('the same seed gives the same order; the order is a permutation; the input is left as it was', () => {
  const input = Object.freeze([...items]);
  const seed = seedOf('study-1/cpu-a/round-0');
  const once = shuffled(input, seed);
  assert.deepEqual(shuffled(input, seed), once);
  assert.deepEqual(input, items);
  assert.notEqual(once, input);
  assert.deepEqual([...once].sort(), [...items].sort());
  assert.notDeepEqual(once, items);
  // Repeated items stay as many as they were.
  const repeated = [1, 1, 2, 3, 3, 3];
  assert.deepEqual([...shuffled(repeated, 7)].sort(), repeated);
  assert.deepEqual(shuffled([], 1), []);
  assert.deepEqual(shuffled(['only'], 1), ['only']);
});

test('different seeds give different orders', () => {
  const orders = Array.from({ length: 50 }, (_, k) => shuffled(items, seedOf(`study-1/cpu-a/round-${k}`)).join(','));
  // 20! orders: a sound shuffle repeats one in 50 seeds with odds of about 1 in 10^15.
  assert.ok(new Set(orders).size >= 48, `${new Set(orders).size} distinct orders of 50`);
});

/**
 * Pearson's χ² of how often each of n items lands in each of n positions over `trials` seeds,
 * against the uniform n·n table: about (n−1)² (its degrees of freedom) for a fair shuffle.
 */
function positionChiSquare(shuffle: (xs: readonly number[], seed: number) => number[], n: number, trials: number): number {
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const input = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < trials; k++) shuffle(input, seedOf(`study-1/cpu-a/round-${k}`)).forEach((item, pos) => counts[item]![pos]!++);
  const expected = trials / n;
  return counts.flat().reduce((chi, c) => chi + (c - expected) ** 2 / expected, 0);
}

/** Fisher–Yates with the classic off-by-one, j in [0, i) (Sattolo's algorithm): no item ever stays in place. */
function offByOne<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The naive shuffle, j in [0, n) at every step: n^n equally likely paths onto n! orders, so some orders come up more often. */
function swapWithAny<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const rand = prng(seed);
  for (let i = 0; i < out.length; i++) {
    const j = Math.floor(rand() * out.length);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('each item lands in each position about equally often over many seeds; biased shuffles fail the same check', () => {
  const n = 5;
  const trials = 20000;
  // 16 degrees of freedom: P(χ² > 45) ≈ 1e-4 for a fair shuffle.
  const limit = 45;
  const fair = positionChiSquare(shuffled, n, trials);
  assert.ok(fair < limit, `χ² ${fair.toFixed(1)} over ${(n - 1) ** 2} degrees of freedom`);
  // The check can fail: both classic mistakes are far past the limit.
  assert.ok(positionChiSquare(offByOne, n, trials) > 10 * limit);
  assert.ok(positionChiSquare(swapWithAny, n, trials) > 10 * limit);
});
