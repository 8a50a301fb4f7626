import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { InputError } from '../errors.js';

export type Row = Record<string, unknown>;

/** Arrow values as plain JS: int64 (bigint) as number, lists as arrays; the report and compare only need numbers. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toArray' in v && typeof (v as { toArray: unknown }).toArray === 'function') {
    return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray(), plain);
  }
  return v;
}

/** Every row of one Parquet file as plain objects. */
export async function readParquetRows(file: string): Promise<Row[]> {
  const wasm = parquet.readParquet(new Uint8Array(await readFile(file)));
  const table = tableFromIPC(wasm.intoIPCStream());
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

/** One table of a results folder; [] when the file is absent (older results, or a table with nothing to say). */
export async function readResultTable(dir: string, name: string): Promise<Row[]> {
  const file = path.join(dir, `${name}.parquet`);
  return existsSync(file) ? readParquetRows(file) : [];
}

/** Fails in plain words when a folder is not a study's results. */
export function assertResultsDir(dir: string): void {
  if (!existsSync(path.join(dir, 'latency.parquet')) && !existsSync(path.join(dir, 'models.parquet'))) {
    throw new InputError(`${dir}: not a dnnbench results folder (no latency.parquet or models.parquet)`);
  }
}

/** Raw timed runs (latency_samples.parquet) grouped by `device\0model\0batch`, read column-wise: the table can hold millions of rows. */
export async function readSampleGroups(dir: string): Promise<Map<string, number[]>> {
  const file = path.join(dir, 'latency_samples.parquet');
  const groups = new Map<string, number[]>();
  if (!existsSync(file)) return groups;
  const table = tableFromIPC(parquet.readParquet(new Uint8Array(await readFile(file))).intoIPCStream());
  const [model, device, batch, ms] = ['model_id', 'device', 'batch_size', 'latency_ms'].map((n) => table.getChild(n)!);
  for (let i = 0; i < table.numRows; i++) {
    const key = sampleKey(String(device!.get(i)), String(model!.get(i)), Number(batch!.get(i)));
    const list = groups.get(key);
    const v = Number(ms!.get(i));
    if (list) list.push(v);
    else groups.set(key, [v]);
  }
  return groups;
}

export const sampleKey = (device: string, model: string, batch: number): string => `${device}\u0000${model}\u0000${batch}`;
