import { normalizeCrops, toFloat16Bits, type InputDtype } from '../inference/normalize.js';
import type { Preprocessing } from '../spec/study-spec.js';

/**
 * A uint8 pixel has 256 values, so a model's whole input normalisation is three 256-entry tables
 * (one per model channel, channel order folded in). Built through normalizeCrops itself, and for
 * float16 inputs through toFloat16Bits, so a table lookup gives bit for bit what makeInput gives,
 * in one pass over the pixels with no float16 conversion per value (that took 150 ms per 32 crops).
 */
export interface InputLut {
  values: Float32Array | Uint16Array;
  /** Source (RGB) channel feeding model channel c. */
  src: [number, number, number];
  layout: Preprocessing['layout'];
}

export function inputLut(p: Preprocessing, dtype: InputDtype): InputLut {
  // A 16x16 "image" whose pixel v is (v, v, v): in NCHW its plane c holds channel c's table.
  const ramp = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
  const f32 = normalizeCrops(ramp, 1, 16, { ...p, layout: 'NCHW' });
  return {
    values: dtype === 'float16' ? toFloat16Bits(f32) : f32,
    src: p.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0],
    layout: p.layout,
  };
}

/** Fills `out` with n crops (uint8 RGB HWC, contiguous) as the model's input; rows past n stay as they are. */
export function fillInput(pixels: Uint8Array, n: number, crop: number, lut: InputLut, out: Float32Array | Uint16Array): void {
  const plane = crop * crop;
  if (pixels.length < n * plane * 3) throw new RangeError(`expected ${n * plane * 3} bytes of crops, got ${pixels.length}`);
  const t = lut.values;
  const [s0, s1, s2] = lut.src;
  for (let i = 0; i < n; i++) {
    const base = i * plane * 3;
    if (lut.layout === 'NCHW') {
      const o1 = base + plane;
      const o2 = base + 2 * plane;
      for (let k = 0, q = base; k < plane; k++, q += 3) {
        out[base + k] = t[pixels[q + s0]!]!;
        out[o1 + k] = t[256 + pixels[q + s1]!]!;
        out[o2 + k] = t[512 + pixels[q + s2]!]!;
      }
    } else {
      for (let q = base; q < base + plane * 3; q += 3) {
        out[q] = t[pixels[q + s0]!]!;
        out[q + 1] = t[256 + pixels[q + s1]!]!;
        out[q + 2] = t[512 + pixels[q + s2]!]!;
      }
    }
  }
}
