/**
 * Did the host's speed move while the study ran? (issue 18: a verdict that says which run to trust)
 *
 * A cell's interval carries the noise between its repetitions, and the round adjustment puts every
 * cell at the host's average speed over the study (round-adjustment.ts). Neither can say where that
 * average will be when someone measures again. On a shared VM it moves: in the committed
 * bench:repetitions pairs, whole studies ran 2.3% to 4.2% faster or slower than the one before them
 * (docs/BENCHMARKS.md, "Repetitions"), and every cell left its interval together. A single run
 * cannot see a move that falls between two studies, but it can see one that falls within it, and a
 * host that moved by more than the precision target during the study gives figures that depend on
 * when they were taken.
 *
 * The move is read as compare reads a shift every cell shares (src/analysis/compare.ts,
 * commonShift), with the study's two halves in the place of two studies:
 * - the halves split the device's clean repetitions at the midpoint between the first and the last
 *   one's start;
 * - for each cell with clean repetitions in both halves, ln(median p50 of its second-half
 *   repetitions / median p50 of its first-half ones): within a cell, so that which cells ran when
 *   does not enter;
 * - the move is the Hodges–Lehmann centre of those cells' moves, with the Wilcoxon signed-rank
 *   test's 95% interval (src/stats/signed-rank.ts; it needs 6 cells). A first version took their
 *   median with the sign test's interval, which over 8 cells is the smallest to the largest move: in
 *   the committed 23:55 pair (docs/BENCHMARKS.md) it read A's +4.9% with an interval of −0.7% to
 *   +8.2% and missed a move that B, 3.8% slower, confirmed. The signed-rank test assumes the cells'
 *   moves spread symmetrically about the host's: under no move, each cell's two halves are draws of
 *   the same repetitions, so its move is as likely up as down by any amount.
 * The host moved when that interval excludes no move and the move is at least
 * `stability.hostMoveMinChange` (default 2%, the precision target): a smaller move is within what
 * a cell's interval promises. Every latency cell of the device that is not `host-disturbed` is then
 * `drifting`, its reason saying by how much the host moved (and what the cell's own verdict was).
 */
import { groupBy } from '../stats/group-by.js';
import { median } from '../stats/quantiles.js';
import { centreWithInterval } from '../stats/signed-rank.js';
import type { LatencyCell, RepetitionCell } from '../results/cell-types.js';
import { DEFAULT_STABILITY_SETTINGS } from './stability.js';

export interface HostMove {
  /** Cells with clean repetitions in both halves. */
  cells: number;
  /** Second half over first, as a fraction: +0.05 = 5% slower in the second half. */
  change: number;
  /** Its signed-rank 95% interval, same scale; null below 6 cells. */
  low: number | null;
  high: number | null;
}

type Repetition = Pick<RepetitionCell, 'model_id' | 'batch_size' | 'started_at' | 'p50_ms' | 'discarded'> & { variant?: string | null };
type DeviceRepetition = Repetition & Pick<RepetitionCell, 'device'>;

const cellOf = (c: { model_id: string; batch_size: number; variant?: string | null }) => `${c.model_id}\u0000${c.batch_size}\u0000${c.variant ?? ''}`;

/** The move of one device's host from the first half of its clean repetitions to the second; null when no cell has both. */
export function hostMove(repetitions: readonly Repetition[]): HostMove | null {
  const clean = repetitions.filter((r) => !r.discarded && r.p50_ms > 0 && Number.isFinite(r.p50_ms));
  if (clean.length === 0) return null;
  // A number in cells, a Date where a table was read back: both give epoch ms.
  const at = (r: Repetition) => Number(r.started_at);
  const starts = clean.map(at);
  const mid = (Math.min(...starts) + Math.max(...starts)) / 2;
  const moves: number[] = [];
  for (const reps of groupBy(clean, cellOf).values()) {
    const first = reps.filter((r) => at(r) < mid).map((r) => r.p50_ms);
    const second = reps.filter((r) => at(r) >= mid).map((r) => r.p50_ms);
    if (first.length && second.length) moves.push(Math.log(median(second) / median(first)));
  }
  if (moves.length === 0) return null;
  const m = centreWithInterval(moves);
  const frac = (x: number | null) => (x === null ? null : Math.expm1(x));
  return { cells: moves.length, change: Math.expm1(m.centre), low: frac(m.low), high: frac(m.high) };
}

/** Each device's move (devices with no cell in both halves are left out). */
export function hostMovesByDevice(repetitions: readonly DeviceRepetition[]): Map<string, HostMove> {
  const moves = new Map<string, HostMove>();
  for (const [device, reps] of groupBy(repetitions, (r) => r.device)) {
    const move = hostMove(reps);
    if (move) moves.set(device, move);
  }
  return moves;
}

/** True when the move's signed-rank interval excludes no move. */
const significant = (move: HostMove) => move.low !== null && move.high !== null && (move.low > 0 || move.high < 0);

/** True when the move is significant and at least minChange either way. */
export function hostMoved(move: HostMove | null, minChange: number): boolean {
  return move !== null && significant(move) && Math.abs(move.change) >= minChange;
}

/** A study's own threshold where its spec set one (studies from before the setting have none): the default otherwise. */
export function hostMoveMinChangeOf(specJson: string | null | undefined): number {
  const set = specJson ? (JSON.parse(specJson) as { timing?: { stability?: { hostMoveMinChange?: unknown } } }).timing?.stability?.hostMoveMinChange : undefined;
  return typeof set === 'number' ? set : DEFAULT_STABILITY_SETTINGS.hostMoveMinChange;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function describeHostMove(move: HostMove): string {
  const interval = move.low !== null && move.high !== null ? `, 95% ${pct(move.low)} to ${pct(move.high)}` : '';
  return `${pct(move.change)} from the first half of the study's repetitions to the second (Hodges–Lehmann centre of ${move.cells} cells${interval})`;
}

/** The move and what it means for the run's cells, for findings and compare. */
export function hostMoveSentence(move: HostMove, minChange: number): string {
  const threshold = `${(minChange * 100).toFixed(1)}%`;
  const verdict = hostMoved(move, minChange) ? `a move of at least ${threshold}, so tables written since that rule mark its cells \`drifting\``
    : significant(move) ? `significant, but under the ${threshold} that marks cells \`drifting\`` : 'not significant by the signed-rank test';
  return `${describeHostMove(move)}; ${verdict}`;
}

/**
 * latency.parquet's rows with the host-move verdict applied per device: where the host moved, every
 * ok cell with repetitions that is not `host-disturbed` becomes `drifting`.
 */
export function flagHostMoves(latency: readonly LatencyCell[], repetitions: readonly RepetitionCell[], minChange: number): LatencyCell[] {
  const moved = new Map([...hostMovesByDevice(repetitions)].filter(([, move]) => hostMoved(move, minChange)));
  return latency.map((l) => {
    const move = moved.get(l.device);
    // A cell already drifting in its own runs keeps that reason: it says more about the cell.
    if (!move || l.status !== 'ok' || !l.repetitions || l.stability == null || l.stability === 'host-disturbed' || l.stability === 'drifting') return l;
    const own = l.stability_reason ? `${l.stability}, ${l.stability_reason}` : l.stability;
    return { ...l, stability: 'drifting', stability_reason: `the host's speed moved ${describeHostMove(move)}, so the figures depend on when they were taken; the cell alone: ${own}` };
  });
}
