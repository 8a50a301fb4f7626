/**
 * The host's speed by round, and what it does to cells that left the rounds early (issue 18).
 *
 * A device's repetitions run in rounds, each visiting every open cell once, so a round is a block of
 * a few minutes of the host. On a shared VM the host's speed moves from one such block to the next,
 * and it moves every cell measured then the same way: in bench:repetitions' studies whole rounds run
 * a few percent faster or slower than the cells' own medians (docs/BENCHMARKS.md, "Repetitions").
 * A cell that reached its precision target after its first rounds saw only those minutes, and its
 * p50 is the host's speed then: two runs of one study disagreed most on exactly such cells.
 *
 * The rounds are the blocks of a block design, so the cells are compared on the same footing:
 * - each round's effect is the median, over the cells measured in it, of ln(repetition p50) minus the
 *   cell's centre (a median polish of the cell × round table, robust to one odd repetition); a round
 *   with fewer than MIN_CELLS_PER_ROUND cells has no effect (too few to tell the host from the cell);
 * - for a cell, the effects are taken leaving the cell out (a round's effect must not be the cell's
 *   own noise), and its figures are scaled by exp(mean effect over all rounds − mean effect over the
 *   rounds it was measured in): its times at the host's average speed over the study.
 * A cell measured in every round is not moved (factor exactly 1); neither is one with no clean
 * repetition in a round that has an effect, nor a study with too few cells per round.
 *
 * The cell's interval is scaled with it, not narrowed: it comes from the spread of the cell's own
 * repetitions, which includes the round-to-round variation, so for a cell with fewer rounds than the
 * study it is, if anything, wide.
 */
import { groupBy } from '../stats/group-by.js';
import { median } from '../stats/quantiles.js';

/** A round needs this many cells (the adjusted one and at least two others) for its effect. */
export const MIN_CELLS_PER_ROUND = 3;

/** Median-polish sweeps: the effects settle within a few; more changes nothing measurable. */
const SWEEPS = 10;

/** One clean repetition: which cell (any key unique within the device), which round, its p50. */
export interface RoundObservation {
  cell: string;
  round: number;
  p50_ms: number;
}

/** Per cell, the factor its times are multiplied by (1: not moved). */
export function roundAdjustments(observations: readonly RoundObservation[]): Map<string, number> {
  const obs = observations.filter((o) => o.p50_ms > 0 && Number.isFinite(o.p50_ms)).map((o) => ({ ...o, y: Math.log(o.p50_ms) }));
  const byCell = groupBy(obs, (o) => o.cell);
  const byRound = groupBy(obs, (o) => o.round);
  const centre = new Map([...byCell].map(([c, os]) => [c, median(os.map((o) => o.y))]));
  let effect = new Map<number, number>();
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    effect = new Map();
    for (const [round, os] of byRound) {
      if (new Set(os.map((o) => o.cell)).size >= MIN_CELLS_PER_ROUND) effect.set(round, median(os.map((o) => o.y - centre.get(o.cell)!)));
    }
    for (const [cell, os] of byCell) {
      const inEffectRounds = os.filter((o) => effect.has(o.round));
      if (inEffectRounds.length) centre.set(cell, median(inEffectRounds.map((o) => o.y - effect.get(o.round)!)));
    }
  }
  const factors = new Map<string, number>();
  for (const [cell, own] of byCell) {
    // Each round's effect without this cell: the other cells' deviations from their centres.
    const without = new Map<number, number>();
    for (const [round, os] of byRound) {
      const others = os.filter((o) => o.cell !== cell);
      if (new Set(others.map((o) => o.cell)).size >= MIN_CELLS_PER_ROUND - 1) without.set(round, median(others.map((o) => o.y - centre.get(o.cell)!)));
    }
    const mine = [...new Set(own.map((o) => o.round))].filter((r) => without.has(r));
    if (mine.length === 0 || mine.length === without.size) {
      factors.set(cell, 1);
      continue;
    }
    const mean = (rounds: Iterable<number>) => { const e = [...rounds].map((r) => without.get(r)!); return e.reduce((a, v) => a + v, 0) / e.length; };
    factors.set(cell, Math.exp(mean(without.keys()) - mean(mine)));
  }
  return factors;
}
