/**
 * ONNX element types and the bookkeeping around a TensorProto's stored data (sizes, validation,
 * reading small integer tensors such as Reshape shapes).
 */
import { type TensorProto, toNumber, hasField } from './onnx-types.js';

export type DTypeKind = 'float' | 'int' | 'bool' | 'string' | 'complex';

interface DTypeInfo {
  /** Name as onnxruntime's Tensor type spells it where it has one. */
  name: string;
  /** Bits per element (0 for strings, whose size is per element). */
  bits: number;
  kind: DTypeKind;
}

/** TensorProto.DataType → info. Numbers are the enum values in onnx.proto. */
const DTYPES: ReadonlyMap<number, DTypeInfo> = new Map<number, DTypeInfo>([
  [1, { name: 'float32', bits: 32, kind: 'float' }],
  [2, { name: 'uint8', bits: 8, kind: 'int' }],
  [3, { name: 'int8', bits: 8, kind: 'int' }],
  [4, { name: 'uint16', bits: 16, kind: 'int' }],
  [5, { name: 'int16', bits: 16, kind: 'int' }],
  [6, { name: 'int32', bits: 32, kind: 'int' }],
  [7, { name: 'int64', bits: 64, kind: 'int' }],
  [8, { name: 'string', bits: 0, kind: 'string' }],
  [9, { name: 'bool', bits: 8, kind: 'bool' }],
  [10, { name: 'float16', bits: 16, kind: 'float' }],
  [11, { name: 'float64', bits: 64, kind: 'float' }],
  [12, { name: 'uint32', bits: 32, kind: 'int' }],
  [13, { name: 'uint64', bits: 64, kind: 'int' }],
  [14, { name: 'complex64', bits: 64, kind: 'complex' }],
  [15, { name: 'complex128', bits: 128, kind: 'complex' }],
  [16, { name: 'bfloat16', bits: 16, kind: 'float' }],
  [17, { name: 'float8e4m3fn', bits: 8, kind: 'float' }],
  [18, { name: 'float8e4m3fnuz', bits: 8, kind: 'float' }],
  [19, { name: 'float8e5m2', bits: 8, kind: 'float' }],
  [20, { name: 'float8e5m2fnuz', bits: 8, kind: 'float' }],
  [21, { name: 'uint4', bits: 4, kind: 'int' }],
  [22, { name: 'int4', bits: 4, kind: 'int' }],
  [23, { name: 'float4e2m1', bits: 4, kind: 'float' }],
]);

const BY_NAME: ReadonlyMap<string, DTypeInfo> = new Map([...DTYPES.values()].map((d) => [d.name, d]));

/** 'float32', 'float16', 'uint8', ... or 'unknown(<n>)' for an enum value we do not know. */
export function dtypeName(dataType: number): string {
  return DTYPES.get(dataType)?.name ?? `unknown(${dataType})`;
}

export function dtypeKind(name: string): DTypeKind | undefined {
  return BY_NAME.get(name)?.kind;
}

/** Bytes taken by `numel` elements of a dtype (4-bit types pack two per byte). */
export function bytesFor(dtype: string, numel: number): number {
  const info = BY_NAME.get(dtype);
  if (!info || info.bits === 0) return 0;
  return Math.ceil((numel * info.bits) / 8);
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => toNumber(d));
}

export function tensorNumel(t: TensorProto): number {
  return product(tensorDims(t));
}

/** Logical size of a tensor's data (element count × element size), whatever field stores it. */
export function tensorByteLength(t: TensorProto): number {
  if (t.data_type === 8) return t.string_data.reduce((s, b) => s + b.length, 0);
  return bytesFor(dtypeName(t.data_type), tensorNumel(t));
}

/**
 * Checks that a tensor stored inside the model holds as much data as its dims say. A mismatch
 * means the file was cut short or corrupted; returns a plain-words problem or null when fine.
 */
export function tensorDataProblem(t: TensorProto): string | null {
  const numel = tensorNumel(t);
  const expectedBytes = tensorByteLength(t);
  const label = `initializer '${t.name}' (${dtypeName(t.data_type)} [${tensorDims(t).join(', ')}])`;
  if (hasField(t, 'raw_data') && t.raw_data) {
    if (t.raw_data.length !== expectedBytes) {
      return `${label} holds ${t.raw_data.length} bytes of data but its shape needs ${expectedBytes}`;
    }
    return null;
  }
  // Typed repeated fields: count elements instead of bytes.
  const kind = DTYPES.get(t.data_type);
  let stored: number;
  let expected = numel;
  switch (t.data_type) {
    case 1: stored = t.float_data.length; break;
    case 14: stored = t.float_data.length; expected = 2 * numel; break;
    case 11: stored = t.double_data.length; break;
    case 15: stored = t.double_data.length; expected = 2 * numel; break;
    case 7: stored = t.int64_data.length; break;
    case 12: case 13: stored = t.uint64_data.length; break;
    case 8: stored = t.string_data.length; break;
    default:
      stored = t.int32_data.length;
      if (kind && kind.bits === 4) expected = Math.ceil(numel / 2);
  }
  if (stored !== expected) {
    return stored === 0
      ? `${label} has no data`
      : `${label} holds ${stored} elements but its shape needs ${expected}`;
  }
  return null;
}

/**
 * Reads an integer tensor (int64 or int32) into numbers. Used for small constants such as Reshape
 * shapes, so precision beyond 2^53 does not matter.
 */
export function readIntTensor(t: TensorProto): number[] {
  const numel = tensorNumel(t);
  if (t.data_type !== 7 && t.data_type !== 6) {
    throw new Error(`tensor '${t.name}' is ${dtypeName(t.data_type)}, not int64/int32`);
  }
  if (hasField(t, 'raw_data') && t.raw_data && t.raw_data.length > 0) {
    const raw = t.raw_data;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    for (let i = 0; i < numel; i++) {
      out.push(t.data_type === 7 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true));
    }
    return out;
  }
  return t.data_type === 7 ? t.int64_data.map((v) => toNumber(v)) : [...t.int32_data];
}

/** Encodes numbers as a little-endian int64 raw_data buffer (a fresh array, never a view). */
export function int64RawData(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}
