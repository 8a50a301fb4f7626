import { readFile } from 'node:fs/promises';
import {
  Bool, Field, Float64, Int32, Int64, List, Table, TimestampMillisecond, Utf8, makeData, makeVector, tableFromIPC, tableToIPC, vectorFromArray,
  type DataType, type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { columnOf, type ColumnDefs, type ColumnType, type RowOf } from './schema.js';

/**
 * Study tables → Parquet through Arrow and parquet-wasm (arrow-rs in WebAssembly), zstd. Chosen
 * by measurement against parquetjs-lite, @dsnp/parquetjs, hyparquet-writer and DuckDB
 * (docs/PARQUET_WRITERS.md, `npm run bench:parquet`).
 */
// Callers that build ad hoc tables (the Parquet writer benchmark, its test) name the types from here.
export type { ColumnDefs, ColumnType } from './schema.js';

export function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'utf8': return new Utf8();
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'float64': return new Float64();
    case 'bool': return new Bool();
    // An instant (UTC), so pyarrow and pandas read it timezone-aware.
    case 'timestamp_ms': return new TimestampMillisecond('UTC');
    case 'utf8_list': return new List(new Field('item', new Utf8(), true));
    // Per-image top-5 class ids and probabilities (predictions/).
    case 'int32_list': return new List(new Field('item', new Int32(), true));
    case 'float64_list': return new List(new Field('item', new Float64(), true));
  }
}

const missing = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));

/** Validity bitmap (Arrow: bit set = value present); undefined when nothing is missing. */
function validity(values: unknown[]): { nullCount: number; nullBitmap?: Uint8Array } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (missing(v)) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return nullCount ? { nullCount, nullBitmap: bitmap } : { nullCount };
}

/**
 * One column as an Arrow vector, built straight into typed arrays: apache-arrow's generic
 * vectorFromArray took 2.4 s of a 3.3 s write of a million samples, this takes about 0.3 s.
 */
function column(values: unknown[], t: ColumnType): Vector {
  const base = { length: values.length, ...validity(values) };
  switch (t) {
    case 'int32':
      return makeVector(makeData({ type: new Int32(), ...base, data: Int32Array.from(values, (v) => (missing(v) ? 0 : Number(v))) }));
    case 'float64':
      return makeVector(makeData({ type: new Float64(), ...base, data: Float64Array.from(values, (v) => (missing(v) ? 0 : Number(v))) }));
    case 'int64':
      return makeVector(makeData({ type: new Int64(), ...base, data: BigInt64Array.from(values, (v) => (missing(v) ? 0n : typeof v === 'bigint' ? v : BigInt(Math.round(Number(v))))) }));
    case 'utf8': {
      const enc = new TextEncoder();
      const cache = new Map<string, Uint8Array>();
      const bytes = values.map((v) => {
        if (missing(v)) return null;
        const s = String(v);
        let b = cache.get(s);
        if (!b) {
          b = enc.encode(s);
          if (cache.size < 10_000) cache.set(s, b);
        }
        return b;
      });
      const valueOffsets = new Int32Array(values.length + 1);
      bytes.forEach((b, i) => { valueOffsets[i + 1] = valueOffsets[i]! + (b?.length ?? 0); });
      const data = new Uint8Array(valueOffsets[values.length]!);
      bytes.forEach((b, i) => { if (b) data.set(b, valueOffsets[i]!); });
      return makeVector(makeData({ type: new Utf8(), ...base, valueOffsets, data }));
    }
    case 'timestamp_ms':
      return vectorFromArray(values.map((v) => (missing(v) ? null : v instanceof Date ? v.getTime() : Number(v))), arrowType(t));
    default:
      // bool and lists: small columns (flags, CPU features), the generic builder is fine.
      return vectorFromArray(values.map((v) => (missing(v) ? null : v)), arrowType(t));
  }
}

/**
 * Rows → a typed Arrow table: every column declared, so an empty table still has its schema. A
 * row with a key that is not a column, or without a column's key (unless the column is optional),
 * is an error naming the table, the row and the key: no field is ever dropped or invented silently.
 */
export function rowsToTable<const Defs extends ColumnDefs>(rows: readonly NoInfer<RowOf<Defs>>[], columns: Defs, table = 'table'): Table {
  const records = rows as readonly Record<string, unknown>[];
  checkKeys(records, columns, table);
  return new Table(Object.fromEntries(Object.entries(columns).map(([name, def]) => [name, column(records.map((r) => r[name]), columnOf(def).type)])));
}

function checkKeys(rows: readonly Record<string, unknown>[], columns: ColumnDefs, table: string): void {
  const names = Object.keys(columns);
  const required = names.filter((c) => !columnOf(columns[c]!).optional);
  const where = (r: Record<string, unknown>, i: number) => {
    const ids = names.slice(0, 3).filter((c) => typeof r[c] === 'string' || typeof r[c] === 'number').map((c) => `${c}=${String(r[c])}`);
    return `${table}: row ${i}${ids.length ? ` (${ids.join(', ')})` : ''}`;
  };
  rows.forEach((r, i) => {
    let present = 0;
    for (const k in r) {
      if (!Object.hasOwn(columns, k)) throw new Error(`${where(r, i)} has key "${k}", which is not a column of ${table}`);
      present++;
    }
    // Every key is a column: as many keys as columns means none is missing (the common case, fast).
    if (present === names.length) return;
    const absent = required.find((c) => !Object.hasOwn(r, c));
    if (absent) throw new Error(`${where(r, i)} lacks column "${absent}" (only optional columns may be left out)`);
  });
}

/**
 * Encoding per column, from `npm run bench:parquet` on a million samples: dictionary where values
 * repeat (ids, devices, batch sizes); otherwise delta for integers (run indices: 1.7 MB → 5 KB)
 * and byte-stream-split for doubles (latencies: 7.0 → 6.2 MB under zstd). Strings keep arrow-rs's
 * default, dictionary with its own fallback to plain.
 */
function encodingOf(v: Vector): 'dictionary' | parquet.Encoding {
  const t = v.type as DataType;
  const isInt = t instanceof Int32 || t instanceof Int64;
  if (!isInt && !(t instanceof Float64)) return 'dictionary';
  const cap = Math.max(256, v.length / 1000);
  const distinct = new Set<number | bigint>();
  for (const chunk of v.data) {
    const values = chunk.values as ArrayLike<number | bigint>;
    for (let i = 0; i < chunk.length; i++) {
      distinct.add(values[i]!);
      if (distinct.size > cap) return isInt ? parquet.Encoding.DELTA_BINARY_PACKED : parquet.Encoding.BYTE_STREAM_SPLIT;
    }
  }
  return 'dictionary';
}

/** Writes an Arrow table as one zstd-compressed Parquet file, atomically, with key/value metadata (schema version, table name). */
export async function writeParquet(file: string, table: Table, metadata: Record<string, string> = {}): Promise<void> {
  let props = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy('dnnbench')
    .setKeyValueMetadata(new Map(Object.entries(metadata)));
  for (const f of table.schema.fields) {
    const enc = encodingOf(table.getChild(f.name)!);
    if (enc !== 'dictionary') props = props.setColumnDictionaryEnabled(f.name, false).setColumnEncoding(f.name, enc);
  }
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  await writeFileAtomic(file, parquet.writeParquet(wasmTable, props.build()));
}

/** A Parquet file as an Arrow table (the report, compare and the variants table read results back with it). */
export async function readParquet(file: string): Promise<Table> {
  return tableFromIPC(parquet.readParquet(new Uint8Array(await readFile(file))).intoIPCStream());
}
