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
import { readCoreLinkNs } from '../../src/host/core-link-probe.js';
import { CORE_PROBE_MIN_READINGS, coreDisturbances, coreProbeReference, DEFAULT_NOISE_THRESHOLDS } from '../../src/host/host-noise.js';
import { worseReading } from '../../src/latency/host-probes-around.js';
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
  assert.equal(worseReading(150, 450), 450);
  assert.equal(worseReading(450, 150), 450);
  assert.equal(worseReading(null, 150), 150);
  assert.equal(worseReading(150, null), 150);
  assert.equal(worseReading(null, null), null);
});

test('the device\'s reference is the lower quartile of its readings, none below the minimum count', () => {
  assert.equal(CORE_PROBE_MIN_READINGS, 4);
  assert.equal(coreProbeReference([150, 450, 460]), null);
  // Sorted 140, 150, 160, 450, 470: rank 0.25 × 4 = 1, so the second.
  assert.equal(coreProbeReference([450, 150, 470, 140, 160]), 150);
  // Readings that are not readings (NaN for a repetition without one) do not count.
  assert.equal(coreProbeReference([NaN, 150, NaN, 450, 460]), null);
  // A host in the slow state most of the time is judged against that state.
  assert.equal(coreProbeReference([450, 460, 470, 480, 150]), 450);
});

test('a repetition above 2× the reference is disturbed; one without a reading or a reference, or with the check off, is not', () => {
  assert.equal(DEFAULT_NOISE_THRESHOLDS.maxCoreLinkFactor, 2);
  const judge = (ns: number | null, ref: number | null, t: Partial<typeof DEFAULT_NOISE_THRESHOLDS> = {}) =>
    coreDisturbances({ linkNs: ns, shareRatio: null }, { linkNs: ref, shareRatio: null }, { ...DEFAULT_NOISE_THRESHOLDS, ...t });
  const slow = judge(470, 150);
  assert.deepEqual(slow.map((d) => d.kind), ['core-link']);
  assert.match(slow[0]!.message, /took 470 ns, above 2× the device's usual 150 ns/);
  assert.deepEqual(judge(300, 150), [], 'at the limit');
  assert.deepEqual(judge(301, 150).map((d) => d.kind), ['core-link'], 'just above');
  assert.deepEqual(judge(470, null), [], 'too few readings to judge');
  assert.deepEqual(judge(null, 150), [], 'no reading');
  assert.deepEqual(judge(470, 150, { maxCoreLinkFactor: null }), [], 'check off');
  assert.deepEqual(judge(470, 150, { maxCoreLinkFactor: 4 }), []);
});
