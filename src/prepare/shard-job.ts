import { readFile, stat } from 'node:fs/promises';
import type { LabelledImage } from './kit.js';
import { writeShardFile } from './arrow-shards.js';
import { cropImage, type ResizeFilter } from './crop-image.js';
import type { Geometry } from './geometry.js';
import type { FailedInput } from './image-sources.js';

/** One shard to build: its images (in order), where to write it, and how to crop. */
export interface ShardJob {
  index: number;
  file: string;
  images: LabelledImage[];
  geometry: Geometry;
  filter: ResizeFilter;
  /** Images decoded at once in one process (libvips decodes on its threads while JS resamples). */
  inFlight: number;
}

export interface ShardResult {
  index: number;
  /** Images stored (the job's images less the failed ones). */
  n: number;
  sha256: string;
  bytes: number;
  mtimeMs: number;
  failed: FailedInput[];
}

/**
 * Crops a shard's images and writes the shard atomically. An image that cannot be read or decoded
 * is left out and reported with its reason; it never fails the shard.
 */
export async function runShardJob(job: ShardJob): Promise<ShardResult> {
  const { geometry, images } = job;
  const bytesPerImage = geometry.crop * geometry.crop * 3;
  const pixels = new Uint8Array(images.length * bytesPerImage);
  const ok = new Array<boolean>(images.length).fill(false);
  const failed: FailedInput[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < images.length) {
      const i = next++;
      const img = images[i]!;
      try {
        await cropImage(await readFile(img.file), geometry, job.filter, pixels.subarray(i * bytesPerImage, (i + 1) * bytesPerImage));
        ok[i] = true;
      } catch (err) {
        failed.push({ id: img.id, file: img.file, reason: (err as Error).message ?? String(err) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, job.inFlight) }, lane));

  let kept = pixels;
  const keptImages = images.filter((_, i) => ok[i]);
  if (keptImages.length !== images.length) {
    // Close the gaps left by failed images, in order.
    kept = new Uint8Array(keptImages.length * bytesPerImage);
    let j = 0;
    for (let i = 0; i < images.length; i++) {
      if (ok[i]) kept.set(pixels.subarray(i * bytesPerImage, (i + 1) * bytesPerImage), bytesPerImage * j++);
    }
  }
  const written = await writeShardFile(job.file, {
    ids: keptImages.map((img) => img.id), labels: Int16Array.from(keptImages.map((img) => img.label)), pixels: kept, crop: geometry.crop,
  });
  const st = await stat(job.file);
  failed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { index: job.index, n: keptImages.length, sha256: written.sha256, bytes: written.bytes, mtimeMs: st.mtimeMs, failed };
}
