import { rowsToTable, writeParquet } from './parquet-table.js';
import { SCHEMA_VERSION, TABLES, type TableName, type TableRow } from './schema.js';

/**
 * Writes one table as `file`, checked against its schema (src/results/schema.ts); the schema
 * version rides in the file's key/value metadata too, so a lone file says what it is.
 */
export async function writeTable<N extends TableName>(file: string, name: N, rows: readonly TableRow<N>[]): Promise<void> {
  await writeParquet(file, rowsToTable(rows, TABLES[name], name), { 'dnnbench.schema_version': String(SCHEMA_VERSION), 'dnnbench.table': name });
}

