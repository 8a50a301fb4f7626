/**
 * The host's move within a study (src/latency/host-move.ts) on synthetic studies whose truth is
 * known: a host that steps faster or slower halfway through, one that holds its speed, one cell that
 * moves alone. The expected moves are the steps the test draws, not figures from the code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagHostMoves, hostMove, hostMoved } from '../../src/latency/host-move.js';
import { DEFAULT_STABILITY_SETTINGS } from '../../src/latency/stability.js';
import type { LatencyCell, RepetitionCell } from '../../src/results/cell-types.js';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 7, 3, 0);

/**
 * `cells` cells with true p50s 1..cells ms, each with a repetition a minute from 0 to `minutes`
 * (offset by the cell's index, as rounds visit cells in turn); from minute `stepAt` on, the host
 * multiplies every time by exp(step), and `alone` (a cell index) by exp(aloneStep) on top.
 */
function study(seed: number, opts: { cells?: number; minutes?: number; stepAt?: number; step?: number; noise?: number; alone?: number; aloneStep?: number; device?: string }): RepetitionCell[] {
  const { cells = 9, minutes = 10, stepAt = 5, step = 0, noise = 0.01, alone = -1, aloneStep = 0, device = 'cpu' } = opts;
  const draw = gaussian(prng(seed));
  const reps: RepetitionCell[] = [];
  for (let i = 0; i < cells; i++) {
    for (let m = 0; m < minutes; m++) {
      const t = m + i / cells;
      const effect = (t >= stepAt ? step : 0) + (i === alone && t >= stepAt ? aloneStep : 0);
      reps.push({
        model_id: `m${i}`, device, batch_size: 1, repetition: m, round: m, started_at: T0 + t * MINUTE,
        p50_ms: (i + 1) * Math.exp(effect + noise * draw()), discarded: false,
      } as unknown as RepetitionCell);
    }
  }
  return reps;
}

const MIN = DEFAULT_STABILITY_SETTINGS.hostMoveMinChange;

test('a host 5% slower in the second half of the study is read as a +5% move, significant, and moved', () => {
  const move = hostMove(study(1, { step: Math.log(1.05) }))!;
  assert.equal(move.cells, 9);
  assert.ok(Math.abs(move.change - 0.05) < 0.01, `change ${move.change}`);
  assert.ok(move.low! > 0.03 && move.high! < 0.07, `interval ${move.low}..${move.high}`);
  assert.equal(hostMoved(move, MIN), true);
  // Faster works the same way, with the sign turned.
  const faster = hostMove(study(2, { step: Math.log(0.96) }))!;
  assert.ok(Math.abs(faster.change + 0.04) < 0.01, `change ${faster.change}`);
  assert.equal(hostMoved(faster, MIN), true);
});

test('a host that holds its speed is not moved, over many seeds', () => {
  let moved = 0;
  for (let seed = 0; seed < 200; seed++) if (hostMoved(hostMove(study(100 + seed, { noise: 0.02 })), MIN)) moved++;
  // The move must be significant at 95% and at least 2%: with noise of 2% a repetition, almost never both.
  assert.ok(moved <= 2, `${moved} of 200 steady hosts called moved`);
});

test('a move smaller than hostMoveMinChange is significant but not a verdict; a lower threshold makes it one', () => {
  const move = hostMove(study(3, { step: Math.log(1.01), noise: 0.002 }))!;
  assert.ok(move.low! > 0, 'a 1% step with 0.2% noise is significant');
  assert.equal(hostMoved(move, MIN), false);
  assert.equal(hostMoved(move, 0.005), true);
});

test('one cell moving alone is that cell, not the host; fewer than 6 cells give no verdict', () => {
  assert.equal(hostMoved(hostMove(study(4, { alone: 2, aloneStep: Math.log(1.3) })), MIN), false);
  const few = hostMove(study(5, { cells: 5, step: Math.log(1.1) }))!;
  assert.equal(few.low, null);
  assert.equal(hostMoved(few, MIN), false);
});

test('cells seen in one half only, and discarded repetitions, do not enter the move', () => {
  const reps = study(6, { step: Math.log(1.05) });
  // A tenth cell measured only before the step, and discarded repetitions 50% slow in the first half.
  const early = Array.from({ length: 3 }, (_, m) => ({ ...reps[0]!, model_id: 'early', repetition: m, started_at: T0 + m * MINUTE, p50_ms: 50 }));
  const disturbed = reps.filter((r) => Number(r.started_at) < T0 + 5 * MINUTE).map((r) => ({ ...r, p50_ms: r.p50_ms * 1.5, discarded: true }));
  const move = hostMove([...reps, ...early, ...disturbed])!;
  assert.equal(move.cells, 9);
  assert.ok(Math.abs(move.change - 0.05) < 0.01, `change ${move.change}`);
});

test('flagHostMoves makes every ok cell of the moved device drifting, keeps host-disturbed and own drift, and leaves other devices alone', () => {
  const reps = [...study(7, { step: Math.log(1.05) }), ...study(8, { device: 'gpu' })];
  const cell = (model: string, device: string, stability: string, reason: string): LatencyCell => ({
    model_id: model, device, batch_size: 1, status: 'ok', repetitions: 10, p50_ms: 1, stability, stability_reason: reason,
  }) as unknown as LatencyCell;
  const rows = [
    cell('m0', 'cpu', 'stable', '95% interval ±1.0% of the p50 over 10 repetitions'),
    cell('m1', 'cpu', 'noisy', '95% interval ±3.0% of the p50'),
    cell('m2', 'cpu', 'host-disturbed', '2 clean repetitions of 3 needed'),
    cell('m3', 'cpu', 'drifting', '6 of 10 repetitions trend'),
    { ...cell('m4', 'cpu', 'stable', 'x'), status: 'oom' } as LatencyCell,
    cell('m0', 'gpu', 'stable', '95% interval ±1.0% of the p50 over 10 repetitions'),
  ];
  const [stable, noisy, disturbed, ownDrift, failed, gpu] = flagHostMoves(rows, reps, MIN);
  assert.equal(stable!.stability, 'drifting');
  assert.match(stable!.stability_reason!, /host's speed moved \+\d\.\d% from the first half/);
  assert.match(stable!.stability_reason!, /the cell alone: stable, 95% interval ±1\.0%/);
  assert.equal(noisy!.stability, 'drifting');
  assert.equal(disturbed!.stability, 'host-disturbed');
  assert.deepEqual(ownDrift, rows[3]);
  assert.deepEqual(failed, rows[4]);
  assert.deepEqual(gpu, rows[5]);
  // No move, no change at all.
  assert.deepEqual(flagHostMoves(rows, study(9, {}), MIN), rows);
});
