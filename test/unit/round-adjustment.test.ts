/**
 * The host's speed by round (src/latency/round-adjustment.ts) on synthetic studies whose truth is
 * known: rounds that move every cell together, cells that leave the rounds early. The expected
 * figures come from the truth the test draws, not from the code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_CELLS_PER_ROUND, roundAdjustments, type RoundObservation } from '../../src/latency/round-adjustment.js';
import { adjustForRounds } from '../../src/latency/round-adjusted-cells.js';
import type { LatencyCell, RepetitionCell } from '../../src/results/cell-types.js';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';

/**
 * `cells` cells with true p50s 1..cells ms, measured in `rounds` rounds whose host effects are
 * `effects` (log scale), each repetition with its own noise; cell i leaves after `stops[i]` rounds.
 */
function study(draw: () => number, effects: number[], cells: number, stops: (i: number) => number, noise = 0.01): RoundObservation[] {
  return Array.from({ length: cells }, (_, i) => effects.slice(0, stops(i)).map((e, round) => ({
    cell: `c${i}`, round, p50_ms: (i + 1) * Math.exp(e + noise * draw()),
  }))).flat();
}

const meanOf = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

test('a cell that left after the fast rounds is moved to the study\'s average speed; cells in every round are not moved', () => {
  const draw = gaussian(prng(7));
  // The first four rounds 5% fast, the rest 3% slow: the host's average over ten rounds is ln-mean -0.2%.
  const effects = [-0.05, -0.05, -0.05, -0.05, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03];
  const average = meanOf(effects);
  const obs = study(draw, effects, 9, (i) => (i < 3 ? 4 : 10));
  const factors = roundAdjustments(obs);
  for (let i = 0; i < 9; i++) {
    const mine = obs.filter((o) => o.cell === `c${i}`).map((o) => o.p50_ms);
    const raw = median(mine);
    const adjusted = raw * factors.get(`c${i}`)!;
    const truth = (i + 1) * Math.exp(average);
    if (i < 3) {
      // Unadjusted, the early cell reads about 5% fast; adjusted, within 1.5% of the truth at the average speed.
      assert.ok(raw / truth < 0.97, `c${i} raw ${raw} vs ${truth}`);
      assert.ok(Math.abs(adjusted / truth - 1) < 0.015, `c${i} adjusted ${adjusted} vs ${truth}`);
    } else {
      assert.equal(factors.get(`c${i}`), 1, `c${i} was measured in every round`);
    }
  }
});

test('with no round effect the factors stay near 1; with too few cells per round there are none', () => {
  const draw = gaussian(prng(8));
  const flat = roundAdjustments(study(draw, new Array(10).fill(0), 12, (i) => (i % 2 ? 3 : 10)));
  for (const [cell, f] of flat) assert.ok(Math.abs(f - 1) < 0.01, `${cell}: ${f}`);
  const few = roundAdjustments(study(draw, [-0.1, 0.1, 0.1, 0.1], MIN_CELLS_PER_ROUND - 1, (i) => (i === 0 ? 1 : 4)));
  assert.deepEqual([...few.values()], [1, 1]);
});

test('one wild repetition in a round does not move the other cells (medians, leave-one-out)', () => {
  const draw = gaussian(prng(9));
  const obs = study(draw, new Array(8).fill(0), 8, (i) => (i === 0 ? 3 : 8), 0.005);
  // Cell c1 ran 3× slower in round 1 (a disturbed repetition that was kept).
  const wild = obs.map((o) => (o.cell === 'c1' && o.round === 1 ? { ...o, p50_ms: o.p50_ms * 3 } : o));
  const f = roundAdjustments(wild);
  assert.ok(Math.abs(f.get('c0')! - 1) < 0.01, `c0: ${f.get('c0')}`);
});

test('adjustForRounds scales an ok cell\'s times (throughput inversely), per device, and leaves raw runs and other cells alone', () => {
  const draw = gaussian(prng(10));
  const effects = [-0.06, -0.06, -0.06, 0.04, 0.04, 0.04];
  const obs = study(draw, effects, 6, (i) => (i === 0 ? 3 : 6), 0.002);
  const reps: RepetitionCell[] = obs.map((o, k) => ({
    model_id: o.cell, device: 'cpu', batch_size: 2, repetition: k, round: o.round, p50_ms: o.p50_ms, discarded: false,
  }) as unknown as RepetitionCell);
  // The same cell on another device, measured in one round: nothing to adjust with there.
  const other = { ...reps[0]!, device: 'gpu' };
  const cell = (device: string, p50: number): LatencyCell => ({
    model_id: 'c0', device, batch_size: 2, status: 'ok', repetitions: 3, p50_ms: p50, p90_ms: p50 * 1.1, min_ms: p50 * 0.9,
    p50_ci_low_ms: p50 * 0.98, p50_ci_high_ms: p50 * 1.02, per_image_ms: p50 / 2, images_per_s: 2000 / p50, samples_ms: [p50],
  }) as unknown as LatencyCell;
  const [cpu, gpu, failed] = adjustForRounds([cell('cpu', 1), cell('gpu', 1), { ...cell('cpu', 1), model_id: 'c1', status: 'oom' }], [...reps, other]);
  // c0 saw only the 6% fast rounds: about 5% slower at the average speed (exp(0.06 − 0.01) − 1 ≈ 5.1%).
  const f = cpu!.round_adjustment!;
  assert.ok(Math.abs(f - Math.exp(meanOf(effects) + 0.06)) < 0.01, `factor ${f}`);
  assert.deepEqual([cpu!.p50_ms, cpu!.p90_ms, cpu!.min_ms, cpu!.p50_ci_low_ms, cpu!.p50_ci_high_ms, cpu!.per_image_ms], [f, 1.1 * f, 0.9 * f, 0.98 * f, 1.02 * f, f / 2]);
  assert.ok(Math.abs(cpu!.images_per_s! - 2000 / f) < 1e-9);
  assert.deepEqual(cpu!.samples_ms, [1], 'raw runs as measured');
  assert.equal(gpu!.round_adjustment, 1);
  assert.equal(gpu!.p50_ms, 1);
  assert.equal(failed!.round_adjustment, undefined);
});
