/**
 * TypeScript shapes of the decoded ONNX protobuf messages (see onnx.proto next to this file).
 *
 * Why hand-written interfaces instead of generated classes: protobufjs decodes through runtime
 * reflection (no codegen step in the build), and we only need a typed view of the fields dnnbench
 * reads. Field names stay snake_case (decoded with `keepCase`) so they match the ONNX docs.
 *
 * Decoding conventions that matter to readers of these objects:
 *  - int64 fields arrive as `Long` objects (protobufjs uses the `long` package when installed), so
 *    they are typed `Int64` and must go through `toNumber()`.
 *  - proto2 optional fields that are absent are NOT own properties; the prototype supplies the
 *    default ('' / 0 / null). Use `hasField()` where presence matters (e.g. the Dimension oneof).
 *  - `bytes` fields are views into the buffer the model was decoded from, never copies.
 */

/** What protobufjs hands back for an int64 field (a `long` Long), kept structural on purpose. */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}

export type Int64 = number | LongLike;

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface TensorShapeDimension {
  dim_value?: Int64;
  dim_param?: string;
  denotation?: string;
}

export interface TensorShapeProto {
  dim: TensorShapeDimension[];
}

export interface TypeProtoTensor {
  elem_type: number;
  shape?: TensorShapeProto | null;
}

export interface TypeProto {
  tensor_type?: TypeProtoTensor | null;
  sparse_tensor_type?: TypeProtoTensor | null;
  sequence_type?: unknown;
  map_type?: unknown;
  optional_type?: unknown;
  denotation?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto | null;
  doc_string?: string;
}

export interface TensorProto {
  dims: Int64[];
  data_type: number;
  name: string;
  raw_data?: Uint8Array;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  double_data: number[];
  uint64_data: Int64[];
  string_data: Uint8Array[];
  external_data: StringStringEntryProto[];
  /** 0 = DEFAULT, 1 = EXTERNAL. */
  data_location?: number;
  doc_string?: string;
}

export interface SparseTensorProto {
  values?: TensorProto | null;
  indices?: TensorProto | null;
  dims: Int64[];
}

export interface AttributeProto {
  name: string;
  /** AttributeType enum value (decoded as a number). */
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto | null;
  g?: GraphProto | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeProto[];
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  sparse_initializer: SparseTensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain: string;
  version: Int64;
}

export interface ModelProto {
  ir_version: Int64;
  opset_import: OperatorSetIdProto[];
  producer_name: string;
  producer_version: string;
  domain: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphProto | null;
  metadata_props: StringStringEntryProto[];
  functions: unknown[];
}

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

/** Converts a decoded int64 (Long or number) to a JS number; absent values become 0. */
export function toNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** True when a proto2 optional field was present on the wire (an own property after decode). */
export function hasField(msg: object | null | undefined, field: string): boolean {
  return msg !== null && msg !== undefined && Object.prototype.hasOwnProperty.call(msg, field);
}
