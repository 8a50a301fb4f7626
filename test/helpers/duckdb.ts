import { DuckDBInstance } from '@duckdb/node-api';

/** Reads Parquet back with DuckDB: an independent reader, not the library that wrote it. */
export async function queryParquet<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
  }
}
