import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { InputError } from '../errors.js';
import { arrowType, readParquet } from '../results/parquet-table.js';
import { columnOf, TABLES, type ReadRow, type StudyTableName } from '../results/schema.js';

export type Row = Record<string, unknown>;

/** A table's value as a finite number, else null (missing, NaN, ±Infinity, not a number). */
export const finiteOrNull = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));

/** Arrow values as plain JS: int64 (bigint) as number, lists as arrays; the report and compare only need numbers. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toArray' in v && typeof (v as { toArray: unknown }).toArray === 'function') {
    return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray(), plain);
  }
  return v;
}

/** Every row as a plain object. */
function rowsOf(table: Table): Row[] {
  const names = table.schema.fields.map((f) => f.name);
  const cols = names.map((n) => table.getChild(n)!);
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const r: Row = {};
    names.forEach((n, j) => { r[n] = plain(cols[j]!.get(i)); });
    rows.push(r);
  }
  return rows;
}

export const tableFile = (dir: string, name: StudyTableName): string => path.join(dir, `${name}.parquet`);

/** A table's file, its columns checked against the schema: a column of another type is an error naming the file. */
async function readStudyTable(dir: string, name: StudyTableName): Promise<Table | null> {
  const file = tableFile(dir, name);
  if (!existsSync(file)) return null;
  const table = await readParquet(file);
  for (const [column, def] of Object.entries(TABLES[name])) {
    const got = table.schema.fields.find((f) => f.name === column)?.type;
    const want = arrowType(columnOf(def).type);
    if (got && String(got) !== String(want)) throw new InputError(`${file}: column ${column} is ${String(got)}, the ${name} table's schema says ${String(want)}`);
  }
  return table;
}

/**
 * One table of a results folder, as the schema types it; [] when the file is absent (older
 * results, or a table with nothing to say). A column the file does not have (written before the
 * column existed) reads as null.
 */
export async function readResultTable<N extends StudyTableName>(dir: string, name: N): Promise<ReadRow<N>[]> {
  const table = await readStudyTable(dir, name);
  if (!table) return [];
  const rows = rowsOf(table);
  const absent = Object.keys(TABLES[name]).filter((c) => !table.schema.fields.some((f) => f.name === c));
  for (const r of rows) for (const c of absent) r[c] = null;
  return rows as ReadRow<N>[];
}

/** Fails in plain words when a folder is not a study's results. */
export function assertResultsDir(dir: string): void {
  if (!existsSync(tableFile(dir, 'latency')) && !existsSync(tableFile(dir, 'models'))) {
    throw new InputError(`${dir}: not a dnnbench results folder (no latency.parquet or models.parquet)`);
  }
}

/** Raw timed runs (latency_samples.parquet) grouped by `device\0model\0batch`, read column-wise: the table can hold millions of rows. */
export async function readSampleGroups(dir: string): Promise<Map<string, number[]>> {
  const groups = new Map<string, number[]>();
  const table = await readStudyTable(dir, 'latency_samples');
  if (!table) return groups;
  const columns: (keyof ReadRow<'latency_samples'>)[] = ['model_id', 'device', 'batch_size', 'latency_ms'];
  const [model, device, batch, ms] = columns.map((n) => table.getChild(n)!);
  // Absent from studies older than runtime variants.
  const variant = table.getChild('variant');
  for (let i = 0; i < table.numRows; i++) {
    const key = sampleKey(String(device!.get(i)), String(model!.get(i)), Number(batch!.get(i)), variant?.get(i) as string | null | undefined);
    const list = groups.get(key);
    const v = Number(ms!.get(i));
    if (list) list.push(v);
    else groups.set(key, [v]);
  }
  return groups;
}

/** A latency cell's key: device, model, batch and the device's runtime variant, if any. */
export const sampleKey = (device: string, model: string, batch: number, variant?: string | null): string =>
  `${device}\u0000${model}\u0000${batch}${variant ? `\u0000${variant}` : ''}`;
