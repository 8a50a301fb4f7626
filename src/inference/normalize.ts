import { Float16Array } from '@petamoriken/float16';
import type { Preprocessing } from '../spec/study-spec.js';

export type InputDtype = 'float32' | 'float16';

/**
 * Per-channel affine map folded into one multiply-add per value: (x·scale − mean)/std = x·a + b.
 * Indexed by the model's channel (after any RGB→BGR swap).
 */
function channelCoefficients(p: Preprocessing): { a: Float32Array; b: Float32Array } {
  const scale = p.scale === 'unit' ? 1 / 255 : 1;
  const a = new Float32Array(3);
  const b = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    a[c] = scale / p.std[c]!;
    b[c] = -p.mean[c]! / p.std[c]!;
  }
  return { a, b };
}

/**
 * Turns `n` uint8 RGB HWC crops (contiguous) into the model's float input: channel order, scale,
 * mean/std and layout from its preprocessing. Writes into `out` when given (reused across batches).
 */
export function normalizeCrops(pixels: Uint8Array, n: number, crop: number, p: Preprocessing, out?: Float32Array): Float32Array {
  const plane = crop * crop;
  const size = n * plane * 3;
  if (pixels.length < size) throw new RangeError(`expected ${size} bytes of crops, got ${pixels.length}`);
  const dst = out && out.length === size ? out : new Float32Array(size);
  const { a, b } = channelCoefficients(p);
  // Source channel feeding model channel c: RGB keeps it, BGR reverses it.
  const src = p.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let i = 0; i < n; i++) {
    const base = i * plane * 3;
    for (let c = 0; c < 3; c++) {
      const ac = a[c]!, bc = b[c]!, sc = src[c]!;
      if (p.layout === 'NCHW') {
        const o = base + c * plane;
        for (let k = 0; k < plane; k++) dst[o + k] = pixels[base + k * 3 + sc]! * ac + bc;
      } else {
        for (let k = 0; k < plane; k++) dst[base + k * 3 + c] = pixels[base + k * 3 + sc]! * ac + bc;
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
