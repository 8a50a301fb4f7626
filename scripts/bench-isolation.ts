/**
 * Do earlier cells change later ones? The smallest model's batch-1 and batch-2 cells timed in this
 * (worker-like) process and in a process of their own (timing.isolation), first on a fresh process,
 * then after large-model cells (VGG-19 at batch 32, ConvNeXt-T at batch 64) ran in this process,
 * as in a study's sweep. Rounds alternate the two ways; the table gives medians of the p50s and
 * of the peak resident memory each cell recorded (the memory fit's y).
 *
 *   npm run bench:isolation [-- --rounds 3 --small tv_squeezenet1_1 --big tv_vgg19:32,tv_convnext_tiny:64]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveModel, type ResolvedModel } from '../src/study/catalog.js';
import { dataDir, kitDir } from '../src/config/settings.js';
import { readShard } from '../src/prepare/arrow-shards.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { kitImages } from '../src/prepare/kit.js';
import { measureCellInProcess } from '../src/latency/cell-process.js';
import { probeHost } from '../src/host/probe-host.js';
import { measureCell } from '../src/latency/measure-cell.js';

const { values: args } = parseArgs({ options: {
  rounds: { type: 'string', default: '3' },
  small: { type: 'string', default: 'tv_squeezenet1_1' },
  big: { type: 'string', default: 'tv_vgg19:32,tv_convnext_tiny:64' },
} });
const kit = kitDir();
const { dir, manifest } = await prepareDataset({
  images: await kitImages(kit, 'val_227', 64), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear', labelSource: `${kit}/manifest.json`,
  cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
});
const shardFile = path.join(dir, manifest.shards[0]!.file);
const host = await probeHost();
const shard = await readShard(shardFile, 224);
const crops = { pixels: shard.pixels, n: shard.ids.length, crop: 224 };
const threads = os.availableParallelism();
const timing = { warmupRuns: 10, warmupSeconds: 1, minRuns: 50, minSeconds: 3 };
const noPower = { sampler: null, reason: 'not sampled in this benchmark' };

type Cell = { p50: number; rssMb: number };
const cell = (m: { p50_ms: number; rss_peak_bytes?: number | null }): Cell => ({ p50: m.p50_ms, rssMb: (m.rss_peak_bytes ?? NaN) / 1e6 });
async function inWorker(model: ResolvedModel, b: number, t = timing): Promise<Cell> {
  return cell(await measureCell({ model, modelPath: model.path, batchSize: b, timing: t, provider: 'cpu', threads, crops, power: noPower }));
}
async function inProcess(model: ResolvedModel, b: number): Promise<Cell> {
  return cell((await measureCellInProcess({ model, modelPath: model.path, batchSize: b, timing, provider: 'cpu', threads, shardFile, crop: 224, host })).measurement);
}

const small = await resolveModel(args.small!, kit);
const big = await Promise.all(args.big!.split(',').map(async (s) => {
  const [id, b] = s.split(':');
  return { model: await resolveModel(id!, kit), b: Number(b) };
}));
const rows: Record<string, Cell[]> = {};
const add = (k: string, v: Cell) => (rows[k] ??= []).push(v);
for (const b of [1, 2]) {
  add(`b${b} fresh, in this process`, await inWorker(small, b));
  add(`b${b} fresh, own process`, await inProcess(small, b));
}
for (const { model, b } of big) await inWorker(model, b, { warmupRuns: 2, warmupSeconds: 0, minRuns: 5, minSeconds: 0 });
for (let r = 0; r < Number(args.rounds); r++) {
  for (const b of [1, 2]) {
    add(`b${b} after the large cells, in this process`, await inWorker(small, b));
    add(`b${b} after the large cells, own process`, await inProcess(small, b));
  }
}
const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)]!;
console.log(`CPU ${os.cpus()[0]?.model}, ${threads} threads; ${small.id}; large cells: ${args.big}`);
console.log('| cell | p50 ms (median) | peak RSS MB (median) | p50 per round |');
console.log('|---|---|---|---|');
for (const [k, v] of Object.entries(rows)) {
  console.log(`| ${k} | ${median(v.map((c) => c.p50)).toFixed(2)} | ${median(v.map((c) => c.rssMb)).toFixed(0)} | ${v.map((c) => c.p50.toFixed(2)).join(', ')} |`);
}
