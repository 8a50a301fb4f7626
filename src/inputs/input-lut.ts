import { normaliseCrops, toFloat16Bits, type InputDtype } from './normalise.js';
import type { Preprocessing } from '../study/study-spec.js';

/**
 * A uint8 pixel has 256 values, so a model's whole input normalisation is three 256-entry tables
 * (one per model channel). Built through normaliseCrops itself, and for float16 inputs through
 * toFloat16Bits, so a table lookup gives bit for bit what makeInput gives, in one pass over the
 * pixels with no float16 conversion per value (that took 150 ms per 32 crops).
 */
export interface InputLut {
  values: Float32Array | Uint16Array;
  /** Model channel fed by source (RGB) channel s: RGB keeps it, BGR reverses it. */
  channelOf: [number, number, number];
  layout: Preprocessing['layout'];
}

export function inputLut(p: Preprocessing, dtype: InputDtype): InputLut {
  // A 16x16 "image" whose pixel v is (v, v, v): in NCHW its plane c holds channel c's table.
  const ramp = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
  const f32 = normaliseCrops(ramp, 1, 16, { ...p, layout: 'NCHW' });
  return {
    values: dtype === 'float16' ? toFloat16Bits(f32) : f32,
    channelOf: p.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0],
    layout: p.layout,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Fills `out` with n crops (uint8 RGB HWC, contiguous) as the model's input; rows past n stay as
 * they are. This runs beside the model on the evaluation's helper thread, so its CPU time slows
 * inference down: the bytes are read four pixels (three 32-bit words) at a time, which halves
 * its cost against a byte at a time (the table lookups and float stores are what is left).
 */
export function fillInput(pixels: Uint8Array, n: number, crop: number, lut: InputLut, out: Float32Array | Uint16Array): void {
  const plane = crop * crop;
  if (pixels.length < n * plane * 3) throw new RangeError(`expected ${n * plane * 3} bytes of crops, got ${pixels.length}`);
  const t = lut.values;
  const [c0, c1, c2] = lut.channelOf;
  // Where source channel s of pixel k goes: out[image base + off_s + k × step].
  const nchw = lut.layout === 'NCHW';
  const step = nchw ? 1 : 3;
  const off0 = nchw ? c0 * plane : c0, off1 = nchw ? c1 * plane : c1, off2 = nchw ? c2 * plane : c2;
  const t0 = 256 * c0, t1 = 256 * c1, t2 = 256 * c2;
  const bytes = pixels;
  const words = LITTLE_ENDIAN ? new Uint32Array(pixels.buffer, 0, pixels.buffer.byteLength >>> 2) : undefined;
  for (let i = 0; i < n; i++) {
    const base = i * plane * 3;
    const o0 = base + off0, o1 = base + off1, o2 = base + off2;
    let k = 0;
    let q = base; // byte index in pixels
    // One pixel at a time until a pixel's first byte is word-aligned in the buffer (and for the tail).
    let head = words ? Math.min(plane, ((4 - ((pixels.byteOffset + q) & 3)) * 3) & 3) : plane;
    for (;;) {
      for (; k < head; k++, q += 3) {
        const o = k * step;
        out[o0 + o] = t[t0 + bytes[q]!]!;
        out[o1 + o] = t[t1 + bytes[q + 1]!]!;
        out[o2 + o] = t[t2 + bytes[q + 2]!]!;
      }
      if (head === plane) break;
      for (let w = (pixels.byteOffset + q) >>> 2; k + 4 <= plane; k += 4, q += 12, w += 3) {
        const a = words![w]!, b = words![w + 1]!, c = words![w + 2]!;
        const o = k * step;
        out[o0 + o] = t[t0 + (a & 255)]!;
        out[o1 + o] = t[t1 + ((a >>> 8) & 255)]!;
        out[o2 + o] = t[t2 + ((a >>> 16) & 255)]!;
        out[o0 + o + step] = t[t0 + (a >>> 24)]!;
        out[o1 + o + step] = t[t1 + (b & 255)]!;
        out[o2 + o + step] = t[t2 + ((b >>> 8) & 255)]!;
        out[o0 + o + 2 * step] = t[t0 + ((b >>> 16) & 255)]!;
        out[o1 + o + 2 * step] = t[t1 + (b >>> 24)]!;
        out[o2 + o + 2 * step] = t[t2 + (c & 255)]!;
        out[o0 + o + 3 * step] = t[t0 + ((c >>> 8) & 255)]!;
        out[o1 + o + 3 * step] = t[t1 + ((c >>> 16) & 255)]!;
        out[o2 + o + 3 * step] = t[t2 + (c >>> 24)]!;
      }
      head = plane;
    }
  }
}
