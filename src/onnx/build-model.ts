/**
 * Build small ONNX models in code: test fixtures whose op counts can be worked out by hand, without
 * Python or checked-in binaries.
 *
 *   const bytes = buildModel({
 *     inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
 *     outputs: [{ name: 'y' }],
 *     initializers: [{ name: 'w', dims: [4, 3, 3, 3] }],
 *     nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }],
 *   });
 */
import { encodeModel } from './onnx-proto.js';
import { int64RawData, product } from './tensor-data.js';

type DType = 'float32' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64';

const DTYPE_ENUM: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10 };

/** Attribute values: integers → INT, other numbers → FLOAT, number[] → INTS, strings → STRING. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

export interface BuildValue {
  name: string;
  dtype?: DType;
  /** Omit to declare the value without a shape (outputs whose shape onnxruntime should infer). */
  dims?: Array<number | string>;
}

export interface BuildTensor {
  name: string;
  dtype?: DType;
  dims: number[];
  /** Element values; default: a deterministic small pattern. float16 values are given as floats. */
  values?: number[];
  /** Store in an external file instead of raw_data: { location, offset }. Caller writes the bytes. */
  external?: { location: string; offset: number };
}

export interface BuildNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
  name?: string;
}

export interface BuildSpec {
  inputs: BuildValue[];
  outputs: BuildValue[];
  initializers?: BuildTensor[];
  nodes: BuildNode[];
  valueInfo?: BuildValue[];
  opset?: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  opsets?: Record<string, number>;
  irVersion?: number;
}

function valueInfo(v: BuildValue): object {
  const tensor: Record<string, unknown> = { elem_type: DTYPE_ENUM[v.dtype ?? 'float32'] };
  if (v.dims) {
    tensor.shape = { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
  }
  return { name: v.name, type: { tensor_type: tensor } };
}

/** Float → IEEE half bits (round to nearest even is not needed for fixtures; truncation is fine). */
function toHalfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0] as number;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = (u >>> 13) & 0x3ff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | mant;
}

/** The bytes a tensor's values take in raw_data (little-endian). */
export function tensorBytes(t: BuildTensor): Uint8Array {
  const dtype = t.dtype ?? 'float32';
  const n = product(t.dims);
  const values = t.values ?? Array.from({ length: n }, (_, i) => (dtype.startsWith('float') ? ((i % 7) - 3) / 10 : i % 5));
  if (values.length !== n) throw new Error(`tensor ${t.name}: ${values.length} values for dims [${t.dims.join(', ')}]`);
  switch (dtype) {
    case 'float32': return new Uint8Array(new Float32Array(values).buffer);
    case 'float16': return new Uint8Array(new Uint16Array(values.map(toHalfBits)).buffer);
    case 'uint8': return new Uint8Array(values);
    case 'int8': return new Uint8Array(new Int8Array(values).buffer);
    case 'int32': return new Uint8Array(new Int32Array(values).buffer);
    case 'int64': return int64RawData(values);
  }
}

function tensor(t: BuildTensor): object {
  const base = { name: t.name, data_type: DTYPE_ENUM[t.dtype ?? 'float32'], dims: t.dims };
  if (t.external) {
    return {
      ...base,
      data_location: 1,
      external_data: [
        { key: 'location', value: t.external.location },
        { key: 'offset', value: String(t.external.offset) },
        { key: 'length', value: String(tensorBytes(t).length) },
      ],
    };
  }
  return { ...base, raw_data: tensorBytes(t) };
}

function attribute(name: string, v: AttrValue): object {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 6, floats: v.floats };
}

export function buildModel(spec: BuildSpec): Uint8Array {
  const opsets = [{ domain: '', version: spec.opset ?? 13 }, ...Object.entries(spec.opsets ?? {}).map(([domain, version]) => ({ domain, version }))];
  return encodeModel({
    ir_version: spec.irVersion ?? 8,
    producer_name: 'dnnbench-test',
    opset_import: opsets,
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        op_type: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensor),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      value_info: (spec.valueInfo ?? []).map(valueInfo),
    },
  });
}
