import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { safeName } from '../results/cells.js';
import { readParquet, rowsToTable, writeParquet } from '../results/parquet-table.js';
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

/** What the paired comparison of a variant with its parent needs of each image (src/analysis/variant-tables.ts). */
export interface ImageOutcome {
  image_id: string;
  top1_id: number;
  correct_at_1: boolean;
  correct_at_5: boolean;
}

/** Every image's outcome from a model's predictions on a device; empty when it has none (not evaluated there). */
export async function readImageOutcomes(outDir: string, modelId: string, device: string): Promise<ImageOutcome[]> {
  const dir = predictionsDir(outDir, modelId, device);
  const parts = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^part-\d+\.parquet$/.test(f)).sort();
  const out: ImageOutcome[] = [];
  for (const part of parts) {
    const table = await readParquet(path.join(dir, part));
    const [id, top5, c1, c5] = ['image_id', 'top5_ids', 'correct_at_1', 'correct_at_5'].map((n) => table.getChild(n)!);
    for (let i = 0; i < table.numRows; i++) {
      out.push({ image_id: String(id!.get(i)), top1_id: Number((top5!.get(i) as { get(j: number): number }).get(0)), correct_at_1: Boolean(c1!.get(i)), correct_at_5: Boolean(c5!.get(i)) });
    }
  }
  return out;
}
