/**
 * Paired accuracy statistics against independent references: scipy's exact binomial test for the
 * McNemar p-values, and a published worked example of Newcombe's interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreementRate, exactMcNemarP, pairedAccuracy, type PairedOutcome } from '../../src/stats/paired-accuracy.js';

/** A paired table as outcomes: a both right, b only the parent, c only the variant, d both wrong. */
function table(a: number, b: number, c: number, d: number): PairedOutcome[] {
  const rows = (n: number, parentCorrect: boolean, variantCorrect: boolean) => Array.from({ length: n }, () => ({ parentCorrect, variantCorrect }));
  return [...rows(a, true, true), ...rows(b, true, false), ...rows(c, false, true), ...rows(d, false, false)];
}

const close = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: ${got} vs ${want}`);

test('exact McNemar p-values equal scipy\'s exact binomial test, down to 1e-296', () => {
  // /tmp/scipy-venv/bin/python -c "from scipy.stats import binomtest; print(binomtest(min(b,c), b+c, 0.5).pvalue)"
  // (scipy 1.x; for p = ½ its two-sided p is the doubled tail).
  const scipy: [number, number, number][] = [
    [1, 0, 1.0], [5, 0, 0.0625], [3, 12, 0.03515625], [12, 3, 0.03515625], [40, 60, 0.05688793364098089],
    [100, 150, 0.0018833009350761602], [0, 30, 1.862645149230957e-09], [5, 3, 0.7265625],
    [500, 620, 0.0003724137555440742], [2, 1000, 2.3448435067617075e-296],
  ];
  for (const [b, c, p] of scipy) close(exactMcNemarP(b, c), p, 1e-9, `McNemar ${b} vs ${c}`);
  assert.equal(exactMcNemarP(0, 0), 1);
  assert.equal(exactMcNemarP(7, 7), 1);
  assert.throws(() => exactMcNemarP(-1, 3), RangeError);
});

test('Newcombe\'s interval reproduces the published worked example (Cavo et al. 2012 in Fagerland, Lydersen & Laake 2017)', () => {
  // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8: the table
  // [[59, 6], [16, 80]] gives the Newcombe square-and-add estimate −0.0621 (95% CI −0.1186 to −0.0046)
  // for p1+ − p+1 (rows: before, columns: after); the test suite of their R package contingencytables
  // (tests/testthat/test-ch8.R) prints exactly these four decimals. Rows here are the parent, columns
  // the variant, so variant − parent is the mirror: +0.0621 (0.0046 to 0.1186).
  const r = pairedAccuracy(table(59, 6, 16, 80));
  assert.equal(r.n, 161);
  assert.equal(r.onlyParent, 6);
  assert.equal(r.onlyVariant, 16);
  assert.equal(r.delta.toFixed(4), '0.0621');
  assert.equal(r.deltaCiLow.toFixed(4), '0.0046');
  assert.equal(r.deltaCiHigh.toFixed(4), '0.1186');
});

test('the interval behaves at the edges: no discordant images, all right, all wrong, one image', () => {
  for (const [a, b, c, d] of [[50, 0, 0, 50], [100, 0, 0, 0], [0, 0, 0, 100], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 3, 0]] as const) {
    const r = pairedAccuracy(table(a, b, c, d));
    assert.ok(r.deltaCiLow <= r.delta && r.delta <= r.deltaCiHigh, `${[a, b, c, d]}: ${r.deltaCiLow} ≤ ${r.delta} ≤ ${r.deltaCiHigh}`);
    assert.ok(r.deltaCiLow >= -1 && r.deltaCiHigh <= 1);
    assert.ok(r.deltaCiHigh > r.deltaCiLow, 'never a point, even with no discordant image');
  }
  // Swapping the two mirrors the interval; more images of the same proportions narrow it.
  const x = pairedAccuracy(table(70, 5, 12, 13));
  const y = pairedAccuracy(table(70, 12, 5, 13));
  close(x.deltaCiLow, -y.deltaCiHigh, 1e-12, 'mirror low');
  close(x.deltaCiHigh, -y.deltaCiLow, 1e-12, 'mirror high');
  const big = pairedAccuracy(table(700, 50, 120, 130));
  assert.ok(big.deltaCiHigh - big.deltaCiLow < x.deltaCiHigh - x.deltaCiLow);
  assert.throws(() => pairedAccuracy([]), /no paired images/);
});

test('top-1 agreement counts equal classes, right or wrong', () => {
  assert.equal(agreementRate([1, 2, 3, 4], [1, 2, 9, 4]), 0.75);
  assert.throws(() => agreementRate([1], [1, 2]), RangeError);
});
