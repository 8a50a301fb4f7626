/**
 * The Parquet writers compared by scripts/bench-parquet.ts, each behind one function: rows in,
 * a file out. Every candidate starts from the same row objects (what writeStudyTables has: one
 * object per cell or sample), so the timings include each writer's own conversion.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance, DuckDBListType, DuckDBTimestampMillisecondsValue, VARCHAR } from '@duckdb/node-api';
import {
  Bool, Field, Float64, Int32, Int64, List, Table, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray, type DataType,
} from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { rowsToTable, writeParquet, type ColumnDefs } from '../../src/results/parquet-table.js';

export type Kind = 'utf8' | 'int32' | 'int64' | 'float64' | 'bool' | 'timestamp_ms' | 'utf8_list';
export type Columns = [name: string, kind: Kind][];
export type Row = Record<string, unknown>;

export interface Candidate {
  name: string;
  pkg: string;
  codec: string;
  write(file: string, rows: Row[], columns: Columns): Promise<void>;
}

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '../..');
/** Installed version, read from node_modules (some packages do not export their package.json). */
export const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version.replace(/^v/, '');

// ---- parquet-wasm (arrow-rs compiled to WebAssembly) as first used: apache-arrow's vectorFromArray → IPC → Parquet ----
function arrowType(k: Kind): DataType {
  switch (k) {
    case 'utf8': return new Utf8();
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'float64': return new Float64();
    case 'bool': return new Bool();
    case 'timestamp_ms': return new TimestampMillisecond();
    case 'utf8_list': return new List(new Field('item', new Utf8(), true));
  }
}

const parquetWasmCandidate: Candidate = {
  name: 'parquet-wasm', pkg: 'parquet-wasm', codec: 'ZSTD',
  async write(file, rows, columns) {
    const table = new Table(Object.fromEntries(columns.map(([name, k]) => [name, vectorFromArray(rows.map((r) => {
      const v = r[name] ?? null;
      return k === 'timestamp_ms' && v instanceof Date ? v.getTime() : v;
    }), arrowType(k))])));
    const props = new parquetWasm.WriterPropertiesBuilder().setCompression(parquetWasm.Compression.ZSTD).build();
    await writeFile(file, parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(tableToIPC(table, 'stream')), props));
  },
};

/** What dnnbench ships (src/results/parquet-table.ts): typed Arrow builders, dictionary only where values repeat. */
const dnnbenchCandidate: Candidate = {
  name: 'dnnbench: parquet-wasm tuned', pkg: 'parquet-wasm', codec: 'ZSTD',
  async write(file, rows, columns) {
    const defs = Object.fromEntries(columns.map(([n, k]) => [n, k])) as ColumnDefs;
    await writeParquet(file, rowsToTable(rows, defs));
  },
};

// ---- hyparquet-writer (pure JS, columnar) ----
function hyparquetSchema(columns: Columns): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const [name, k] of columns) {
    const o = { name, repetition_type: 'OPTIONAL' as const };
    switch (k) {
      case 'utf8': schema.push({ ...o, type: 'BYTE_ARRAY', converted_type: 'UTF8' }); break;
      case 'int32': schema.push({ ...o, type: 'INT32' }); break;
      case 'int64': schema.push({ ...o, type: 'INT64' }); break;
      case 'float64': schema.push({ ...o, type: 'DOUBLE' }); break;
      case 'bool': schema.push({ ...o, type: 'BOOLEAN' }); break;
      case 'timestamp_ms': schema.push({ ...o, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }); break;
      case 'utf8_list': schema.push(
        { ...o, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      ); break;
    }
  }
  return schema;
}

/** Same encoding policy as dnnbench's writer: delta for non-repeating integers, byte-stream-split for doubles. */
function tunedEncoding(values: unknown[], k: Kind): 'DELTA_BINARY_PACKED' | 'BYTE_STREAM_SPLIT' | undefined {
  if (k !== 'int32' && k !== 'int64' && k !== 'float64') return undefined;
  const distinct = new Set<unknown>();
  for (const v of values) {
    distinct.add(v);
    if (distinct.size > Math.max(256, values.length / 1000)) return k === 'float64' ? 'BYTE_STREAM_SPLIT' : 'DELTA_BINARY_PACKED';
  }
  return undefined;
}

function hyparquet(codec: 'SNAPPY' | 'GZIP', tuned = false): Candidate {
  return {
    name: tuned ? 'hyparquet-writer tuned' : 'hyparquet-writer', pkg: 'hyparquet-writer', codec,
    async write(file, rows, columns) {
      const columnData = columns.map(([name, k]) => {
        const data = rows.map((r) => r[name] ?? null);
        const encoding = tuned ? tunedEncoding(data, k) : undefined;
        return { name, data, ...(encoding ? { encoding } : {}) };
      });
      const buf = parquetWriteBuffer({
        columnData, schema: hyparquetSchema(columns), codec,
        compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) },
        rowGroupSize: 1_000_000,
      });
      await writeFile(file, new Uint8Array(buf));
    },
  };
}

// ---- parquetjs-lite and its maintained fork @dsnp/parquetjs (pure JS, row by row) ----
interface ParquetJs {
  ParquetSchema: new (fields: Record<string, unknown>) => unknown;
  ParquetWriter: { openFile(schema: unknown, file: string, opts?: unknown): Promise<{ appendRow(r: Row): Promise<void>; close(): Promise<void> }> };
}
const PJ_TYPES: Record<Kind, string> = {
  utf8: 'UTF8', int32: 'INT32', int64: 'INT64', float64: 'DOUBLE', bool: 'BOOLEAN', timestamp_ms: 'TIMESTAMP_MILLIS', utf8_list: 'UTF8',
};

function parquetjs(pkg: 'parquetjs-lite' | '@dsnp/parquetjs', codec: 'SNAPPY' | 'GZIP'): Candidate {
  return {
    name: pkg, pkg, codec,
    async write(file, rows, columns) {
      const mod = require(pkg) as ParquetJs;
      const fields = Object.fromEntries(columns.map(([name, k]) => [name, {
        type: PJ_TYPES[k], compression: codec, ...(k === 'utf8_list' ? { repeated: true } : { optional: true }),
      }]));
      const writer = await mod.ParquetWriter.openFile(new mod.ParquetSchema(fields), file, { rowGroupSize: 100_000 });
      for (const r of rows) {
        // These writers take no nulls inside repeated fields and want absent keys for nulls.
        const row: Row = {};
        for (const [name] of columns) {
          const v = r[name];
          if (v === null || v === undefined) continue;
          row[name] = v;
        }
        await writer.appendRow(row);
      }
      await writer.close();
    },
  };
}

// ---- DuckDB (@duckdb/node-api): appender into an in-memory table, then COPY TO parquet ----
const DUCK_TYPES: Record<Kind, string> = {
  utf8: 'VARCHAR', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', bool: 'BOOLEAN', timestamp_ms: 'TIMESTAMP_MS', utf8_list: 'VARCHAR[]',
};

const duckdbCandidate: Candidate = {
  name: 'duckdb', pkg: '@duckdb/node-api', codec: 'ZSTD',
  async write(file, rows, columns) {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(`create table t (${columns.map(([n, k]) => `"${n}" ${DUCK_TYPES[k]}`).join(', ')})`);
      const app = await conn.createAppender('t');
      const listType = new DuckDBListType(VARCHAR);
      for (const r of rows) {
        for (const [name, k] of columns) {
          const v = r[name];
          if (v === null || v === undefined) { app.appendNull(); continue; }
          switch (k) {
            case 'utf8': app.appendVarchar(v as string); break;
            case 'int32': app.appendInteger(v as number); break;
            case 'int64': app.appendBigInt(BigInt(v as number | bigint)); break;
            case 'float64': app.appendDouble(v as number); break;
            case 'bool': app.appendBoolean(v as boolean); break;
            case 'timestamp_ms': app.appendTimestampMilliseconds(new DuckDBTimestampMillisecondsValue(BigInt((v as Date).getTime()))); break;
            case 'utf8_list': app.appendList(v as string[], listType); break;
          }
        }
        app.endRow();
      }
      app.closeSync();
      await conn.run(`copy t to '${file.replaceAll("'", "''")}' (format parquet, compression zstd)`);
    } finally {
      conn.closeSync();
    }
  },
};

export const CANDIDATES: Candidate[] = [
  parquetWasmCandidate, dnnbenchCandidate, hyparquet('SNAPPY'), hyparquet('SNAPPY', true), hyparquet('GZIP'), parquetjs('parquetjs-lite', 'SNAPPY'), parquetjs('@dsnp/parquetjs', 'SNAPPY'), duckdbCandidate,
];
