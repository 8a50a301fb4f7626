/**
 * How long a device's latency rounds have left (the study's progress ETA). Pure: the study workflow
 * calls it from its progress query with workflow time.
 *
 * Time per finished cell does not work for rounds: a cell finishes only in the round that gives it
 * its last repetition, so in a study of three repetitions per cell nothing finishes in the first two
 * rounds, and then everything does (a 7-minute study showed an ETA of 33 to 63 minutes at first).
 * What rounds do give is a steady unit of work: each visits every open cell once, in shuffled order,
 * so the cells visited so far in a round are a fair sample of its cost. So:
 * - seconds per visit: from the current round once it has visited some cells, else from the last
 *   finished round;
 * - the current round ends after its remaining visits at that rate;
 * - every cell needs `minRepetitions` visits, so at least minRepetitions − (round + 1) rounds of the
 *   current round's cells follow (no cell may leave before); at most maxRepetitions − (round + 1);
 * - from the round in which cells may end, the share of its visits that left their cell open (not
 *   precise enough yet, or a repetition the host disturbed and that must be run again) is taken to
 *   hold for the rounds after it, which shrink by that share each.
 */

/** Whether a round reports its progress after this many visits: after its first, and at each tenth of its cells. */
export function reportsProgressAt(visited: number, cells: number): boolean {
  const tenth = (v: number) => Math.floor((10 * v) / cells);
  return visited === 1 || tenth(visited) > tenth(visited - 1);
}

/** What the device's latency child told the study of one round. */
export interface RoundProgress {
  /** From 0. */
  round: number;
  /** Cells open at the round's start: its visits. */
  cells: number;
  /** Visits finished so far (the last report). */
  visited: number;
  /** Of those, visits that ended their cell (enough repetitions, precise enough, or its budget spent). */
  finished: number;
  /** Workflow time the round started and of its last report. */
  startedMs: number;
  reportedMs: number;
}

export interface LatencyEta {
  lowSeconds: number;
  highSeconds: number;
}

/** Visits of rounds after this one when a share `open` of each round's cells needs another: open + open² + …, `rounds` at most. */
const shrinking = (open: number, rounds: number) => (rounds <= 0 ? 0 : open >= 1 ? rounds : (open * (1 - open ** rounds)) / (1 - open));

/** Seconds left in the device's rounds, low and high; null until a visit has been timed. */
export function latencyEta(rounds: readonly RoundProgress[], nowMs: number, minRepetitions: number, maxRepetitions: number): LatencyEta | null {
  const current = rounds.at(-1);
  if (!current) return null;
  const previous = rounds.at(-2);
  // A round's first few visits say little of its cost: until a tenth of it is visited, the last round's rate.
  const tenthVisited = current.visited >= Math.ceil(current.cells / 10);
  const perVisitMs = tenthVisited || (!previous && current.visited > 0) ? (current.reportedMs - current.startedMs) / current.visited
    : previous && previous.cells > 0 ? (current.startedMs - previous.startedMs) / previous.cells
      : null;
  if (perVisitMs === null) return null;
  const inRound = Math.max(0, current.cells * perVisitMs - (nowMs - current.startedMs));
  const { round, cells } = current;
  const roundsLeft = 3 * maxRepetitions - 1 - round; // the device workflow's cap on rounds
  // Until minRepetitions, every cell of this round comes back in each round (discards aside).
  const full = (reps: number) => Math.min(roundsLeft, Math.max(0, reps - 1 - round)) * cells;
  let low = full(minRepetitions);
  let high = full(maxRepetitions);
  if (round >= minRepetitions - 1 && tenthVisited) {
    // From the round that may end cells on, the share of this round's visits that left their cell
    // open (short of precision, or discarded) predicts how fast the rounds shrink.
    const open = (current.visited - current.finished) / current.visited;
    low = cells * shrinking(open, roundsLeft);
    high = Math.max(low, full(maxRepetitions) * open);
  }
  return { lowSeconds: (inRound + low * perVisitMs) / 1000, highSeconds: (inRound + high * perVisitMs) / 1000 };
}
