import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { readResultTable } from '../../src/report/read-tables.js';
import { groupBy } from '../../src/stats/group-by.js';
import { latencyEta, reportsProgressAt, type RoundProgress } from '../../src/workflows/latency-eta.js';
import { ROOT } from '../helpers/cli.js';
import { PAPERS_STUDIES } from '../helpers/papers-studies.js';

test('no estimate until a visit has been timed', () => {
  assert.equal(latencyEta([], 0, 3, 3), null);
  assert.equal(latencyEta([{ round: 0, cells: 10, visited: 0, finished: 0, startedMs: 0, reportedMs: 0 }], 5000, 3, 3), null);
});

test('a round of 10 visits of 2 s each, 4 done, 3 repetitions a cell: the rest of this round and two more', () => {
  const eta = latencyEta([{ round: 0, cells: 10, visited: 4, finished: 0, startedMs: 0, reportedMs: 8000 }], 9000, 3, 3)!;
  // 6 visits left in round 0 (12 s, 1 s of it gone), then 2 rounds of 10 visits (40 s).
  assert.equal(eta.lowSeconds, 51);
  assert.equal(eta.highSeconds, 51);
});

test('up to 10 repetitions: the low end stops at the minimum, the high end goes on to the maximum', () => {
  const eta = latencyEta([
    { round: 0, cells: 10, visited: 10, finished: 0, startedMs: 0, reportedMs: 20_000 },
    { round: 1, cells: 10, visited: 0, finished: 0, startedMs: 20_000, reportedMs: 20_000 },
  ], 20_000, 3, 10)!;
  // Round 1 at round 0's 2 s a visit: 20 s; then 1 round (20 s) to reach 3, or 8 (160 s) to reach 10.
  assert.equal(eta.lowSeconds, 40);
  assert.equal(eta.highSeconds, 180);
});

test('once cells may end, the rounds shrink by the share of visits that left their cell open', () => {
  // Round 5 of up to 10 repetitions: 8 cells, 4 visited at 2 s each, 2 of them ended their cell.
  const eta = latencyEta([{ round: 5, cells: 8, visited: 4, finished: 2, startedMs: 0, reportedMs: 8000 }], 8000, 3, 10)!;
  // 4 visits left in this round (8 s); then half of 8 cells, half of those, ... (8 · (1/2 + 1/4 + ...) ≈ 8 visits).
  assert.ok(Math.abs(eta.lowSeconds - (8 + 16)) < 0.01, String(eta.lowSeconds));
  // At most: 4 more rounds to reach 10 repetitions, of the half still open (16 visits).
  assert.equal(eta.highSeconds, 8 + 32);
  const allDone = latencyEta([{ round: 2, cells: 6, visited: 6, finished: 6, startedMs: 0, reportedMs: 6000 }], 6000, 3, 3)!;
  assert.deepEqual(allDone, { lowSeconds: 0, highSeconds: 0 });
  const discards = latencyEta([{ round: 2, cells: 10, visited: 10, finished: 8, startedMs: 0, reportedMs: 10_000 }], 10_000, 3, 3)!;
  // Two of ten visits were discarded: about 2 + 0.4 + ... visits of rounds after it, at 1 s each.
  assert.ok(discards.lowSeconds > 2.4 && discards.lowSeconds < 2.6, String(discards.lowSeconds));
});

// Every visit of the committed papers studies as it ran (rounds, starts, seconds, discarded ones
// included), reported to latencyEta as the rounds report: after the first visit and each tenth.
// Checked from the second tenth of the first round until ten minutes before the end. Outside that
// window the estimate is rougher, and said so here rather than hidden: after the first tenth it
// read 9% and 50% over the time left; on the EPYC run, whose last full round had 99 repetitions to
// run again (discarded for stolen CPU), it read up to 68% over in its last 8 minutes.
for (const study of PAPERS_STUDIES) {
  test(`replaying ${study}'s repetitions, the estimate lies within 35% of the time that was left`, async () => {
    const reps = (await readResultTable(path.join(ROOT, study), 'latency_repetitions'))
      .map((r) => ({ cell: `${r.model_id} ${r.batch_size}`, round: r.round, start: Number(r.started_at), end: Number(r.started_at) + r.seconds * 1000 }))
      .sort((a, b) => a.end - b.end);
    const end = Math.max(...reps.map((r) => r.end));
    // A cell ends with its last repetition.
    const last = new Map(reps.map((r) => [r.cell, r.end]));
    const cellsOf = groupBy(reps, (r) => r.round);
    const rounds: RoundProgress[] = [];
    const errors: string[] = [];
    let worst = 0;
    for (const rep of reps) {
      let r = rounds.find((x) => x.round === rep.round);
      if (!r) {
        const startedMs = Math.min(...cellsOf.get(rep.round)!.map((x) => x.start));
        r = { round: rep.round, cells: cellsOf.get(rep.round)!.length, visited: 0, finished: 0, startedMs, reportedMs: startedMs };
        rounds.push(r);
      }
      const visited = r.visited + 1;
      // Counted always; the time stamped (reportedMs) only at the rounds' report points.
      r.visited = visited;
      if (last.get(rep.cell) === rep.end) r.finished++;
      if (!reportsProgressAt(visited, r.cells)) continue;
      r.reportedMs = rep.end;
      const left = (end - rep.end) / 1000;
      if ((rep.round === 0 && visited < r.cells / 5) || left < 600) continue;
      const error = latencyEta(rounds, rep.end, 3, 3)!.lowSeconds / left - 1;
      errors.push(`round ${rep.round} visit ${visited}: ${(100 * error).toFixed(0)}%`);
      worst = Math.max(worst, Math.abs(error));
    }
    assert.ok(errors.length >= 15, `${errors.length} report points checked`);
    assert.ok(worst < 0.35, `worst relative error ${worst.toFixed(3)}: ${errors.join(', ')}`);
  });
}
