import { Float16Array } from '@petamoriken/float16';
import type { Preprocessing } from '../study/study-spec.js';

export type InputDtype = 'float32' | 'float16';

/**
 * The float32 constants of a model's normalisation, per model channel (after any RGB→BGR swap):
 * the scale, mean and std as float32, as numpy holds them in the reference
 * (scripts/python/reference_accuracy.py).
 */
export function channelConstants(p: Preprocessing): { scale: number; mean: Float32Array; std: Float32Array } {
  return { scale: Math.fround(p.scale === 'unit' ? 1 / 255 : 1), mean: Float32Array.from(p.mean), std: Float32Array.from(p.std) };
}

/**
 * Turns `n` uint8 RGB HWC crops (contiguous) into the model's float input: channel order, scale,
 * mean/std and layout from its preprocessing. Writes into `out` when given (reused across batches).
 * Each value is ((x · scale) − mean) / std with every step rounded to float32: numpy's float32
 * arithmetic in the Python reference, so the inputs are its inputs bit for bit (and what the
 * evaluation's SIMD kernel computes, src/inputs/simd-normalise.wat).
 */
export function normaliseCrops(pixels: Uint8Array, n: number, crop: number, p: Preprocessing, out?: Float32Array): Float32Array {
  const plane = crop * crop;
  const size = n * plane * 3;
  if (pixels.length < size) throw new RangeError(`expected ${size} bytes of crops, got ${pixels.length}`);
  const dst = out && out.length === size ? out : new Float32Array(size);
  const { scale, mean, std } = channelConstants(p);
  const f = Math.fround;
  // Source channel feeding model channel c: RGB keeps it, BGR reverses it.
  const src = p.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let i = 0; i < n; i++) {
    const base = i * plane * 3;
    for (let c = 0; c < 3; c++) {
      const m = mean[c]!, d = std[c]!, sc = src[c]!;
      if (p.layout === 'NCHW') {
        const o = base + c * plane;
        for (let k = 0; k < plane; k++) dst[o + k] = f(f(f(pixels[base + k * 3 + sc]! * scale) - m) / d);
      } else {
        for (let k = 0; k < plane; k++) dst[base + k * 3 + c] = f(f(f(pixels[base + k * 3 + sc]! * scale) - m) / d);
      }
    }
  }
  return dst;
}

/** float32 → IEEE half bits, for models whose input is float16 (onnxruntime takes them as Uint16Array). */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const half = new Float16Array(values);
  return new Uint16Array(half.buffer, half.byteOffset, half.length);
}

/** IEEE half bits → float32, for float16 outputs. */
export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  return Float32Array.from(new Float16Array(bits.buffer, bits.byteOffset, bits.length));
}
