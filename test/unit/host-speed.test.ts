/**
 * The speed probe (src/host/speed-probe.ts) and the host's speed B/A from its readings
 * (src/analysis/host-speed.ts), on synthetic readings with a known ratio.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHostSpeed, speedRatio } from '../../src/analysis/host-speed.js';
import { fastestReading, readHostSpeed } from '../../src/host/speed-probe.js';
import { prng } from '../../src/stats/prng.js';
import { gaussian } from '../helpers/gaussian.js';

test('the probe reads both kernels as positive times, and two readings combine as each kernel\'s fastest', () => {
  const r = readHostSpeed();
  assert.ok(r.computeMs > 0 && Number.isFinite(r.computeMs), JSON.stringify(r));
  assert.ok(r.memoryMs > 0 && Number.isFinite(r.memoryMs), JSON.stringify(r));
  assert.deepEqual(fastestReading([{ computeMs: 1, memoryMs: 4 }, { computeMs: 3, memoryMs: 2 }]), { computeMs: 1, memoryMs: 2 });
  assert.throws(() => fastestReading([]), /no readings/);
});

/** n readings around `ms` with 1.5% noise and an occasional 50% outlier (a preempted pass). */
function readings(draw: () => number, random: () => number, ms: number, n: number): number[] {
  return Array.from({ length: n }, () => ms * Math.exp(0.015 * draw()) * (random() < 0.05 ? 1.5 : 1));
}

test('a host 4% slower in B: the ratio is found, its interval holds it and excludes 1, and outliers do not move it', () => {
  const random = prng(3);
  const draw = gaussian(random);
  const a = readings(draw, random, 1.8, 60);
  const b = readings(draw, random, 1.8 * 1.04, 60);
  const s = speedRatio(a, b)!;
  assert.ok(Math.abs(s.ratio - 1.04) < 0.01, JSON.stringify(s));
  assert.ok(s.low < 1.04 && s.high > 1.04 && s.low > 1, JSON.stringify(s));
  assert.ok(s.logSe > 0 && s.logSe < 0.01, JSON.stringify(s));
  assert.deepEqual(speedRatio(a, b), s, 'seeded: the same readings give the same interval');
});

test('the same host in both: the interval holds 1 in about 95% of pairs', () => {
  const random = prng(4);
  const draw = gaussian(random);
  let covered = 0;
  const pairs = 100;
  for (let i = 0; i < pairs; i++) {
    const s = speedRatio(readings(draw, random, 1.8, 40), readings(draw, random, 1.8, 40), 500, i)!;
    if (s.low <= 1 && s.high >= 1) covered++;
  }
  assert.ok(covered >= 88, `${covered} of ${pairs}`);
});

test('too few readings on a side, or a study without the probe: no ratio', () => {
  assert.equal(speedRatio([1, 1], [1, 1, 1]), null);
  assert.equal(compareHostSpeed({ compute: [], memory: [] }, { compute: [1, 2, 3], memory: [1, 2, 3] }), null);
  const both = compareHostSpeed({ compute: [1, 1, 1], memory: [2, 2, 2] }, { compute: [1.1, 1.1, 1.1], memory: [2, 2, 2] })!;
  assert.ok(Math.abs(both.compute.ratio - 1.1) < 1e-12 && both.memory.ratio === 1, JSON.stringify(both));
});
