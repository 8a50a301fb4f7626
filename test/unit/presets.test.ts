/**
 * The built-in presets: each is a valid study spec, and one whose timing falls short of SPEC.md's
 * minimums says why (study.parquet records the shortfalls beside that reason), while one that meets
 * them gives no reason to record.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRESET_NAMES, presetSpec } from '../../src/study/presets.js';
import { parseStudySpec } from '../../src/study/study-spec.js';
import { timingBelowSpec } from '../../src/study/timing-minimums.js';

for (const name of PRESET_NAMES) {
  test(`preset ${name}: a valid spec whose timing gives a reason exactly when it is below SPEC.md's minimums`, () => {
    const { timing } = parseStudySpec(presetSpec(name, 'cpu-x86_64'), `preset ${name}`);
    const below = timingBelowSpec(timing);
    if (below.length > 0) assert.ok(timing.reason?.trim(), `${name} is below the minimums (${below.join('; ')}) without a reason`);
    else assert.equal(timing.reason, undefined, `${name} meets the minimums, yet gives a reason for falling short`);
  });
}

test('the kit preset measures at SPEC.md\'s minimums: it is the study of the real models', () => {
  assert.deepEqual(timingBelowSpec(parseStudySpec(presetSpec('kit', 'cpu-x86_64')).timing), []);
});
