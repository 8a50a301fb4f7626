/**
 * A cell's p50 interval widened to its device's spread between repetitions, and the rerun interval:
 * the spread's statistics against known truths, the widening against cells built for it, and the
 * coverage both are for, simulated: studies of 9 cells whose repetitions spread as a real host's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellInterval, priorFor, rerunInterval, widenToSpread, type CellSpread } from '../../src/latency/cell-interval.js';
import { cellSpreads } from '../../src/latency/device-spreads.js';
import { decideRepetition, DEFAULT_REPETITION_SETTINGS } from '../../src/latency/repetition-decision.js';
import { chiSquareMedianOverDf, devicePrior, moderatedHalfWidth, PRIOR_DF, spreadOfInterval, type Spread } from '../../src/stats/moderated-spread.js';
import { prng } from '../../src/stats/prng.js';
import { p50Interval } from '../../src/stats/repetition-stats.js';
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

/** The sample standard deviation of ln values, from its definition. */
function logSd(xs: readonly number[]): number {
  const l = xs.map(Math.log);
  const mean = l.reduce((a, v) => a + v, 0) / l.length;
  return Math.sqrt(l.reduce((a, v) => a + (v - mean) ** 2, 0) / (l.length - 1));
}

/** Repetition records of one device, as the activity reads them from disk. */
const records = (cells: number[][][]) => cells.flatMap((reps, i) => reps.map((samples_ms, r) => ({
  model_id: `m${i}`, device: 'cpu', batch_size: 1, repetition: r, started_at: 1_700_000_000_000 + r, discarded: false, samples_ms,
})));

test('spreadOfInterval inverts t·σ/√R; the median of χ²/df matches its tabulated values', () => {
  // t(0.975, 2) = 4.303: a ±2.484% interval from 3 repetitions is σ = 1%.
  const s = spreadOfInterval(4.303 * 0.01 / Math.sqrt(3), 3)!;
  assert.ok(Math.abs(Math.sqrt(s.variance) - 0.01) < 1e-4, String(s.variance));
  assert.equal(s.df, 2);
  assert.equal(spreadOfInterval(0.01, 1), null);
  assert.throws(() => spreadOfInterval(Number.NaN, 3), /not a finite number/);
  // Tabulated medians of χ²_k: k = 2: 1.386, k = 4: 3.357, k = 9: 8.343.
  assert.ok(Math.abs(chiSquareMedianOverDf(2) * 2 - 1.386) < 0.02);
  assert.ok(Math.abs(chiSquareMedianOverDf(4) * 4 - 3.357) < 0.02);
  assert.ok(Math.abs(chiSquareMedianOverDf(9) * 9 - 8.343) < 0.02);
});

test('the device prior recovers a known spread between repetitions from 9 cells of 3, and needs 3 cells', () => {
  const draw = gaussian(prng(7));
  const sigma = 0.01;
  const estimates: number[] = [];
  for (let trial = 0; trial < 60; trial++) {
    const cells = Array.from({ length: 9 }, (_, i) => cell(5 * 1.5 ** i, 3, sigma, 0.003, draw));
    estimates.push(Math.sqrt(devicePrior(cellSpreads(records(cells)).map((c) => c.spread))!.variance));
  }
  // The typical estimate is σ, within the scatter 9 cells of 3 repetitions allow.
  const typical = mid(estimates);
  assert.ok(typical > 0.8 * sigma && typical < 1.25 * sigma, `median estimate ${typical} against σ ${sigma}`);
  assert.equal(devicePrior([{ variance: 1e-4, df: 2 }, { variance: 1e-4, df: 2 }]), null);
  assert.equal(devicePrior([{ variance: 1e-4, df: 2 }, { variance: 1e-4, df: 2 }, { variance: 4e-4, df: 3 }])!.df, PRIOR_DF);
});

test('one odd repetition in ten hardly moves the spread read off the interval (a variance of repetition p50s is ruled by it)', () => {
  const draw = gaussian(prng(5));
  const reps = cell(30, 10, 0.005, 0.01, draw);
  reps[4] = reps[4]!.map((v) => v * 1.35);
  const fromInterval = Math.sqrt(spreadOfInterval(p50Interval(reps).relative_half_width, 10)!.variance);
  const fromP50s = logSd(reps.map(mid));
  assert.ok(fromInterval < fromP50s / 2, `spread from the interval ${fromInterval}, from the repetition p50s ${fromP50s}`);
});

test('three repetitions that agree by luck are widened to the device spread; a noisy cell keeps its own width', () => {
  const draw = gaussian(prng(3));
  const prior: Spread = { variance: 0.01 ** 2, df: PRIOR_DF };
  const lucky = cell(100, 3, 0.0005, 0.005, draw);
  const own = cellInterval(lucky, null);
  const widened = cellInterval(lucky, prior);
  assert.equal(widened.own_half_width, own.interval.relative_half_width);
  assert.ok(own.interval.relative_half_width < 0.004, JSON.stringify(own));
  // At least t(6)·σ_prior·√(4/6)/√3 ≈ 1.15% (the prior rules the moderated variance).
  const expected = moderatedHalfWidth(spreadOfInterval(own.interval.relative_half_width, 3)!, 3, prior);
  assert.ok(expected > 0.011, String(expected));
  assert.ok(widened.interval.ci_high_ms >= widened.interval.p50_ms * Math.exp(expected) * (1 - 1e-12));
  assert.ok(widened.interval.ci_low_ms <= widened.interval.p50_ms * Math.exp(-expected) * (1 + 1e-12));
  assert.equal(widened.interval.p50_ms, own.interval.p50_ms);
  const noisy = cell(100, 3, 0.05, 0.005, draw);
  assert.deepEqual(cellInterval(noisy, prior).interval, cellInterval(noisy, null).interval);
  // One repetition: nothing to moderate.
  const single = p50Interval(lucky.slice(0, 1));
  assert.deepEqual(widenToSpread(single, prior), single);
});

test('the rerun interval is √2 times as far from the p50 on each side, on the log scale', () => {
  const r = rerunInterval(100, 98, 103);
  assert.ok(Math.abs(Math.log(r.low / 100) - Math.SQRT2 * Math.log(0.98)) < 1e-12);
  assert.ok(Math.abs(Math.log(r.high / 100) - Math.SQRT2 * Math.log(1.03)) < 1e-12);
});

test('priorFor leaves out the cell itself and other variants; cellSpreads leaves out discarded repetitions', () => {
  const s = (model_id: string, variance: number, variant: string | null = null): CellSpread => ({ model_id, batch_size: 1, variant, spread: { variance, df: 2 } });
  const spreads = [s('a', 1e-4), s('b', 1e-4), s('c', 4e-4), s('self', 9e-2), s('v1', 1e-4, 'fp16'), s('v2', 1e-4, 'fp16')];
  assert.deepEqual(priorFor({ model_id: 'self', batch_size: 1 }, spreads), devicePrior([{ variance: 1e-4, df: 2 }, { variance: 1e-4, df: 2 }, { variance: 4e-4, df: 2 }]));
  assert.equal(priorFor({ model_id: 'self', batch_size: 1 }, spreads.filter((x) => x.model_id !== 'c')), null);
  // The variant's cell sees only its own variant's: two, too few.
  assert.equal(priorFor({ model_id: 'x', batch_size: 1, variant: 'fp16' }, spreads), null);
  const draw = gaussian(prng(9));
  const reps = records([cell(10, 3, 0.01, 0.01, draw)]);
  const withDiscarded = [...reps, { ...reps[0]!, repetition: 3, started_at: 1, discarded: true, samples_ms: reps[0]!.samples_ms.map((v) => v * 2) }];
  assert.deepEqual(cellSpreads(withDiscarded), cellSpreads(reps));
  // A cell with one clean repetition has no spread yet.
  assert.deepEqual(cellSpreads(reps.slice(0, 1)), []);
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
    const spreads = cellSpreads(records(a));
    a.forEach((reps, i) => {
      const { interval } = cellInterval(reps, priorFor({ model_id: `m${i}`, batch_size: 1 }, spreads), { resamples: 400 });
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
