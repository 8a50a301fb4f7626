/**
 * The two passes of Pillow's 8-bit resampling (src/prepare/pil-resample.ts) as WebAssembly SIMD,
 * bit for bit the same arithmetic (22-bit fixed-point weights, +2^21 rounding, >>22, clip to
 * 0..255, 8-bit intermediate), about five times faster than the JavaScript loops. The module is
 * assembled here from its instructions (no toolchain, no binary in the repository); the
 * JavaScript implementation stays as the reference the tests compare it with.
 */

// ---- a minimal WebAssembly encoder: just what the two kernels use ----

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
type Code = number[];
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number): Code => [0x21, ...uleb(i)];
const tee = (i: number): Code => [0x22, ...uleb(i)];
const i32c = (n: number): Code => [0x41, ...sleb(n)];
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const geS = [0x4e];
const eqz = [0x45];
const load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
const store = (offset = 0): Code => [0x36, 0, ...uleb(offset)];
const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
const v128Load = simd(0x00, 0, 0);
const v128Store = simd(0x0b, 0, 0);
const load32Zero = simd(0x5c, 0, 0);
const splat = simd(0x11);
const lane0 = simd(0x1b, 0);
const ext16Lo = simd(0x89); // i16x8.extend_low_i8x16_u
const ext16Hi = simd(0x8a); // i16x8.extend_high_i8x16_u
const ext32Lo = simd(0xa9); // i32x4.extend_low_i16x8_u
const ext32Hi = simd(0xaa); // i32x4.extend_high_i16x8_u
const vadd = simd(0xae); // i32x4.add
const vmul = simd(0xb5); // i32x4.mul
const vshr = simd(0xac); // i32x4.shr_s
const narrow16 = simd(0x85); // i16x8.narrow_i32x4_s (saturating)
const narrow8 = simd(0x66); // i8x16.narrow_i16x8_u (saturating: the clip to 0..255)
/** `while (cond) body`: block { loop { br_if exit (!cond); body; br loop } }. */
const whileLoop = (cond: Code, body: Code): Code => [0x02, 0x40, 0x03, 0x40, ...cond, ...eqz, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b];
const inc = (local: number, by: Code): Code => [...get(local), ...by, ...add, ...set(local)];

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/**
 * hpass(src, srcStride, rows, kk, bounds, kstride, cw, dst): for each of `rows` source rows and each
 * of `cw` output columns, dst = clip((HALF + Σ src[xmin+t] · kk[t]) >> 22), three channels at once
 * (one pixel in lanes 0-2 of an i32x4; lane 3 is the next pixel's red, written over by it).
 */
function hpassBody(): Code {
  // params 0-7; locals: 8 y, 9 xx, 10 n, 11 p, 12 kp, 13 drow, 14 bp, 15 srow, 16 kpt, 17 acc(v128)
  const [src, srcStride, rows, kk, bounds, kstride, cw, dst] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [y, xx, n, p, kp, drow, bp, srow, kpt, acc] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const tap = [
    ...get(acc), ...get(p), ...load32Zero, ...ext16Lo, ...ext32Lo, ...get(kpt), ...load(), ...splat, ...vmul, ...vadd, ...set(acc),
    ...inc(p, i32c(3)), ...inc(kpt, i32c(4)), ...get(n), ...i32c(1), ...sub, ...set(n),
  ];
  const pixel = [
    ...get(srow), ...get(bp), ...load(), ...i32c(3), ...mul, ...add, ...set(p),
    ...get(bp), ...load(4), ...set(n), ...get(kp), ...set(kpt),
    ...i32c(HALF), ...splat, ...set(acc),
    ...whileLoop(get(n), tap),
    ...get(drow),
    ...get(acc), ...i32c(PRECISION_BITS), ...vshr, ...tee(acc), ...get(acc), ...narrow16, ...tee(acc), ...get(acc), ...narrow8, ...lane0,
    ...store(),
    ...inc(drow, i32c(3)), ...inc(bp, i32c(8)), ...inc(kp, get(kstride)), ...inc(xx, i32c(1)),
  ];
  const row = [
    ...get(src), ...get(y), ...get(srcStride), ...mul, ...add, ...set(srow),
    ...i32c(0), ...set(xx), ...get(bounds), ...set(bp), ...get(kk), ...set(kp),
    ...whileLoop([...get(xx), ...get(cw), ...geS, ...eqz], pixel),
    ...inc(y, i32c(1)),
  ];
  return [...get(dst), ...set(drow), ...whileLoop([...get(y), ...get(rows), ...geS, ...eqz], row)];
}

/**
 * vpass(tmp, stride, kk, bounds, kstride, ch, dst): for each of `ch` output rows, 16 bytes at a
 * time across the row: dst = clip((HALF + Σ tmp[ymin+t][c] · kk[t]) >> 22). Rows are written in
 * order and a row's last 16-byte step may spill into the next row, which is written afterwards.
 */
function vpassBody(): Code {
  // params 0-6; locals: 7 yy, 8 c, 9 n, 10 p, 11 kpt, 12 drow, 13 bp, 14 kp, 15 base, 16 k, 17 v, 18 lo, 19 hi, 20-23 a0..a3
  const [tmp, stride, kk, bounds, kstride, ch, dst] = [0, 1, 2, 3, 4, 5, 6];
  const [yy, c, n, p, kpt, drow, bp, kp, base, k, v, lo, hi] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const a = [20, 21, 22, 23];
  const accumulate = (ai: number, half: number, ext: Code): Code => [...get(a[ai]!), ...get(half), ...ext, ...get(k), ...vmul, ...vadd, ...set(a[ai]!)];
  const tap = [
    ...get(kpt), ...load(), ...splat, ...set(k),
    ...get(p), ...v128Load, ...tee(v), ...ext16Lo, ...set(lo), ...get(v), ...ext16Hi, ...set(hi),
    ...accumulate(0, lo, ext32Lo), ...accumulate(1, lo, ext32Hi), ...accumulate(2, hi, ext32Lo), ...accumulate(3, hi, ext32Hi),
    ...inc(p, get(stride)), ...inc(kpt, i32c(4)), ...get(n), ...i32c(1), ...sub, ...set(n),
  ];
  const shr = (ai: number): Code => [...get(a[ai]!), ...i32c(PRECISION_BITS), ...vshr];
  const chunk = [
    ...i32c(HALF), ...splat, ...tee(a[0]!), ...tee(a[1]!), ...tee(a[2]!), ...set(a[3]!),
    ...get(base), ...get(c), ...add, ...set(p), ...get(kp), ...set(kpt), ...get(bp), ...load(4), ...set(n),
    ...whileLoop(get(n), tap),
    ...get(drow), ...get(c), ...add,
    ...shr(0), ...shr(1), ...narrow16, ...shr(2), ...shr(3), ...narrow16, ...narrow8,
    ...v128Store,
    ...inc(c, i32c(16)),
  ];
  const row = [
    ...get(tmp), ...get(bp), ...load(), ...get(stride), ...mul, ...add, ...set(base),
    ...i32c(0), ...set(c),
    ...whileLoop([...get(c), ...get(stride), ...geS, ...eqz], chunk),
    ...inc(drow, get(stride)), ...inc(bp, i32c(8)), ...inc(kp, get(kstride)), ...inc(yy, i32c(1)),
  ];
  return [...get(dst), ...set(drow), ...get(bounds), ...set(bp), ...get(kk), ...set(kp),
    ...whileLoop([...get(yy), ...get(ch), ...geS, ...eqz], row)];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const fnType = (params: number) => [0x60, ...vec(Array.from({ length: params }, () => [I32])), 0];
  const code = (locals: [number, number][], body: Code) => {
    const bytes = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...body, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  };
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType(8), fnType(7)])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...str('hpass'), 0x00, 0], [...str('vpass'), 0x00, 1]])),
    ...section(10, vec([code([[9, I32], [1, V128]], hpassBody()), code([[9, I32], [8, V128]], vpassBody())])),
  ]);
}

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
    const bytes = moduleBytes();
    const memory = new WebAssembly.Memory({ initial: 64 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = instance.exports as unknown as Omit<Kernels, 'memory'>;
    kernels = { memory, hpass: e.hpass, vpass: e.vpass };
  } catch {
    kernels = null;
  }
  return kernels;
}

/** The module's bytes, for tests (WebAssembly.validate). */
export const resampleWasmBytes = moduleBytes;

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
