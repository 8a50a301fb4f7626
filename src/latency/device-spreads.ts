/**
 * The spread each of a device's cells shows so far, from the repetitions on disk: what a cell's
 * interval is widened to (src/latency/cell-interval.ts priorFor). Every call of the latency
 * activity reads the device's repetitions and needs every other cell's own interval, a bootstrap
 * each; between two calls at most a few cells gained a repetition, so the intervals are kept per
 * cell and recomputed only when its clean repetitions change. The result is the same with or
 * without the memo (the bootstrap is seeded): a restarted worker recomputes them.
 */
import { spreadOfInterval } from '../stats/moderated-spread.js';
import { p50Interval } from '../stats/repetition-stats.js';
import type { RepetitionCell } from '../results/cell-types.js';
import { cellKeyOf, type CellSpread } from './cell-interval.js';

type Repetition = Pick<RepetitionCell, 'model_id' | 'device' | 'batch_size' | 'repetition' | 'started_at' | 'discarded' | 'samples_ms'> & { variant?: string | null };

/** Per device and cell: which clean repetitions its entry was computed from, and the spread. */
const memo = new Map<string, { signature: string; spread: CellSpread | null }>();
/** Far above any study's cells (the papers preset has 231 a device); a bound, not a tuning. */
const MEMO_CELLS = 10_000;

/** The own spread of every cell with 2 or more clean repetitions among `reps` (one device's). */
export function cellSpreads(reps: readonly Repetition[]): CellSpread[] {
  const byCell = new Map<string, Repetition[]>();
  for (const r of reps) if (!r.discarded) byCell.set(cellKeyOf(r), [...(byCell.get(cellKeyOf(r)) ?? []), r]);
  const out: CellSpread[] = [];
  for (const [key, clean] of byCell) {
    clean.sort((a, b) => a.repetition - b.repetition);
    const signature = clean.map((r) => `${r.repetition}@${r.started_at}`).join(',');
    const memoKey = `${clean[0]!.device}\u0000${key}`;
    let entry = memo.get(memoKey);
    if (entry?.signature !== signature) {
      const interval = clean.length >= 2 ? p50Interval(clean.map((r) => r.samples_ms)) : null;
      const spread = interval && spreadOfInterval(interval.relative_half_width, interval.repetitions);
      const first = clean[0]!;
      entry = { signature, spread: spread ? { model_id: first.model_id, batch_size: first.batch_size, variant: first.variant ?? null, spread } : null };
      if (memo.size >= MEMO_CELLS) memo.clear();
      memo.set(memoKey, entry);
    }
    if (entry.spread) out.push(entry.spread);
  }
  return out;
}
