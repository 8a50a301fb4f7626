/**
 * PIL's `Image.resize(size, BILINEAR | BICUBIC | LANCZOS)` of an 8-bit RGB image, computed only for the centre-crop
 * window: the same arithmetic as Pillow's `ImagingResample` (libImaging/Resample.c), so the crops
 * are bit for bit those of the reference pipeline (docs/DATASET.md).
 *
 * Pillow resamples separably, horizontal pass first, with a triangle filter of support 1 scaled by
 * the reduction factor (antialiasing on downscale; plain centre-aligned bilinear interpolation on
 * upscale; bicubic a=-0.5 support 2 and lanczos support 3 likewise), weights normalised per output pixel, then rounded to 22-bit fixed point; the
 * horizontal pass is rounded and clipped to 8 bits before the vertical pass.
 */

import { wasmKernels, wasmResizeCrop } from './resample-wasm.js';

/** Names this implementation in manifests: crops made by another version are rebuilt. */
export const RESAMPLER = 'pillow-resample-port/1';

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

/** Integer weights of one axis, for output positions first..first+count-1 of an outSize axis. */
export interface AxisCoefficients {
  /** Weights per output position: `ksize` slots each, the first `bounds[2i+1]` used. */
  kk: Int32Array;
  /** Per output position: first source index, number of taps. */
  bounds: Int32Array;
  ksize: number;
}

/** Pillow's filters by their PIL names (Image.BILINEAR, BICUBIC, LANCZOS) with their supports. */
export type PilFilter = 'bilinear' | 'bicubic' | 'lanczos';

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<PilFilter, { support: number; fn: (x: number) => number }> = {
  bilinear: { support: 1, fn: (x) => { if (x < 0) x = -x; return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis, restricted to a window. */
export function axisCoefficients(inSize: number, outSize: number, first: number, count: number, filter: PilFilter = 'bilinear'): AxisCoefficients {
  const { support: baseSupport, fn } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = baseSupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(count * ksize);
  const bounds = new Int32Array(count * 2);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let i = 0; i < count; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    // C's (int) truncates toward zero; negative values are clamped to 0 anyway.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = fn((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x]! / ww : w[x]!;
      kk[i * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[i * 2] = xmin;
    bounds[i * 2 + 1] = xmax;
  }
  return { kk, bounds, ksize };
}

const clip8 = (v: number) => { const x = v >> PRECISION_BITS; return x < 0 ? 0 : x > 255 ? 255 : x; };

// Coefficients depend only on (inSize, outSize, window): ImageNet has few distinct sizes.
const cache = new Map<string, AxisCoefficients>();
function cachedAxis(inSize: number, outSize: number, first: number, count: number, filter: PilFilter): AxisCoefficients {
  const key = `${filter},${inSize},${outSize},${first},${count}`;
  let c = cache.get(key);
  if (!c) {
    if (cache.size > 4096) cache.clear();
    c = axisCoefficients(inSize, outSize, first, count, filter);
    cache.set(key, c);
  }
  return c;
}

/**
 * Resizes `src` (width×height×3 RGB, HWC) to outWidth×outHeight as PIL's `Image.resize` with this
 * filter would and returns only the window (left, top, cropWidth, cropHeight) of the result,
 * cropWidth×cropHeight×3 (written into `into` when given).
 */
export function pilResizeCrop(
  src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number,
  left: number, top: number, cropWidth: number, cropHeight: number, filter: PilFilter = 'bilinear', into?: Uint8Array,
): Uint8Array {
  if (into && into.length !== cropWidth * cropHeight * 3) throw new RangeError(`target holds ${into.length} bytes, the crop ${cropWidth * cropHeight * 3}`);
  const k = outWidth !== width && outHeight !== height ? wasmKernels() : null;
  if (!k) {
    const out = pilResizeCropJs(src, width, height, outWidth, outHeight, left, top, cropWidth, cropHeight, filter);
    if (!into) return out;
    into.set(out);
    return into;
  }
  checkWindow(src, width, height, outWidth, outHeight, left, top, cropWidth, cropHeight);
  const v = cachedAxis(height, outHeight, top, cropHeight, filter);
  const rowFirst = v.bounds[0]!;
  const rows = v.bounds[(cropHeight - 1) * 2]! + v.bounds[(cropHeight - 1) * 2 + 1]! - rowFirst;
  return wasmResizeCrop(k, src, width, cachedAxis(width, outWidth, left, cropWidth, filter), v, rowFirst, rows, cropWidth, cropHeight, into);
}

function checkWindow(
  src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, left: number, top: number, cropWidth: number, cropHeight: number,
): void {
  if (src.length !== width * height * 3) throw new RangeError(`expected ${width}x${height}x3 bytes, got ${src.length}`);
  if (left < 0 || top < 0 || left + cropWidth > outWidth || top + cropHeight > outHeight || cropWidth < 1 || cropHeight < 1) {
    throw new RangeError(`crop ${cropWidth}x${cropHeight} at ${left},${top} is outside the resized ${outWidth}x${outHeight}`);
  }
}

/** The same, in plain JavaScript: the reference the WebAssembly kernels are tested against. */
export function pilResizeCropJs(
  src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number,
  left: number, top: number, cropWidth: number, cropHeight: number, filter: PilFilter = 'bilinear',
): Uint8Array {
  checkWindow(src, width, height, outWidth, outHeight, left, top, cropWidth, cropHeight);
  const needH = outWidth !== width;
  const needV = outHeight !== height;
  const out = new Uint8Array(cropWidth * cropHeight * 3);
  const v = cachedAxis(height, outHeight, top, cropHeight, filter);
  // Source rows the vertical pass reads (all of them when there is no vertical pass: identity rows).
  const rowFirst = needV ? v.bounds[0]! : top;
  const rowLast = needV ? v.bounds[(cropHeight - 1) * 2]! + v.bounds[(cropHeight - 1) * 2 + 1]! : top + cropHeight;
  const rows = rowLast - rowFirst;

  // Horizontal pass into an 8-bit temporary of `rows` rows × cropWidth columns.
  let tmp: Uint8Array;
  if (needH) {
    const h = cachedAxis(width, outWidth, left, cropWidth, filter);
    tmp = new Uint8Array(rows * cropWidth * 3);
    const { kk, bounds, ksize } = h;
    for (let y = 0; y < rows; y++) {
      const rowBase = (y + rowFirst) * width * 3;
      let o = y * cropWidth * 3;
      for (let xx = 0; xx < cropWidth; xx++) {
        const n = bounds[xx * 2 + 1]!;
        const kb = xx * ksize;
        // Sums stay below 2^31 (255 · 2^22 · Σ|w| with Σw = 1), so int32 arithmetic is exact.
        let s0 = HALF, s1 = HALF, s2 = HALF;
        let p = rowBase + bounds[xx * 2]! * 3;
        for (let x = 0; x < n; x++, p += 3) {
          const k = kk[kb + x]!;
          s0 = (s0 + Math.imul(src[p]!, k)) | 0;
          s1 = (s1 + Math.imul(src[p + 1]!, k)) | 0;
          s2 = (s2 + Math.imul(src[p + 2]!, k)) | 0;
        }
        tmp[o++] = clip8(s0);
        tmp[o++] = clip8(s1);
        tmp[o++] = clip8(s2);
      }
    }
  } else {
    // No horizontal resampling: the window's columns as they are.
    tmp = new Uint8Array(rows * cropWidth * 3);
    for (let y = 0; y < rows; y++) {
      const start = ((y + rowFirst) * width + left) * 3;
      tmp.set(src.subarray(start, start + cropWidth * 3), y * cropWidth * 3);
    }
  }
  if (!needV) {
    out.set(tmp.subarray(0, cropHeight * cropWidth * 3));
    return out;
  }

  // Vertical pass from the temporary (its row 0 is source row rowFirst).
  const { kk, bounds, ksize } = v;
  const stride = cropWidth * 3;
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < cropHeight; yy++) {
    const ymin = bounds[yy * 2]! - rowFirst;
    const n = bounds[yy * 2 + 1]!;
    const kb = yy * ksize;
    acc.fill(HALF);
    // Tap by tap over the whole row: long, branch-free inner loops.
    for (let y = 0; y < n; y++) {
      const k = kk[kb + y]!;
      const base = (ymin + y) * stride;
      for (let c = 0; c < stride; c++) acc[c] = (acc[c]! + Math.imul(tmp[base + c]!, k)) | 0;
    }
    const o = yy * stride;
    for (let c = 0; c < stride; c++) out[o + c] = clip8(acc[c]!);
  }
  return out;
}
