/**
 * The resampling kernels' WebAssembly is resample.wat assembled: what runs is what the source says.
 * Their output against the JavaScript reference and real Pillow is tested in dataset-crops.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESAMPLE_WASM } from '../../src/prepare/resample-wasm-module.js';
import { assemble, MODULES } from '../../scripts/build-wasm.js';

test('the committed resampling WebAssembly is resample.wat assembled (npm run build:wasm)', async () => {
  assert.equal(Buffer.from(await assemble(MODULES.resample)).toString('base64'), RESAMPLE_WASM);
});
