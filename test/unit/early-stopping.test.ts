/**
 * LoadGen's early stopping (src/stats/early-stopping.ts) against LoadGen's own formula, written out
 * here from loadgen/early_stopping.cc (the regularised incomplete beta through its hypergeometric
 * series, a different road to the same binomial tail), and against the figures issue 21 quotes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binomialCdf, earlyStoppingEstimate, loadgenPercentile, maxOverBound, minPassingQueries, serverEarlyStopping,
} from '../../src/stats/early-stopping.js';

function lgamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** loadgen/early_stopping.cc: odds(h, t, p) = BetaRegularized[p, h, 1 + t] via 2F1 with a = 1. */
function loadgenOdds(h: number, t: number, p: number): number {
  const b = 1 + t;
  const hyper = (bb: number, cc: number, x: number) => {
    let term = 1;
    let result = 1;
    for (let i = 0; Math.abs(term) > 1 / 2 ** 33; i++) {
      term *= ((bb + i) * x) / (cc + i);
      result += term;
    }
    return result;
  };
  const lbeta = lgamma(h) + lgamma(b) - lgamma(h + b);
  return (Math.exp(h * Math.log(p) + (b - 1) * Math.log(1 - p) - lbeta) / h) * hyper(1 - b, 1 + h, p / (p - 1));
}

test('the binomial tail agrees with LoadGen\'s beta formula', () => {
  for (const [h, t] of [[459, 0], [600, 1], [998, 2], [1500, 5], [3000, 20]] as const) {
    const ours = binomialCdf(t, h + t, 0.01);
    const theirs = loadgenOdds(h, t, 0.99);
    assert.ok(Math.abs(ours - theirs) < 1e-9 * Math.max(1, theirs) + 1e-12, `h ${h} t ${t}: ${ours} vs ${theirs}`);
  }
});

test('minimum passing queries: the smallest h whose odds fall below 1 − confidence, by LoadGen\'s formula', () => {
  for (const t of [0, 1, 2, 3, 10, 50]) {
    const h = minPassingQueries(t, 0.99);
    assert.ok(loadgenOdds(h, t, 0.99) < 0.01, `t ${t}: h ${h} passes`);
    assert.ok(!(loadgenOdds(h - 1, t, 0.99) < 0.01), `t ${t}: h ${h - 1} does not`);
  }
});

test('the figures issue 21 quotes: 459 queries with none over, 2 over allowed at ~1,000 queries', () => {
  assert.equal(minPassingQueries(0, 0.99), 459);
  assert.equal(serverEarlyStopping(458, 0, 0.99).ok, false);
  assert.equal(serverEarlyStopping(459, 0, 0.99).ok, true);
  assert.equal(maxOverBound(1000, 0.99), 2);
  assert.equal(serverEarlyStopping(1000, 2, 0.99).ok, true);
  assert.equal(serverEarlyStopping(1000, 3, 0.99).ok, false);
  assert.equal(maxOverBound(458, 0.99), -1);
  // p90 (SingleStream): 0.9^h < 0.01 first at h = 44.
  assert.equal(minPassingQueries(0, 0.9), 44);
  // An estimate needs a run that passes with one over (docs/SERVING.md): 64 queries for p90, 662 for p99.
  assert.equal(minPassingQueries(1, 0.9) + 1, 64);
  assert.equal(minPassingQueries(1, 0.99) + 1, 662);
});

test('the early-stopping estimate is the t-th largest latency, t the most over-bound queries that still pass (LoadGen results.cc)', () => {
  const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
  // t = 2 at 1,000 queries: the 2nd largest.
  assert.equal(earlyStoppingEstimate(sorted, 0.99), 999);
  // Too short to pass with one over: no estimate.
  assert.equal(earlyStoppingEstimate(sorted.slice(0, 500), 0.99), null);
  assert.equal(loadgenPercentile(sorted, 0.99), 991);
  assert.equal(loadgenPercentile(sorted, 0.5), 501);
});
