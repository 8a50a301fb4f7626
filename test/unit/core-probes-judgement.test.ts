/**
 * A cell's kept repetitions judged again by the probes of the cores once the device's references
 * have settled (src/latency/core-probes-judgement.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreProbeReference, DEFAULT_NOISE_THRESHOLDS, ONE_CORE_FACTOR } from '../../src/host/host-noise.js';
import { newlyDisturbedByCores } from '../../src/latency/core-probes-judgement.js';
import type { RepetitionCell } from '../../src/results/cell-types.js';

const rep = (repetition: number, link: number | null, discarded = false, reasons: string[] = [], share: number | null = null, threads = 2) =>
  ({ repetition, host_core_link_ns: link, host_core_share_ratio: share, discarded, discard_reasons: reasons, measurement: { threads } }) as unknown as RepetitionCell;
const links = (readings: number[]) => ({ linkNs: coreProbeReference(readings), shareRatio: null });

test('repetitions kept while the reference sat in the slow state are discarded once it settles; the rest are left alone', () => {
  // The device's first readings were all slow: their own lower quartile keeps them.
  const early = [350, 345, 352, 340];
  const reps = [rep(0, 350), rep(1, 130), rep(2, 345, true, ['other processes used 0.50 cores (limit 0.1)']), rep(3, null)];
  assert.deepEqual(newlyDisturbedByCores(reps, links(early), DEFAULT_NOISE_THRESHOLDS), []);
  // Later the device reads the fast state most of the time: the lower quartile moves to it.
  const later = [...early, 130, 125, 128, 122, 131, 127, 124, 126];
  const changed = newlyDisturbedByCores(reps, links(later), DEFAULT_NOISE_THRESHOLDS);
  assert.deepEqual(changed.map((r) => r.repetition), [0]);
  assert.equal(changed[0]!.discarded, true);
  assert.match(changed[0]!.discard_reasons[0]!, /round trip between two cores took 350 ns, above 2× the device's usual 12\d ns/);
  // The input is not changed in place; a repetition already discarded keeps its reasons as they were.
  assert.equal(reps[0]!.discarded, false);
  assert.deepEqual(newlyDisturbedByCores(reps, links(later), { maxCoreLinkFactor: null, maxCoreShareFactor: null }), []);
});

test('with the ratio judged, a kept two-thread repetition read on one core is discarded once the device has a reference for it; a one-thread one is not judged by it', () => {
  const reps = [rep(0, 85, false, [], 2.03), rep(1, 125, false, [], 1.05), rep(2, 85, false, [], 2.03, 1)];
  assert.deepEqual(newlyDisturbedByCores(reps, { linkNs: 120, shareRatio: null }, { ...DEFAULT_NOISE_THRESHOLDS, maxCoreShareFactor: ONE_CORE_FACTOR }), [], 'no reference yet');
  const settled = { linkNs: 120, shareRatio: coreProbeReference([2.03, 1.05, 1.0, 1.1, 0.98]) };
  assert.deepEqual(newlyDisturbedByCores(reps, settled, DEFAULT_NOISE_THRESHOLDS), [], 'the ratio is not judged by default');
  const changed = newlyDisturbedByCores(reps, settled, { ...DEFAULT_NOISE_THRESHOLDS, maxCoreShareFactor: ONE_CORE_FACTOR });
  assert.deepEqual(changed.map((r) => r.repetition), [0]);
  assert.match(changed[0]!.discard_reasons.join('; '), /two threads ran a loop 2\.03× as long as one/);
});
