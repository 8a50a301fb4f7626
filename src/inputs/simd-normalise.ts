import { channelConstants, type InputDtype } from './normalise.js';
import type { Preprocessing } from '../study/study-spec.js';
import { SIMD_NORMALISE_WASM } from './simd-normalise-wasm.js';

const PARAMS = 0; // 9 float32 + 3 int32, see simd-normalise.wat
const SRC = 64;
const PAGE = 65536;

let compiled: WebAssembly.Module | null | undefined;
/** The kernel, compiled once per process; null where the engine has no WebAssembly SIMD. */
function kernel(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(SIMD_NORMALISE_WASM, 'base64');
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/**
 * Normalises crops into float32 NCHW model inputs with WebAssembly SIMD (simd-normalise.wat),
 * about four times faster than the lookup tables: the evaluation does this between runs when no
 * core is spare, so it is time the model waits. The inputs live in the kernel's own memory and
 * onnxruntime reads them there (it refuses SharedArrayBuffers, which rules out writing them from
 * another thread); only the crops are copied in. Values are normaliseCrops' bit for bit.
 */
export class SimdNormaliser {
  /** float32 NCHW only: float16 and NHWC inputs keep the lookup tables. */
  static supports(p: Preprocessing, dtype: InputDtype): boolean {
    return dtype === 'float32' && p.layout === 'NCHW' && kernel() !== null;
  }

  private readonly memory: WebAssembly.Memory;
  private readonly nchw: (src: number, dst: number, images: number, plane: number, params: number) => void;

  constructor(p: Preprocessing, private readonly crop: number) {
    const module = kernel();
    if (!module) throw new Error('this JavaScript engine has no WebAssembly SIMD');
    const instance = new WebAssembly.Instance(module);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.nchw = instance.exports.nchw as SimdNormaliser['nchw'];
    const { scale, mean, std } = channelConstants(p);
    const plane = crop * crop;
    const view = new DataView(this.memory.buffer);
    for (let ch = 0; ch < 3; ch++) {
      const c = p.channelOrder === 'RGB' ? ch : 2 - ch; // the model channel source channel ch feeds
      view.setFloat32(PARAMS + 12 * ch, scale, true);
      view.setFloat32(PARAMS + 12 * ch + 4, mean[c]!, true);
      view.setFloat32(PARAMS + 12 * ch + 8, std[c]!, true);
      view.setInt32(PARAMS + 36 + 4 * ch, c * plane * 4, true);
    }
  }

  /**
   * n crops (uint8 RGB HWC) → rows × 3 × crop² float32 (rows ≥ n; rows past n are zeros). The
   * returned view is overwritten by the next call.
   */
  fill(crops: Uint8Array, n: number, rows: number): Float32Array {
    const per = this.crop * this.crop * 3;
    if (crops.length < n * per) throw new RangeError(`expected ${n * per} bytes of crops, got ${crops.length}`);
    const dst = SRC + Math.ceil((n * per) / 16) * 16;
    const needed = dst + rows * per * 4;
    if (this.memory.buffer.byteLength < needed) this.memory.grow(Math.ceil((needed - this.memory.buffer.byteLength) / PAGE));
    const buffer = this.memory.buffer;
    new Uint8Array(buffer, SRC, n * per).set(crops.subarray(0, n * per));
    this.nchw(SRC, dst, n, this.crop * this.crop, PARAMS);
    const out = new Float32Array(buffer, dst, rows * per);
    out.fill(0, n * per);
    return out;
  }
}
