/**
 * A cell's p50 interval widened to its device's spread between repetitions, and the rerun interval:
 * the spread's statistics against known truths, the widening against cells built for it, and the
 * coverage both are for, simulated: studies of 9 cells whose repetitions spread as a real host's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellInterval, priorFor, rerunInterval } from '../../src/latency/cell-interval.js';
import { decideRepetition, DEFAULT_REPETITION_SETTINGS } from '../../src/latency/repetition-decision.js';
import { chiSquareMedianOverDf, devicePrior, moderatedLogHalfWidth, PRIOR_DF, spreadOf, type Spread } from '../../src/stats/moderated-spread.js';
import { prng } from '../../src/stats/prng.js';
import { gaussian } from '../helpers/gaussian.js';

/** R repetitions of `runs` runs at `level` ms: each repetition's level off by σ_between, each run by σ_within (log-normal). */
function cell(level: number, R: number, between: number, within: number, draw: () => number, runs = 30): number[][] {
  return Array.from({ length: R }, () => {
    const rep = level * Math.exp(between * draw());
    return Array.from({ length: runs }, () => rep * Math.exp(within * draw()));
  });
}

/** The median from its definition: the middle value, or the mean of the two middle ones. */
function mid(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

test('spreadOf is the sample variance of ln p50; the median of χ²/df matches its tabulated values', () => {
  const s = spreadOf([10, 10 * Math.E ** 0.02, 10 * Math.E ** -0.02])!;
  // ln values 0, 0.02, −0.02 about ln 10: sum of squares 0.0008 over 2 df.
  assert.ok(Math.abs(s.variance - 0.0004) < 1e-12);
  assert.equal(s.df, 2);
  assert.equal(spreadOf([10]), null);
  assert.throws(() => spreadOf([10, 0]), /not a positive finite number/);
  // Tabulated medians of χ²_k: k = 2: 1.386, k = 4: 3.357, k = 9: 8.343.
  assert.ok(Math.abs(chiSquareMedianOverDf(2) * 2 - 1.386) < 0.02);
  assert.ok(Math.abs(chiSquareMedianOverDf(4) * 4 - 3.357) < 0.02);
  assert.ok(Math.abs(chiSquareMedianOverDf(9) * 9 - 8.343) < 0.02);
});

test('the device prior recovers a known common spread from 2-df variances, and needs 3 cells', () => {
  const draw = gaussian(prng(7));
  const sigma = 0.01;
  const priors: number[] = [];
  for (let trial = 0; trial < 400; trial++) {
    const spreads = Array.from({ length: 9 }, () => spreadOf([0, 1, 2].map(() => 10 * Math.exp(sigma * draw())))!);
    priors.push(devicePrior(spreads)!.variance);
  }
  // Unbiased in the median: half the trials above σ², half below (a plain median of 2-df variances would give about 0.69 σ²).
  const above = priors.filter((v) => v > sigma ** 2).length / priors.length;
  assert.ok(above > 0.4 && above < 0.6, `share of trials above σ²: ${above}`);
  assert.equal(devicePrior([{ variance: 1e-4, df: 2 }, { variance: 1e-4, df: 2 }]), null);
  assert.equal(devicePrior([{ variance: 1e-4, df: 2 }, { variance: 1e-4, df: 2 }, { variance: 4e-4, df: 3 }])!.df, PRIOR_DF);
});

test('three repetitions that agree by luck are widened to the device spread; a noisy cell keeps its own width', () => {
  const draw = gaussian(prng(3));
  const prior: Spread = { variance: 0.01 ** 2, df: PRIOR_DF };
  const lucky = cell(100, 3, 0.0005, 0.005, draw);
  const own = cellInterval(lucky, null);
  const widened = cellInterval(lucky, prior);
  assert.equal(widened.own_half_width, own.interval.relative_half_width);
  assert.ok(own.interval.relative_half_width < 0.004, JSON.stringify(own));
  // At least t(6)·σ_prior·√(4/6)/√3 ≈ 1.15% (the prior dominates the moderated variance).
  const expected = moderatedLogHalfWidth(spreadOf(lucky.map(mid))!, 3, prior);
  assert.ok(expected > 0.011, String(expected));
  assert.ok(widened.interval.ci_high_ms >= widened.interval.p50_ms * Math.exp(expected) * (1 - 1e-12));
  assert.ok(widened.interval.ci_low_ms <= widened.interval.p50_ms * Math.exp(-expected) * (1 + 1e-12));
  assert.equal(widened.interval.p50_ms, own.interval.p50_ms);
  const noisy = cell(100, 3, 0.05, 0.005, draw);
  assert.deepEqual(cellInterval(noisy, prior).interval, cellInterval(noisy, null).interval);
  // One repetition: nothing to moderate.
  assert.deepEqual(cellInterval(lucky.slice(0, 1), prior).interval, cellInterval(lucky.slice(0, 1), null).interval);
});

test('the rerun interval is √2 times as far from the p50 on each side, on the log scale', () => {
  const r = rerunInterval(100, 98, 103);
  assert.ok(Math.abs(Math.log(r.low / 100) - Math.SQRT2 * Math.log(0.98)) < 1e-12);
  assert.ok(Math.abs(Math.log(r.high / 100) - Math.SQRT2 * Math.log(1.03)) < 1e-12);
});

test('priorFor leaves out the cell itself, discarded repetitions and other variants', () => {
  const rep = (model_id: string, batch_size: number, p50_ms: number, extra: { discarded?: boolean; variant?: string } = {}) =>
    ({ model_id, batch_size, p50_ms, discarded: extra.discarded ?? false, variant: extra.variant ?? null });
  const tight = (m: string) => [rep(m, 1, 10), rep(m, 1, 10.1), rep(m, 1, 9.9)];
  const reps = [...tight('a'), ...tight('b'), rep('c', 1, 10), rep('c', 1, 10.1), rep('c', 1, 30, { discarded: true }),
    rep('self', 1, 10), rep('self', 1, 20), ...tight('v').map((r) => ({ ...r, variant: 'fp16' }))];
  const prior = priorFor({ model_id: 'self', batch_size: 1 }, reps)!;
  const expected = devicePrior([spreadOf([10, 10.1, 9.9])!, spreadOf([10, 10.1, 9.9])!, spreadOf([10, 10.1])!])!;
  assert.deepEqual(prior, expected);
  // Without c, two cells of the variant-free device remain: too few.
  assert.equal(priorFor({ model_id: 'self', batch_size: 1 }, reps.filter((r) => r.model_id !== 'c')), null);
  // The variant's cell sees only its own variant's (none besides itself).
  assert.equal(priorFor({ model_id: 'x', batch_size: 1, variant: 'fp16' }, reps), null);
});

test('a lucky triple does not end its cell when the device spreads more', () => {
  const draw = gaussian(prng(11));
  const lucky = cell(100, 3, 0.0005, 0.005, draw);
  const settings = { ...DEFAULT_REPETITION_SETTINGS, budgetSeconds: 60 };
  assert.equal(decideRepetition({ repetitions: lucky, discarded: 0, spentSeconds: 15 }, settings).reason, 'precise');
  const wide = decideRepetition({ repetitions: lucky, discarded: 0, spentSeconds: 15, prior: { variance: 0.02 ** 2, df: PRIOR_DF } }, settings);
  assert.equal(wide.reason, 'imprecise');
  assert.ok(wide.interval!.relative_half_width > 0.02);
});

test('simulated pairs of 9-cell studies: the rerun interval holds the rerun\'s p50, and the p50 interval the true p50, at least 90% of the time', () => {
  const draw = gaussian(prng(2026));
  let inRerun = 0;
  let truthInCi = 0;
  let n = 0;
  for (let trial = 0; trial < 40; trial++) {
    const levels = Array.from({ length: 9 }, (_, i) => 5 * 1.5 ** i);
    const study = () => levels.map((l) => cell(l, 3, 0.01, 0.01, draw));
    const [a, b] = [study(), study()];
    const repRecords = a.flatMap((reps, i) => reps.map((runs) => ({ model_id: `m${i}`, batch_size: 1, p50_ms: mid(runs), discarded: false })));
    a.forEach((reps, i) => {
      const { interval } = cellInterval(reps, priorFor({ model_id: `m${i}`, batch_size: 1 }, repRecords), { resamples: 400 });
      const rerun = rerunInterval(interval.p50_ms, interval.ci_low_ms, interval.ci_high_ms);
      const bP50 = mid(b[i]!.flat());
      inRerun += Number(bP50 >= rerun.low && bP50 <= rerun.high);
      truthInCi += Number(levels[i]! >= interval.ci_low_ms && levels[i]! <= interval.ci_high_ms);
      n++;
    });
  }
  assert.ok(inRerun / n >= 0.9, `rerun interval held the rerun's p50 in ${inRerun} of ${n}`);
  assert.ok(truthInCi / n >= 0.9, `p50 interval held the true p50 in ${truthInCi} of ${n}`);
});
