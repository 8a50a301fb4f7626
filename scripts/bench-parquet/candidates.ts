/**
 * The Parquet writers compared by scripts/bench-parquet.ts, each behind one function: rows in,
 * a file out. Every candidate starts from the same row objects (what writeStudyTables has: one
 * object per cell or sample), so the timings include each writer's own conversion. The pure-JS
 * writers that lost the comparison (hyparquet-writer, parquetjs-lite, @dsnp/parquetjs) have left
 * the dependencies; docs/PARQUET_WRITERS.md says at which commit their figures can be reproduced.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, DuckDBListType, DuckDBTimestampMillisecondsValue, VARCHAR } from '@duckdb/node-api';
import {
  Bool, Field, Float64, Int32, Int64, List, Table, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray, type DataType,
} from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
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

export const CANDIDATES: Candidate[] = [parquetWasmCandidate, dnnbenchCandidate, duckdbCandidate];
