/**
 * A cell's repetitions judged again by the cores' round trip (src/host/host-noise.ts
 * coreLinkDisturbance) against the device's reference as it stands now. The reference is the lower
 * quartile of the device's readings so far, so it settles only as readings come in: in the first
 * pair measured with the rule, 5 of A's 9 first-round repetitions read about 340–350 ns and were
 * kept, since the reference then rested on those same readings, while the run's lower quartile
 * came to 127 ns; that round ran 12.5% slower than the cells' medians (docs/BENCHMARKS.md, the
 * 14:44 pair). Judging a cell's kept repetitions again whenever the cell is
 * visited means every repetition of a cell is judged against the reference as it stood when the
 * cell finished.
 */
import { coreLinkDisturbance, type NoiseThresholds } from '../host/host-noise.js';
import type { RepetitionCell } from '../results/cell-types.js';

/** The kept repetitions that the reference now calls disturbed, marked discarded with the reason added; the others are not returned. */
export function newlyDisturbedByCoreLink(reps: readonly RepetitionCell[], reference: number | null, thresholds: Pick<NoiseThresholds, 'maxCoreLinkFactor'>): RepetitionCell[] {
  return reps.flatMap((r) => {
    if (r.discarded) return [];
    const d = coreLinkDisturbance(r.host_core_link_ns ?? null, reference, thresholds);
    return d ? [{ ...r, discarded: true, discard_reasons: [...r.discard_reasons, d.message] }] : [];
  });
}
