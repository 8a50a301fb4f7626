/**
 * Whether two threads share a core (src/host/core-share-probe.ts), read on this real machine, and
 * the rule that discards a repetition read while they did (host-noise.ts coreDisturbances).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readCoreShareRatio } from '../../src/host/core-share-probe.js';
import { coreDisturbances, DEFAULT_NOISE_THRESHOLDS, ONE_CORE_FACTOR } from '../../src/host/host-noise.js';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const onOneCpu = (call: string) => run('taskset', ['-c', '0', process.execPath, '--import', 'tsx', '--input-type=module', '-e',
  `import * as p from ${JSON.stringify(path.join(ROOT, 'src/host/core-share-probe.ts'))}; console.log(JSON.stringify(await p.${call}()));`], { cwd: ROOT });

test('on two or more CPUs the ratio reads between 0.5 and 3: one loop per thread, whether or not they share a core', { skip: os.availableParallelism() < 2 && 'one CPU' }, async () => {
  // With both cores busy elsewhere the other thread may not run in time and the probe says null:
  // so a few tries, of which at least one must read.
  const readings: (number | null)[] = [];
  for (let i = 0; i < 5 && !readings.some((r) => r !== null); i++) readings.push(await readCoreShareRatio());
  const read = readings.filter((r): r is number => r !== null);
  assert.ok(read.length > 0 && read.every((r) => r > 0.5 && r < 3), `ratios ${readings.join(', ')}`);
});

test('held to one CPU (taskset), the two threads take turns and the loop reads about twice as long; readCoreShareRatio says null there', { skip: os.availableParallelism() < 2 && 'one CPU' }, async () => {
  // The same competition for one core's time as two hardware threads' for its units, made certain:
  // a kernel the two threads did not compete on (or a partner that never ran it) would read near 1.
  const shared = JSON.parse((await onOneCpu('measureShareRatio')).stdout) as number | null;
  assert.ok(shared !== null && shared > 1.7 && shared < 2.5, `one CPU: ratio ${shared}`);
  assert.equal((await onOneCpu('readCoreShareRatio')).stdout.trim(), 'null');
});

test('off by default; set to 1.5, a repetition whose ratio is above 1.5× the reference is disturbed, the round trip judged beside it', () => {
  assert.equal(DEFAULT_NOISE_THRESHOLDS.maxCoreShareFactor, null);
  assert.deepEqual(coreDisturbances({ linkNs: 85, shareRatio: 2.04 }, { linkNs: 120, shareRatio: 1.0 }, DEFAULT_NOISE_THRESHOLDS), [], 'off by default');
  const on = { ...DEFAULT_NOISE_THRESHOLDS, maxCoreShareFactor: ONE_CORE_FACTOR };
  const ref = { linkNs: 120, shareRatio: 1.0 };
  const shared = coreDisturbances({ linkNs: 85, shareRatio: 2.04 }, ref, on);
  assert.deepEqual(shared.map((d) => d.kind), ['core-share']);
  assert.match(shared[0]!.message, /two threads ran a loop 2\.04× as long as one, above 1\.5× the device's usual 1\.00/);
  assert.deepEqual(coreDisturbances({ linkNs: 120, shareRatio: 1.5 }, ref, on), [], 'at the limit');
  assert.deepEqual(coreDisturbances({ linkNs: 120, shareRatio: 1.51 }, ref, on).map((d) => d.kind), ['core-share'], 'just above');
  assert.deepEqual(coreDisturbances({ linkNs: 400, shareRatio: 2.1 }, ref, on).map((d) => d.kind), ['core-link', 'core-share'], 'both');
  assert.deepEqual(coreDisturbances({ linkNs: 120, shareRatio: 2.1 }, { ...ref, shareRatio: null }, on), [], 'too few readings to judge');
  assert.deepEqual(coreDisturbances({ linkNs: 120, shareRatio: null }, ref, on), [], 'no reading');
  assert.deepEqual(coreDisturbances({ linkNs: 120, shareRatio: 2.1 }, ref, { ...on, maxCoreShareFactor: null }), [], 'check off');
  // A host whose two vCPUs are always one core's hardware threads reads about 2 every time: its reference is 2, and nothing is discarded.
  assert.deepEqual(coreDisturbances({ linkNs: 85, shareRatio: 2.05 }, { linkNs: 85, shareRatio: 1.98 }, on), []);
});
