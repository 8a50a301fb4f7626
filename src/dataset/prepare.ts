import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { LabelledImage } from '../kit/kit.js';
import { readJsonIfExists, writeJsonAtomic } from '../results/atomic-file.js';
import { writeShard } from './arrow-shards.js';
import { cropImage, type ResizeFilter } from './crop-image.js';
import { geometryName, type Geometry } from './geometry.js';

export const SHARD_SIZE = 1000;
/** Decodes in flight at once: enough to keep libvips' threads busy on 2 cores (docs/BENCHMARKS.md). */
const IN_FLIGHT = 4;

export interface DatasetManifest {
  key: string;
  geometry: Geometry;
  resizeFilter: ResizeFilter;
  labelSource: string;
  n: number;
  failed: { id: string; file: string; reason: string }[];
  shards: { file: string; n: number; sha256: string }[];
  versions: { sharp: string; libvips: string };
}

export interface PrepareRequest {
  images: LabelledImage[];
  geometry: Geometry;
  resizeFilter: ResizeFilter;
  labelSource: string;
  cacheRoot: string;
  /** Called after each shard, e.g. to heartbeat. */
  onShard?: (done: number, total: number) => void;
}

/**
 * Turns labelled images into Arrow shards of uint8 crops for one geometry. The dataset folder is
 * named by a hash of everything that decides its content (image files, labels, geometry, filter,
 * library versions), so the same inputs again cost one stat per image and a manifest read.
 */
export async function prepareDataset(req: PrepareRequest): Promise<{ dir: string; manifest: DatasetManifest }> {
  const key = await datasetKey(req);
  const dir = path.join(req.cacheRoot, `${geometryName(req.geometry)}-${key}`);
  const manifestFile = path.join(dir, 'manifest.json');
  const existing = await readJsonIfExists<DatasetManifest>(manifestFile);
  if (existing && (await shardsIntact(dir, existing))) return { dir, manifest: existing };

  const failed: DatasetManifest['failed'] = [];
  const shards: DatasetManifest['shards'] = [];
  const total = Math.ceil(req.images.length / SHARD_SIZE);
  for (let s = 0; s < total; s++) {
    const batch = req.images.slice(s * SHARD_SIZE, (s + 1) * SHARD_SIZE);
    const crops = await cropAll(batch, req.geometry, req.resizeFilter);
    const ok = batch.filter((_, i) => crops[i] instanceof Uint8Array);
    batch.forEach((img, i) => {
      const c = crops[i];
      if (!(c instanceof Uint8Array)) failed.push({ id: img.id, file: img.file, reason: c!.message });
    });
    const bytesPerImage = req.geometry.crop * req.geometry.crop * 3;
    const pixels = new Uint8Array(ok.length * bytesPerImage);
    let j = 0;
    crops.forEach((c) => { if (c instanceof Uint8Array) pixels.set(c, bytesPerImage * j++); });
    const file = `shard-${String(s).padStart(5, '0')}.arrow`;
    const bytes = await writeShard(path.join(dir, file), {
      ids: ok.map((img) => img.id), labels: Int16Array.from(ok.map((img) => img.label)), pixels, crop: req.geometry.crop,
    });
    shards.push({ file, n: ok.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    req.onShard?.(s + 1, total);
  }
  const manifest: DatasetManifest = {
    key, geometry: req.geometry, resizeFilter: req.resizeFilter, labelSource: req.labelSource,
    n: shards.reduce((a, s) => a + s.n, 0), failed, shards,
    versions: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips },
  };
  await writeJsonAtomic(manifestFile, manifest);
  return { dir, manifest };
}

/** Crops a list of images with a few decodes in flight; a bad image yields its Error, not a throw. */
async function cropAll(images: LabelledImage[], geometry: Geometry, filter: ResizeFilter): Promise<(Uint8Array | Error)[]> {
  const out: (Uint8Array | Error)[] = new Array(images.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < images.length) {
      const i = next++;
      const img = images[i]!;
      try {
        out[i] = await cropImage(await readFile(img.file), geometry, filter);
      } catch (err) {
        out[i] = new Error(`cannot decode ${img.file}: ${(err as Error).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return out;
}

async function datasetKey(req: PrepareRequest): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ g: req.geometry, f: req.resizeFilter, v: [sharp.versions.sharp, sharp.versions.vips], shard: SHARD_SIZE }));
  for (const img of req.images) {
    const st = await stat(img.file).catch(() => undefined);
    h.update(`${img.id}\t${img.label}\t${img.file}\t${st?.size ?? -1}\t${st?.mtimeMs ?? -1}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

async function shardsIntact(dir: string, manifest: DatasetManifest): Promise<boolean> {
  for (const s of manifest.shards) {
    const st = await stat(path.join(dir, s.file)).catch(() => undefined);
    if (!st) return false;
  }
  return true;
}
