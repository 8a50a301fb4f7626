/**
 * A cell's kept repetitions judged again by the cores' round trip once the device's reference has
 * settled (src/latency/core-link-judgement.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreLinkReference, DEFAULT_NOISE_THRESHOLDS } from '../../src/host/host-noise.js';
import { newlyDisturbedByCoreLink } from '../../src/latency/core-link-judgement.js';
import type { RepetitionCell } from '../../src/results/cell-types.js';

const rep = (repetition: number, link: number | null, discarded = false, reasons: string[] = []) =>
  ({ repetition, host_core_link_ns: link, discarded, discard_reasons: reasons }) as unknown as RepetitionCell;

test('repetitions kept while the reference sat in the slow state are discarded once it settles; the rest are left alone', () => {
  // The device's first readings were all slow: their own lower quartile keeps them.
  const early = [350, 345, 352, 340];
  const reps = [rep(0, 350), rep(1, 130), rep(2, 345, true, ['other processes used 0.50 cores (limit 0.1)']), rep(3, null)];
  assert.deepEqual(newlyDisturbedByCoreLink(reps, coreLinkReference(early), DEFAULT_NOISE_THRESHOLDS), []);
  // Later the device reads the fast state most of the time: the lower quartile moves to it.
  const later = [...early, 130, 125, 128, 122, 131, 127, 124, 126];
  const changed = newlyDisturbedByCoreLink(reps, coreLinkReference(later), DEFAULT_NOISE_THRESHOLDS);
  assert.deepEqual(changed.map((r) => r.repetition), [0]);
  assert.equal(changed[0]!.discarded, true);
  assert.match(changed[0]!.discard_reasons[0]!, /round trip between two cores took 350 ns, above 2× the device's usual 12\d ns/);
  // The input is not changed in place; a repetition already discarded keeps its reasons as they were.
  assert.equal(reps[0]!.discarded, false);
  assert.deepEqual(newlyDisturbedByCoreLink(reps, coreLinkReference(later), { maxCoreLinkFactor: null }), []);
});
