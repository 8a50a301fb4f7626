/**
 * The round trip between two cores (src/host/core-link-probe.ts) read on this real machine, and the
 * rule that discards a multi-threaded repetition read in the slow state (host-noise.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readCoreLinkNs, slowerLink } from '../../src/host/core-link-probe.js';
import { CORE_LINK_MIN_READINGS, coreLinkDisturbance, coreLinkReference, DEFAULT_NOISE_THRESHOLDS } from '../../src/host/host-noise.js';
import { ROOT } from '../helpers/cli.js';

test('on two or more CPUs the round trip reads between 10 ns and 100 µs: a cache line, not a scheduler quantum', { skip: os.availableParallelism() < 2 && 'one CPU' }, async () => {
  // With both cores busy elsewhere the other thread does not answer and the probe says null (it
  // does not guess): so a few tries, of which at least one must read, and every reading must be sane.
  const readings: (number | null)[] = [];
  for (let i = 0; i < 5 && !readings.some((r) => r !== null); i++) readings.push(await readCoreLinkNs());
  const read = readings.filter((r): r is number => r !== null);
  assert.ok(read.length > 0 && read.every((ns) => ns > 10 && ns < 100_000), `round trips ${readings.join(', ')} ns`);
});

test('held to one CPU (taskset), the probe reads null instead of timing two threads taking turns', { skip: os.availableParallelism() < 2 && 'one CPU' }, async () => {
  const script = `import { readCoreLinkNs } from ${JSON.stringify(path.join(ROOT, 'src/host/core-link-probe.ts'))}; console.log(JSON.stringify(await readCoreLinkNs()));`;
  const { stdout } = await promisify(execFile)('taskset', ['-c', '0', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
  assert.equal(stdout.trim(), 'null');
});

test('the readings around a repetition count as the slower; a missing one leaves the other', () => {
  assert.equal(slowerLink(150, 450), 450);
  assert.equal(slowerLink(450, 150), 450);
  assert.equal(slowerLink(null, 150), 150);
  assert.equal(slowerLink(150, null), 150);
  assert.equal(slowerLink(null, null), null);
});

test('the device\'s reference is the lower quartile of its readings, none below the minimum count', () => {
  assert.equal(CORE_LINK_MIN_READINGS, 4);
  assert.equal(coreLinkReference([150, 450, 460]), null);
  // Sorted 140, 150, 160, 450, 470: rank 0.25 × 4 = 1, so the second.
  assert.equal(coreLinkReference([450, 150, 470, 140, 160]), 150);
  // Readings that are not readings (NaN for a repetition without one) do not count.
  assert.equal(coreLinkReference([NaN, 150, NaN, 450, 460]), null);
  // A host in the slow state most of the time is judged against that state.
  assert.equal(coreLinkReference([450, 460, 470, 480, 150]), 450);
});

test('a repetition above 2× the reference is disturbed; one without a reading or a reference, or with the check off, is not', () => {
  assert.equal(DEFAULT_NOISE_THRESHOLDS.maxCoreLinkFactor, 2);
  const slow = coreLinkDisturbance(470, 150, DEFAULT_NOISE_THRESHOLDS);
  assert.equal(slow?.kind, 'core-link');
  assert.match(slow!.message, /took 470 ns, above 2× the device's usual 150 ns/);
  assert.equal(coreLinkDisturbance(300, 150, DEFAULT_NOISE_THRESHOLDS), null, 'at the limit');
  assert.equal(coreLinkDisturbance(301, 150, DEFAULT_NOISE_THRESHOLDS)?.kind, 'core-link', 'just above');
  assert.equal(coreLinkDisturbance(470, null, DEFAULT_NOISE_THRESHOLDS), null, 'too few readings to judge');
  assert.equal(coreLinkDisturbance(null, 150, DEFAULT_NOISE_THRESHOLDS), null, 'no reading');
  assert.equal(coreLinkDisturbance(470, 150, { maxCoreLinkFactor: null }), null, 'check off');
  assert.equal(coreLinkDisturbance(470, 150, { maxCoreLinkFactor: 4 }), null);
});
