import { access } from 'node:fs/promises';
import path from 'node:path';
import { safeName } from '../results/cells.js';
import { rowsToTable, writeParquet } from '../results/parquet-table.js';
import { TABLES } from '../results/schema.js';
import type { ImagePrediction } from './score-rows.js';

/** `<out>/predictions/<model>/<device>/`: one Parquet part per dataset shard. */
export function predictionsDir(outDir: string, modelId: string, device: string): string {
  return path.join(outDir, 'predictions', safeName(modelId), safeName(device));
}

/**
 * One part per shard, so a resumed attempt keeps the parts of the shards its heartbeat covers and
 * rewrites the rest (each write is atomic: a killed worker never leaves half a file).
 */
export function partFile(dir: string, shard: number): string {
  return path.join(dir, `part-${String(shard).padStart(5, '0')}.parquet`);
}

export async function writePredictionsPart(dir: string, shard: number, rows: ImagePrediction[], modelId: string, device: string): Promise<void> {
  const full = rows.map((r) => ({ model_id: modelId, device, ...r }));
  await writeParquet(partFile(dir, shard), rowsToTable(full, TABLES.predictions, 'predictions'), { 'dnnbench.table': 'predictions' });
}

/** True when the parts of shards 0..n−1 all exist: only then may an attempt skip those shards. */
export async function partsExist(dir: string, n: number): Promise<boolean> {
  for (let s = 0; s < n; s++) {
    try {
      await access(partFile(dir, s));
    } catch {
      return false;
    }
  }
  return true;
}
