/**
 * A cell's repetitions judged again by the probes of the cores (src/host/host-noise.ts
 * coreDisturbances) against the device's references as they stand now. A reference is the lower
 * quartile of the device's readings so far, so it settles only as readings come in: in the first
 * pair measured with the round-trip rule, 5 of A's 9 first-round repetitions read about 340–350 ns
 * and were kept, since the reference then rested on those same readings, while the run's lower
 * quartile came to 127 ns; that round ran 12.5% slower than the cells' medians (docs/BENCHMARKS.md,
 * the 14:44 pair). Judging a cell's kept repetitions again whenever the cell is visited means every
 * repetition of a cell is judged against the references as they stood when the cell finished.
 */
import { coreDisturbances, judgedCoreReadings, type CoreReadings, type NoiseThresholds } from '../host/host-noise.js';
import type { RepetitionCell } from '../results/cell-types.js';

/** The kept repetitions that the references now call disturbed, marked discarded with the reasons added; the others are not returned. */
export function newlyDisturbedByCores(
  reps: readonly RepetitionCell[], reference: CoreReadings, thresholds: Pick<NoiseThresholds, 'maxCoreLinkFactor' | 'maxCoreShareFactor'>,
): RepetitionCell[] {
  return reps.flatMap((r) => {
    if (r.discarded) return [];
    const found = coreDisturbances(judgedCoreReadings(r.host_core_link_ns ?? null, r.host_core_share_ratio ?? null, r.measurement?.threads), reference, thresholds);
    return found.length ? [{ ...r, discarded: true, discard_reasons: [...r.discard_reasons, ...found.map((d) => d.message)] }] : [];
  });
}
