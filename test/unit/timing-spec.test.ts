/**
 * The study spec's timing: its defaults are those of the modules that apply them (the spec cannot
 * import them without a folder cycle, so this test is what keeps the two equal), bad repetition
 * bounds and unknown keys are refused in words, and the default timing meets SPEC.md's minimums.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_NOISE_THRESHOLDS } from '../../src/host/host-noise.js';
import { DEFAULT_REPETITION_SETTINGS } from '../../src/latency/repetition-decision.js';
import { DEFAULT_STABILITY_SETTINGS } from '../../src/latency/stability.js';
import { DEFAULT_WARMUP_SETTINGS } from '../../src/latency/warmup.js';
import { parseStudySpec, timingSpec, type TimingSpec } from '../../src/study/study-spec.js';
import { timingBelowSpec } from '../../src/study/timing-minimums.js';

const minimal = { models: ['x.onnx'], devices: [{ queue: 'cpu-a' }] };
const withTiming = (timing: Record<string, unknown>) => parseStudySpec({ ...minimal, timing });

test('the spec\'s timing defaults are the defaults of the modules that apply them', () => {
  const timing = parseStudySpec(minimal).timing;
  const { minRepetitions, maxRepetitions, targetPrecision } = timing;
  assert.deepEqual({ minRepetitions, maxRepetitions, targetPrecision }, DEFAULT_REPETITION_SETTINGS);
  assert.deepEqual(timing.warmup, DEFAULT_WARMUP_SETTINGS);
  const { discard, ...thresholds } = timing.noise;
  assert.deepEqual(thresholds, DEFAULT_NOISE_THRESHOLDS);
  assert.equal(discard, true);
  const { minRepetitions: stabilityMin, targetPrecision: stabilityPrecision, ...drift } = DEFAULT_STABILITY_SETTINGS;
  assert.deepEqual(timing.stability, drift);
  assert.equal(stabilityMin, minRepetitions);
  assert.equal(stabilityPrecision, targetPrecision);
  // A timing given in part, or not at all, gets the same defaults.
  assert.deepEqual(timingSpec(), timing);
  assert.deepEqual(withTiming({ noise: { maxOtherCores: 0.2 } }).timing.warmup, DEFAULT_WARMUP_SETTINGS);
  assert.deepEqual(withTiming({ warmup: { window: 8 } }).timing.noise, timing.noise);
});

test('maxRepetitions below minRepetitions is refused, naming it', () => {
  assert.throws(() => withTiming({ minRepetitions: 5, maxRepetitions: 4 }), /timing\.maxRepetitions: maxRepetitions 4 is below minRepetitions 5/);
  // Below the default minimum, given alone.
  assert.throws(() => withTiming({ maxRepetitions: DEFAULT_REPETITION_SETTINGS.minRepetitions - 1 }), /timing\.maxRepetitions/);
  assert.equal(withTiming({ minRepetitions: 4, maxRepetitions: 4 }).timing.maxRepetitions, 4);
});

test('unknown keys inside timing.noise, timing.warmup and timing.stability are refused, naming them', () => {
  assert.throws(() => withTiming({ noise: { maxStealFraktion: 0.1 } }), (err: Error) => {
    assert.match(err.message, /timing\.noise/);
    assert.match(err.message, /maxStealFraktion/);
    return true;
  });
  assert.throws(() => withTiming({ warmup: { windows: 5 } }), /timing\.warmup[\s\S]*windows/);
  assert.throws(() => withTiming({ stability: { alpha: 0.05 } }), /timing\.stability[\s\S]*alpha/);
});

test('timingBelowSpec: nothing for the default timing, each shortfall of a reduced one', () => {
  const defaults = parseStudySpec(minimal).timing;
  assert.deepEqual(timingBelowSpec(defaults), []);
  // Above the minimums everywhere: nothing either.
  assert.deepEqual(timingBelowSpec({ ...defaults, warmupRuns: 20, warmupSeconds: 2, minRuns: 100, minSeconds: 5, minRepetitions: 5, targetPrecision: 0.01 }), []);

  const reduced: Partial<TimingSpec> = { warmupRuns: 3, warmupSeconds: 0.2, minRuns: 20, minSeconds: 1, minRepetitions: 1, targetPrecision: 0.05 };
  const shortfalls = timingBelowSpec({ ...defaults, ...reduced });
  assert.equal(shortfalls.length, Object.keys(reduced).length, shortfalls.join('; '));
  for (const [field, value] of Object.entries(reduced)) {
    const naming = shortfalls.filter((s) => new RegExp(`^${field} `).test(s));
    assert.equal(naming.length, 1, `${field}: ${shortfalls.join('; ')}`);
    assert.ok(naming[0]!.includes(String(value)), `${naming[0]} should give the value ${value}`);
  }
  // One field reduced: only it is listed.
  for (const [field, value] of Object.entries(reduced)) {
    const one = timingBelowSpec({ ...defaults, [field]: value });
    assert.equal(one.length, 1, `${field}: ${one.join('; ')}`);
    assert.match(one[0]!, new RegExp(`^${field} `));
  }
});
