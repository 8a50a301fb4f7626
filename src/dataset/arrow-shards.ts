import { readFile } from 'node:fs/promises';
import { FixedSizeBinary, Int16, makeData, makeVector, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { writeFileAtomic } from '../results/atomic-file.js';

/** A shard of preprocessed images: uint8 RGB HWC crops stored back to back, with labels and ids. */
export interface ImageShard {
  ids: string[];
  labels: Int16Array;
  /** n × crop × crop × 3 bytes, contiguous. */
  pixels: Uint8Array;
  crop: number;
}

/**
 * One Arrow IPC file per shard. Pixels are a FixedSizeBinary column so that the whole shard's
 * crops are one contiguous buffer: evaluation slices batches out of it without copying rows.
 */
export async function writeShard(file: string, shard: ImageShard): Promise<Uint8Array> {
  const n = shard.ids.length;
  const bytesPerImage = shard.crop * shard.crop * 3;
  const pixels = makeVector(makeData({ type: new FixedSizeBinary(bytesPerImage), length: n, nullCount: 0, data: shard.pixels }));
  const table = new Table({
    image_id: vectorFromArray(shard.ids, new Utf8()),
    label: makeVector(makeData({ type: new Int16(), length: n, nullCount: 0, data: shard.labels })),
    pixels,
  });
  const bytes = tableToIPC(table, 'file');
  await writeFileAtomic(file, bytes);
  return bytes;
}

export async function readShard(file: string, crop: number): Promise<ImageShard> {
  const table = tableFromIPC(await readFile(file));
  const ids = table.getChild('image_id')?.toArray() as string[] | undefined;
  const labelVec = table.getChild('label');
  const pixelVec = table.getChild('pixels');
  if (!ids || !labelVec || !pixelVec) throw new Error(`shard ${file} lacks image_id, label or pixels`);
  const labels = labelVec.toArray() as Int16Array;
  // A single-chunk table (we write one) has its crops in one buffer; concatenate otherwise.
  const chunks = pixelVec.data.map((d) => d.values as Uint8Array);
  const pixels = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (pixels.length !== ids.length * crop * crop * 3) throw new Error(`shard ${file} holds crops of another size than ${crop}x${crop}`);
  return { ids: Array.from(ids), labels, pixels, crop };
}
