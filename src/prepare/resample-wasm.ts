/**
 * The two passes of Pillow's 8-bit resampling (src/prepare/pil-resample.ts) as WebAssembly SIMD,
 * bit for bit the same arithmetic (22-bit fixed-point weights, +2^21 rounding, >>22, clip to
 * 0..255, 8-bit intermediate), about five times faster than the JavaScript loops. The kernels are
 * src/prepare/resample.wat, assembled into resample-wasm-module.ts by `npm run build:wasm`; the
 * JavaScript implementation stays as the reference the tests compare them with.
 */
import { RESAMPLE_WASM } from './resample-wasm-module.js';

// ---- the kernels, instantiated once per process ----

interface Kernels {
  memory: WebAssembly.Memory;
  hpass: (src: number, srcStride: number, rows: number, kk: number, bounds: number, kstride: number, cw: number, dst: number) => void;
  vpass: (tmp: number, stride: number, kk: number, bounds: number, kstride: number, ch: number, dst: number) => void;
}

let kernels: Kernels | null | undefined;

/** The SIMD kernels, or null where this runtime lacks WebAssembly SIMD (the JavaScript loops are used). */
export function wasmKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const bytes = resampleWasmBytes();
    const memory = new WebAssembly.Memory({ initial: 64 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = instance.exports as unknown as Omit<Kernels, 'memory'>;
    kernels = { memory, hpass: e.hpass, vpass: e.vpass };
  } catch {
    kernels = null;
  }
  return kernels;
}

/** The assembled module (resample.wat). */
export function resampleWasmBytes(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(RESAMPLE_WASM, 'base64'));
}

const align16 = (n: number) => (n + 15) & ~15;

export interface Axis {
  kk: Int32Array;
  bounds: Int32Array;
  ksize: number;
}

/**
 * Runs both passes in WebAssembly: `src` width×height×3, horizontal weights `h` for the crop's
 * columns, vertical weights `v` for its rows (source row indices), rows rowFirst..rowFirst+rows-1
 * needed. Returns cropWidth×cropHeight×3, written into `into` when given (no allocation).
 */
export function wasmResizeCrop(
  k: Kernels, src: Uint8Array, width: number, h: Axis, v: Axis, rowFirst: number, rows: number, cropWidth: number, cropHeight: number,
  into?: Uint8Array,
): Uint8Array {
  const stride = cropWidth * 3;
  const srcBytes = rows * width * 3;
  // Layout: [source rows | h weights | h bounds | v weights | v bounds | tmp | out], 16-byte aligned, 16 bytes of slack each.
  const srcPtr = 0;
  const hkPtr = align16(srcPtr + srcBytes + 16);
  const hbPtr = align16(hkPtr + h.kk.byteLength);
  const vkPtr = align16(hbPtr + h.bounds.byteLength);
  const vbPtr = align16(vkPtr + v.kk.byteLength);
  const tmpPtr = align16(vbPtr + v.bounds.byteLength);
  const outPtr = align16(tmpPtr + rows * stride + 16);
  const end = align16(outPtr + cropHeight * stride + 16);
  const { memory } = k;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const heap = new Uint8Array(memory.buffer);
  heap.set(src.subarray(rowFirst * width * 3, rowFirst * width * 3 + srcBytes), srcPtr);
  heap.fill(0, srcPtr + srcBytes, srcPtr + srcBytes + 16);
  new Int32Array(memory.buffer, hkPtr, h.kk.length).set(h.kk);
  new Int32Array(memory.buffer, hbPtr, h.bounds.length).set(h.bounds);
  new Int32Array(memory.buffer, vkPtr, v.kk.length).set(v.kk);
  const vb = new Int32Array(memory.buffer, vbPtr, v.bounds.length);
  vb.set(v.bounds);
  // Vertical bounds relative to the temporary, whose row 0 is source row rowFirst.
  for (let i = 0; i < vb.length; i += 2) vb[i]! -= rowFirst;
  heap.fill(0, tmpPtr + rows * stride, tmpPtr + rows * stride + 16);
  k.hpass(srcPtr, width * 3, rows, hkPtr, hbPtr, h.ksize * 4, cropWidth, tmpPtr);
  k.vpass(tmpPtr, stride, vkPtr, vbPtr, v.ksize * 4, cropHeight, outPtr);
  const result = heap.subarray(outPtr, outPtr + cropHeight * stride);
  if (!into) return result.slice();
  into.set(result);
  return into;
}
