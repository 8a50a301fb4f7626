import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { Table } from 'apache-arrow';
import { replaceAtomically, writeFileAtomic } from '../fs/atomic-file.js';

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
// apache-arrow is imported on first use: loading it costs a few hundred ms, which a shard-building
// child process would otherwise spend before its first decode.
const arrow = () => import('apache-arrow');

export async function writeShard(file: string, shard: ImageShard): Promise<Uint8Array> {
  const { tableToIPC } = await arrow();
  const bytes = tableToIPC(await shardTable(shard), 'file');
  await writeFileAtomic(file, bytes);
  return bytes;
}

async function shardTable(shard: ImageShard): Promise<Table> {
  const { FixedSizeBinary, Int16, makeData, makeVector, Table, Utf8, vectorFromArray } = await arrow();
  const n = shard.ids.length;
  const bytesPerImage = shard.crop * shard.crop * 3;
  return new Table({
    image_id: vectorFromArray(shard.ids, new Utf8()),
    label: makeVector(makeData({ type: new Int16(), length: n, nullCount: 0, data: shard.labels })),
    pixels: makeVector(makeData({ type: new FixedSizeBinary(bytesPerImage), length: n, nullCount: 0, data: shard.pixels })),
  });
}

/**
 * The same file as writeShard, streamed: the pixel buffer goes to the file as it is (no second
 * copy of the shard in memory) and is hashed on the way. Atomic: a temporary file, then rename.
 */
export async function writeShardFile(file: string, shard: ImageShard): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const { RecordBatchFileWriter } = await arrow();
  const table = await shardTable(shard);
  await replaceAtomically(file, async (tmp) => {
    const fh = await open(tmp, 'w');
    try {
      for await (const chunk of RecordBatchFileWriter.writeAll(table)) {
        hash.update(chunk);
        bytes += chunk.length;
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
      }
    } finally {
      await fh.close();
    }
  });
  return { sha256: hash.digest('hex'), bytes };
}

export async function readShard(file: string, crop: number): Promise<ImageShard> {
  const { tableFromIPC } = await arrow();
  const table = tableFromIPC(await readFile(file));
  const ids = table.getChild('image_id')?.toArray() as string[] | undefined;
  const labelVec = table.getChild('label');
  const pixelVec = table.getChild('pixels');
  if (!ids || !labelVec || !pixelVec) throw new Error(`shard ${file} lacks image_id, label or pixels`);
  const labels = labelVec.toArray() as Int16Array;
  // A single-chunk table (we write one) has its crops in one buffer; concatenate otherwise.
  // Arrow pads each buffer to 8 bytes, so a chunk's values may run past its crops: trim to length.
  const width = crop * crop * 3;
  const chunks = pixelVec.data.map((d) => {
    if ((d.type as { byteWidth?: number }).byteWidth !== width) throw new Error(`shard ${file} holds crops of another size than ${crop}x${crop}`);
    return (d.values as Uint8Array).subarray(0, d.length * width);
  });
  const pixels = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (pixels.length !== ids.length * width) throw new Error(`shard ${file} holds ${pixels.length} pixel bytes for ${ids.length} crops of ${crop}x${crop}`);
  return { ids: Array.from(ids), labels, pixels, crop };
}
