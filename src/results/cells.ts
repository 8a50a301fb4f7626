import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../fs/atomic-file.js';
import type { CellOf } from './cell-types.js';

/**
 * A study's results are cells (one per model, device, model×device, model×device×batch), each a
 * small JSON file written atomically. A finished cell is never computed again, which is what
 * makes a study resumable after a board dies; the Parquet tables are rebuilt from the cells.
 */
export type CellKind = keyof CellOf;

/** File names keep ids readable but safe: anything outside [A-Za-z0-9._-] becomes '_'. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function cellPath(outDir: string, kind: CellKind, ...keys: (string | number)[]): string {
  return path.join(outDir, '_cells', kind, ...keys.map((k) => safeName(String(k)))) + '.json';
}

export const readCell = readJsonIfExists;
export const writeCell = writeJsonAtomic;

/** Every cell of one kind, in a stable order (sorted by path). */
export async function readAllCells<K extends CellKind>(outDir: string, kind: K): Promise<CellOf[K][]> {
  const root = path.join(outDir, '_cells', kind);
  let files: string[];
  try {
    files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const cells = await Promise.all(files.map((f) => readJsonIfExists<CellOf[K]>(path.join(root, f))));
  return cells.filter((c) => c !== undefined);
}
