/** Warm-up until steady on synthetic sequences: a decay ends it after the decay, a flat start at the floors, a drift at the cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussian } from '../helpers/gaussian.js';
import { prng } from '../../src/stats/prng.js';
import { DEFAULT_WARMUP_SETTINGS, warmupDecision, type WarmupFloors, type WarmupSettings } from '../../src/latency/warmup.js';

/** Feeds run after run (elapsed = the latencies so far) until the rule stops; returns its final decision. */
function warmUp(latency: (i: number) => number, floors: WarmupFloors, settings: WarmupSettings = DEFAULT_WARMUP_SETTINGS) {
  const seen: number[] = [];
  let elapsed = 0;
  for (let i = 0; i < 100_000; i++) {
    seen.push(latency(i));
    elapsed += latency(i) / 1000;
    const d = warmupDecision(seen, elapsed, floors, settings);
    if (d.stop) return d;
  }
  throw new Error('warm-up never stopped');
}

const floors = { warmupRuns: 10, warmupSeconds: 0.01 };

test('a decaying start stops once the decay has faded, not at the floor', () => {
  const draw = gaussian(prng(1));
  // 60% slower at first, decaying with a time constant of 6 runs, 0.5% noise.
  const decay = (i: number) => 10 * (1 + 0.6 * Math.exp(-i / 6)) * (1 + 0.005 * draw());
  const d = warmUp(decay, floors);
  assert.equal(d.reason, 'steady');
  assert.ok(d.runs > 15, `stopped after ${d.runs} runs, while still ${(60 * Math.exp(-(d.runs - 1) / 6)).toFixed(1)}% slow`);
  // What is left of the decay when it stops: within a few percent of the settled latency.
  assert.ok(0.6 * Math.exp(-(d.runs - 1) / 6) < 0.03, `stopped after ${d.runs} runs`);
  assert.ok(d.runs < 40, `stopped after ${d.runs} runs`);
});

test('a flat start stops at the floors: runs, or seconds when those are the longer', () => {
  const draw = gaussian(prng(2));
  const flat = (i: number) => 10 * (1 + 0.003 * draw()) + 0 * i;
  assert.deepEqual(warmUp(flat, floors), { stop: true, reason: 'steady', runs: 10 });
  assert.deepEqual(warmUp(flat, { warmupRuns: 25, warmupSeconds: 0 }), { stop: true, reason: 'steady', runs: 25 });
  // 1.5 s of 10 ms runs is about 150 runs; the cap (100 runs, 10 s) never cuts a floor short.
  const d = warmUp(flat, { warmupRuns: 2, warmupSeconds: 1.5 });
  assert.ok(d.reason === 'steady' && d.runs >= 149 && d.runs <= 152, JSON.stringify(d));
  // Below both floors nothing stops, not even a cap of 5 runs.
  assert.deepEqual(warmupDecision([10, 10, 10, 10, 10, 10], 0.06, { warmupRuns: 8, warmupSeconds: 0 }, { ...DEFAULT_WARMUP_SETTINGS, maxRuns: 5 }),
    { stop: false, reason: 'below-floor', runs: 6 });
});

test('a latency that never settles stops at the cap: runs for fast models, seconds for slow ones', () => {
  // Rising 3% per run (a clock throttling down): the two windows' medians always differ by about 15%.
  const rising = (i: number) => 5 * 1.03 ** i;
  const byRuns = warmUp(rising, floors);
  assert.deepEqual([byRuns.reason, byRuns.runs], ['cap', DEFAULT_WARMUP_SETTINGS.maxRuns]);
  // 400 ms runs alternating ±30%: never steady, and 10 s is 25 runs.
  const swinging = (i: number) => 400 * (1 + 0.3 * Math.sin(i * 0.7));
  const bySeconds = warmUp(swinging, floors);
  assert.equal(bySeconds.reason, 'cap');
  assert.ok(bySeconds.runs >= 24 && bySeconds.runs <= 27, `stopped after ${bySeconds.runs}`);
});
