import { Bool, Float64, Int32, Int64, List, Field, Table, tableToIPC, Utf8, vectorFromArray, type DataType } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { writeFileAtomic } from './atomic-file.js';

export type ColumnType = 'utf8' | 'int32' | 'int64' | 'float64' | 'bool' | 'utf8_list';
export type ColumnDefs = Record<string, ColumnType>;
type Row = Record<string, unknown>;

function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'utf8': return new Utf8();
    case 'int32': return new Int32();
    case 'int64': return new Int64();
    case 'float64': return new Float64();
    case 'bool': return new Bool();
    case 'utf8_list': return new List(new Field('item', new Utf8(), true));
  }
}

/** Column values as Arrow wants them: int64 as BigInt, missing as null. */
function columnValues(rows: Row[], name: string, t: ColumnType): unknown[] {
  return rows.map((r) => {
    const v = r[name];
    if (v === undefined || v === null) return null;
    if (t === 'int64') return BigInt(Math.round(v as number));
    if (t === 'float64' && typeof v === 'number' && Number.isNaN(v)) return null;
    return v;
  });
}

/** Rows → a typed Arrow table: every column declared, so an empty table still has its schema. */
export function rowsToTable(rows: Row[], columns: ColumnDefs): Table {
  const vectors = Object.fromEntries(
    Object.entries(columns).map(([name, t]) => [name, vectorFromArray(columnValues(rows, name, t), arrowType(t))]),
  );
  return new Table(vectors);
}

/** Writes an Arrow table as one zstd-compressed Parquet file, atomically. */
export async function writeParquet(file: string, table: Table): Promise<void> {
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy('dnnbench')
    .build();
  await writeFileAtomic(file, parquet.writeParquet(wasmTable, props));
}
