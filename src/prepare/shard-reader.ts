import { open, type FileHandle } from 'node:fs/promises';
import { DataType, FixedSizeBinary, Message, type Field } from 'apache-arrow';
// Not in the package index, but exported by its "./*" entry: the IPC file footer (schema + blocks).
import { Footer } from 'apache-arrow/ipc/metadata/file';

/**
 * A shard opened for reading a batch at a time: ids and labels up front (a few KB), crops only when
 * asked, with positioned reads into the caller's buffer. readShard reads a whole shard (~100 MB
 * for 650 crops of 224) into fresh memory, and the page faults of that allocation cost three times
 * the read itself; the evaluation's helper thread competes with the model for the CPU, so it reads
 * each batch into one reused buffer instead. Only the layout writeShard writes is accepted (one
 * or more uncompressed record batches of image_id utf8, label int16, pixels fixed-size binary).
 */
export interface ShardReader {
  file: string;
  ids: string[];
  labels: Int16Array;
  /** Reads crops start..start+n−1 into `into` (at least n × crop² × 3 bytes). */
  readCrops(start: number, n: number, into: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** A part of the file: crops first..first+count−1 start at `at`. */
interface PixelRun { first: number; count: number; at: number }

const MAGIC = 'ARROW1';

export async function openShard(file: string, crop: number): Promise<ShardReader> {
  const fh = await open(file, 'r');
  try {
    return await readLayout(fh, file, crop);
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function readAt(fh: FileHandle, file: string, at: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  await fill(fh, file, buf, at);
  return buf;
}

async function fill(fh: FileHandle, file: string, into: Uint8Array, at: number): Promise<void> {
  for (let off = 0; off < into.length;) {
    const { bytesRead } = await fh.read(into, off, into.length - off, at + off);
    if (bytesRead === 0) throw new Error(`shard ${file} is truncated (${into.length - off} bytes missing at offset ${at + off})`);
    off += bytesRead;
  }
}

/** Flatbuffer decoding of a damaged file throws whatever it meets: say which file and part instead. */
function decoded<T>(file: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new Error(`shard ${file} has a corrupt ${what} (${(err as Error).message})`);
  }
}

function fieldIs(f: Field | undefined, name: string, is: (t: DataType) => boolean): boolean {
  return f?.name === name && is(f.type);
}

const isInt16 = (t: DataType) => DataType.isInt(t) && t.bitWidth === 16 && t.isSigned;

async function readLayout(fh: FileHandle, file: string, crop: number): Promise<ShardReader> {
  const size = (await fh.stat()).size;
  if (size < 2 * 8 + 10) throw new Error(`shard ${file} is not an Arrow IPC file (${size} bytes)`);
  const tail = await readAt(fh, file, size - 10, 10);
  const head = await readAt(fh, file, 0, 6);
  if (head.toString('latin1') !== MAGIC || tail.toString('latin1', 4) !== MAGIC) throw new Error(`shard ${file} is not an Arrow IPC file (no ARROW1 magic)`);
  const footerLength = tail.readInt32LE(0);
  if (footerLength <= 0 || footerLength > size - 18) throw new Error(`shard ${file} has a corrupt footer`);
  const footerBytes = await readAt(fh, file, size - 10 - footerLength, footerLength);
  const footer = decoded(file, 'footer', () => Footer.decode(footerBytes));
  const [idField, labelField, pixelField] = footer.schema.fields;
  if (footer.schema.fields.length !== 3 || !fieldIs(idField, 'image_id', DataType.isUtf8) || !fieldIs(labelField, 'label', isInt16) || !fieldIs(pixelField, 'pixels', DataType.isFixedSizeBinary)) {
    throw new Error(`shard ${file} lacks image_id, label or pixels`);
  }
  const width = crop * crop * 3;
  if ((pixelField!.type as FixedSizeBinary).byteWidth !== width) throw new Error(`shard ${file} holds crops of another size than ${crop}x${crop}`);

  const ids: string[] = [];
  const labelParts: Int16Array[] = [];
  const runs: PixelRun[] = [];
  for (const block of footer.recordBatches()) {
    // A block: continuation marker and length (8 bytes), the Message flatbuffer, then the body.
    const meta = await readAt(fh, file, block.offset, block.metaDataLength);
    const prefix = meta.readInt32LE(0) === -1 ? 8 : 4;
    const message = decoded(file, 'record batch header', () => Message.decode(meta.subarray(prefix, prefix + meta.readInt32LE(prefix - 4))));
    if (!message.isRecordBatch()) throw new Error(`shard ${file} holds an unexpected IPC message`);
    const batch = message.header();
    if (batch.compression) throw new Error(`shard ${file} is compressed; shards are written uncompressed`);
    const body = block.offset + block.metaDataLength;
    // Buffers: image_id (validity, offsets, bytes), label (validity, values), pixels (validity, values).
    const [, offsetsAt, textAt, , labelsAt, , pixelsAt] = batch.buffers;
    const n = batch.length;
    if (!pixelsAt || pixelsAt.length < n * width) throw new Error(`shard ${file} holds ${pixelsAt?.length ?? 0} pixel bytes for ${n} crops of ${crop}x${crop}`);
    if (body + pixelsAt.offset + n * width > size) throw new Error(`shard ${file} is truncated (its crops run past the end of the file)`);
    const offsets = await readAt(fh, file, body + offsetsAt!.offset, (n + 1) * 4);
    const text = await readAt(fh, file, body + textAt!.offset, textAt!.length);
    for (let i = 0; i < n; i++) ids.push(text.toString('utf8', offsets.readInt32LE(4 * i), offsets.readInt32LE(4 * i + 4)));
    const labelBytes = await readAt(fh, file, body + labelsAt!.offset, n * 2);
    labelParts.push(new Int16Array(labelBytes.buffer.slice(labelBytes.byteOffset, labelBytes.byteOffset + n * 2)));
    runs.push({ first: ids.length - n, count: n, at: body + pixelsAt.offset });
  }
  const labels = new Int16Array(ids.length);
  labelParts.reduce((at, part) => (labels.set(part, at), at + part.length), 0);

  return {
    file, ids, labels,
    async readCrops(start, n, into) {
      if (start < 0 || start + n > ids.length) throw new RangeError(`crops ${start}..${start + n - 1} are outside shard ${file} (${ids.length} crops)`);
      for (let done = 0; done < n;) {
        const i = start + done;
        const run = runs.find((r) => i >= r.first && i < r.first + r.count)!;
        const take = Math.min(n - done, run.first + run.count - i);
        await fill(fh, file, into.subarray(done * width, (done + take) * width), run.at + (i - run.first) * width);
        done += take;
      }
    },
    close: () => fh.close(),
  };
}
