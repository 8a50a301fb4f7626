import type { InputDtype } from './normalise.js';
import type { Preprocessing } from '../study/study-spec.js';
import { fillInput, inputLut } from './input-lut.js';
import { SimdNormaliser } from './simd-normalise.js';

/** Builds one run's input from n crops, rows ≥ n (rows past n are zeros); the result is reused by the next call. */
export type InputBuilder = (crops: Uint8Array, n: number, rows: number) => Float32Array | Uint16Array;

/**
 * How the model's thread turns crops into inputs between runs: the SIMD kernel for float32 NCHW
 * inputs, the lookup tables otherwise. Both give normaliseCrops' values bit for bit.
 */
export function runnerInputs(p: Preprocessing, dtype: InputDtype, crop: number): { build: InputBuilder; kernel: 'simd' | 'table' } {
  if (SimdNormaliser.supports(p, dtype)) {
    const simd = new SimdNormaliser(p, crop);
    return { build: (crops, n, rows) => simd.fill(crops, n, rows), kernel: 'simd' };
  }
  const lut = inputLut(p, dtype);
  const per = 3 * crop * crop;
  let input: Float32Array | Uint16Array | undefined;
  return {
    kernel: 'table',
    build(crops, n, rows) {
      if (input?.length !== rows * per) input = dtype === 'float16' ? new Uint16Array(rows * per) : new Float32Array(rows * per);
      fillInput(crops, n, crop, lut, input);
      input.fill(0, n * per);
      return input;
    },
  };
}
